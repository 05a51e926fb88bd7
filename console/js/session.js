// The signed-in admin: a JWT pasted (or minted by the local runtime) and the tenant it
// administers. Kept in sessionStorage only (gone when the tab closes), never in localStorage.
// Nothing else is stored: no Kisi key, no webhook secret, no API answer.

const KEY = "kisi-access-bridge.console.session";

export class TokenProblem extends Error {}

function base64UrlDecode(part) {
  const padded = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

// The token's claims, read without verifying the signature: only to prefill the tenant and show
// who is signed in. API Gateway's JWT authorizer verifies every request.
export function readClaims(token) {
  const parts = token.trim().split(".");
  if (parts.length !== 3) {
    throw new TokenProblem("This is not a JWT: a token has three parts separated by dots.");
  }
  try {
    const claims = JSON.parse(base64UrlDecode(parts[1]));
    if (claims === null || typeof claims !== "object") throw new Error("not an object");
    return claims;
  } catch {
    throw new TokenProblem("The token's middle part is not readable JSON: paste the whole token.");
  }
}

// API Gateway passes a list claim as "[admin player]"; the token itself has a JSON list.
export function rolesOf(claims, rolesClaim = "roles") {
  const value = claims[rolesClaim];
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === "string") return value.replace(/^\[|\]$/g, "").split(/[\s,]+/).filter(Boolean);
  return [];
}

export function expiresAt(claims) {
  return typeof claims.exp === "number" ? new Date(claims.exp * 1000) : null;
}

export function isExpired(claims, now = new Date()) {
  const at = expiresAt(claims);
  return at !== null && at <= now;
}

export function load() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (!saved || typeof saved.token !== "string" || typeof saved.tenantId !== "string") return null;
    return { ...saved, claims: readClaims(saved.token) };
  } catch {
    sessionStorage.removeItem(KEY);
    return null;
  }
}

export function save(token, tenantId) {
  const session = { token: token.trim(), tenantId: tenantId.trim() };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return { ...session, claims: readClaims(session.token) };
}

export function clear() {
  sessionStorage.removeItem(KEY);
}
