// The Admin API (docs/admin-api.md), called on the console's own origin: the stack serves the
// console and forwards /v1/admin/* to the API from one origin, so there is no CORS preflight.
// Every refusal becomes an ApiError that the screens show in words (describe()).

const HEADLINES = {
  unauthorized: "The API did not accept your sign-in",
  admin_role_required: "This token is not a club admin's",
  tenant_not_found: "This club is unknown, or not yours",
  member_not_found: "No such member",
  route_not_found: "The API has no such route",
  method_not_allowed: "The API does not allow this here",
  settings_conflict: "The settings changed while you were editing them",
  kisi_not_connected: "Kisi is not connected",
  kisi_credentials_invalid: "Kisi refuses the stored key",
  payload_too_large: "The request is too large",
  unsupported_media_type: "The request was not sent as JSON",
  malformed_json: "The request was not readable JSON",
  invalid_request: "Some values are not valid",
  kisi_key_invalid: "Kisi refused this API key",
  kisi_group_not_found: "Kisi does not know this group",
  unknown_locks: "Some locks were never imported",
  locks_missing_in_kisi: "Some locks are gone from Kisi",
  kisi_unavailable: "Kisi could not be reached",
  internal_error: "The bridge failed to answer (a bug)",
  network_error: "The bridge API could not be reached",
  sync_run_not_found: "This sync run is no longer the latest of its kind",
  dead_letters_unavailable: "No dead-letter queue is configured",
  platform_mismatch: "The settings name another platform",
  platform_key_invalid: "The platform refused this API key",
  platform_unavailable: "The platform could not be reached",
  platform_error: "The platform answered in an unexpected way",
  webhook_secret_invalid: "This cannot be a webhook secret",
  not_json: "The API answered something that is not JSON",
};

const FIELD_NAMES = {
  "body.api_key": "Kisi API key",
  "body.group_id": "Kisi group id",
  "body.pre_reservation_window_minutes": "Pre-reservation window",
  "body.kisi_group_id": "Default Kisi group",
  "body.platform": "Platform",
  "body.name": "Club name",
  "body.lock_ids": "Lock selection",
  "body.kind": "Sync kind",
  "path.tenant_id": "Tenant id",
  "path.member_id": "Member id",
  "path.reservation_id": "Reservation id",
  "query.player_id": "Player id",
  "query.lock_id": "Lock id",
  "query.cursor": "Page position",
  "query.after": "Page position",
  "query.since": "From",
  "query.until": "Until",
  "query.from": "From",
  "query.to": "To",
  "query.email": "Email",
  "body.message_ids": "Commands to redrive",
  "body.secret": "Webhook secret",
  "body.overlap_hours": "Overlap (hours)",
};

export class ApiError extends Error {
  constructor({ status, code, message, fields = [], lockIds = [], retryAfter = null }) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.lockIds = lockIds;
    this.retryAfter = retryAfter;
  }
}

function fieldName(field) {
  if (FIELD_NAMES[field]) return FIELD_NAMES[field];
  const plan = /^body\.plans\.(\d+)\.(\w+)$/.exec(field);
  if (plan) return `Plan ${Number(plan[1]) + 1}: ${plan[2].replace(/_/g, " ")}`;
  return field.replace(/^(body|path|query)\./, "").replace(/_/g, " ");
}

// {title, lines, code}: what went wrong in words, for the error panel.
export function describe(error) {
  if (!(error instanceof ApiError)) {
    return { title: "Something went wrong in the console", lines: [String(error && error.message ? error.message : error)], code: "" };
  }
  const title = HEADLINES[error.code] || `The API refused the request (HTTP ${error.status})`;
  const lines = [];
  if (error.message) lines.push(error.message);
  for (const problem of error.fields) {
    lines.push(`${fieldName(problem.field || "")}: ${problem.message || problem.type || "invalid"}`);
  }
  if (error.lockIds.length) lines.push(`Lock ids concerned: ${error.lockIds.join(", ")}`);
  if (error.retryAfter) lines.push(`Try again in ${error.retryAfter} seconds.`);
  if (error.code === "unauthorized" || error.status === 401) {
    lines.push("Sign out and sign in again with a valid admin token.");
  }
  const code = error.status ? `HTTP ${error.status}${error.code ? ` · ${error.code}` : ""}` : error.code;
  return { title, lines, code };
}

export class Api {
  constructor(session) {
    this.session = session;
  }

  tenantPath(path) {
    return `/v1/admin/tenants/${encodeURIComponent(this.session.tenantId)}${path}`;
  }

  get(path) {
    return this.request("GET", path);
  }

  put(path, body) {
    return this.request("PUT", path, body);
  }

  post(path, body) {
    return this.request("POST", path, body);
  }

  delete(path) {
    return this.request("DELETE", path);
  }

  async request(method, path, body) {
    const headers = { accept: "application/json", authorization: `Bearer ${this.session.token}` };
    const init = { method, headers, cache: "no-store", credentials: "omit" };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(this.tenantPath(path), init);
    } catch (failure) {
      throw new ApiError({
        status: 0,
        code: "network_error",
        message: `No answer from ${location.origin} (${failure.message}). Check your connection and try again.`,
      });
    }
    const text = await response.text();
    let payload = null;
    if (text) {
      try {
        payload = JSON.parse(text);
      } catch {
        if (response.ok) {
          throw new ApiError({ status: response.status, code: "not_json", message: "The answer could not be read." });
        }
      }
    }
    if (response.ok) return payload;
    const retryAfter = response.headers.get("retry-after");
    if (payload && typeof payload.error === "string") {
      throw new ApiError({
        status: response.status,
        code: payload.error,
        message: payload.message || "",
        fields: Array.isArray(payload.fields) ? payload.fields : [],
        lockIds: Array.isArray(payload.lock_ids) ? payload.lock_ids : [],
        retryAfter,
      });
    }
    // API Gateway's own answers ({"message": "Unauthorized"}), CloudFront's and proxies' pages.
    const gatewayMessages = {
      401: "API Gateway's JWT authorizer refused the token: it is missing, expired, or not issued for this API.",
      403: "The request was refused before it reached the bridge.",
      429: "Too many requests: API Gateway is throttling. Wait a moment and try again.",
      502: "The bridge's function failed or timed out.",
      503: "The API is unavailable right now.",
      504: "The bridge took too long to answer (over 30 s). The operation may still finish: reload to see.",
    };
    throw new ApiError({
      status: response.status,
      code: response.status === 401 ? "unauthorized" : "",
      message:
        gatewayMessages[response.status] ||
        (payload && payload.message) ||
        `HTTP ${response.status} ${response.statusText}`.trim(),
      retryAfter,
    });
  }
}
