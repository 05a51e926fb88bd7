// Connection: the Kisi key (write-only: PUT /kisi-credentials validates it with Kisi before it
// is stored; the console clears the field at once and never shows or keeps the key), the status
// card (GET /status), the webhook URL and signing secret to paste into the platform, the
// PushPress API key (PUT/DELETE /platform-credentials, write-only like the Kisi key) and the
// platforms' own webhook secrets (PUT /webhook-secrets/{platform}, DELETE .../previous).

import { ApiError } from "../api.js";
import { h, replace, card, badge, note, facts, field, when, errorPanel, withProgress, copyButton, table } from "../ui.js";

export const title = "Connection";

const STATES = {
  connected: ["Connected", "ok", "Kisi accepted the stored key at the last check."],
  invalid_credentials: [
    "Kisi refuses the stored key",
    "bad",
    "Kisi refused the stored key during a sync, a lock sync or a member's convergence: the key was revoked or expired, or its user is no longer an organisation admin. Members are not written to Kisi until you connect a new key.",
  ],
  disconnected: [
    "Not connected",
    "neutral",
    "No Kisi key is stored: members are not written to Kisi and players' unlocks are refused.",
  ],
};

export async function render(root, ctx) {
  const statusSlot = h("div", { class: "slot" });
  const status = card("Kisi connection status", statusSlot);
  const connect = connectCard(ctx, (connected) => refresh(connected));
  const webhook = h("div");
  const platforms = h("div");
  replace(root, h("div", { class: "grid" }, status, connect), webhook, platforms);

  async function refresh(connected) {
    let current;
    try {
      const [statusAnswer, settings] = await Promise.all([ctx.api.get("/status"), ctx.api.get("/settings")]);
      current = { status: statusAnswer, settings };
    } catch (error) {
      replace(statusSlot, errorPanel(error, setupLink(ctx, error)));
      replace(webhook);
      return;
    }
    ctx.setClubName(current.settings.name);
    replace(statusSlot, statusView(ctx, current.status, connected));
    replace(webhook, webhookCard(ctx, current.settings));
    replace(platforms, platformCards(ctx, current.settings, current.status.platform_api));
  }
  await refresh();
}

function setupLink(ctx, error) {
  if (error instanceof ApiError && error.code === "tenant_not_found") {
    return h("button", { type: "button", text: "Set up the club in Access rules", onclick: () => ctx.go("rules") });
  }
  return null;
}

function statusView(ctx, status, connected) {
  const connection = status.connection;
  const [label, kind, explanation] = STATES[connection.state] || [connection.state, "neutral", ""];
  const lastRun = status.syncs && status.syncs.daily;
  const failures = [];
  if (lastRun && Array.isArray(lastRun.errors) && lastRun.errors.length) {
    failures.push(`Last daily sync (${when(lastRun.finished_at)}): ${lastRun.errors.join("; ")}`);
  }
  const weekly = status.syncs && status.syncs.weekly;
  if (weekly && weekly.error) failures.push(`Last weekly sync (${when(weekly.finished_at)}): ${weekly.error}`);
  const checkSlot = h("div", { class: "slot" });
  const checkButton = h("button", { type: "button", class: "secondary", text: "Check the stored key now" });
  checkButton.addEventListener("click", () =>
    withProgress(checkSlot, checkButton, "Asking Kisi (one call, a dry-run daily sync)…", async () => {
      const result = await ctx.api.post("/sync", { kind: "daily", dry_run: true });
      const [stateLabel, stateKind] = STATES[result.connection_state] || [result.connection_state || result.status, "neutral"];
      replace(
        checkSlot,
        note(
          `Kisi answered: ${stateLabel}${result.errors && result.errors.length ? ` (${result.errors.join("; ")})` : ""}. Nothing was stored.`,
          stateKind === "ok" ? "success" : "warning",
        ),
      );
    }),
  );
  return h(
    "div",
    { "data-test": "connection-status" },
    h("p", { class: "status-line" }, badge(label, kind), " ", h("span", { class: "muted", text: explanation })),
    facts([
      ["Last check", when(connection.checked_at)],
      ["Kisi organisation", connected && connected.kisi_organization_name ? `${connected.kisi_organization_name} (id ${connection.kisi_organization_id})` : connection.kisi_organization_id],
      ["Stored key", connection.kisi_key_hint ? `ending in …${connection.kisi_key_hint}` : "none"],
      ["Failure reason", failures.length ? failures.join(" ") : connection.state === "connected" ? "none" : explanation],
    ]),
    connection.state === "disconnected" ? null : h("div", { class: "actions" }, checkButton),
    checkSlot,
  );
}

function connectCard(ctx, refresh) {
  const key = h("input", {
    type: "password",
    autocomplete: "off",
    spellcheck: false,
    required: true,
    minLength: 16,
    maxLength: 256,
    name: "kisi-api-key",
  });
  const group = h("input", { type: "number", min: "1", step: "1", inputmode: "numeric", placeholder: "optional" });
  const slot = h("div", { class: "slot" });
  const submit = h("button", { type: "submit", text: "Check with Kisi and connect" });
  const disconnect = h("button", { type: "button", class: "danger", text: "Disconnect Kisi" });
  const form = h(
    "form",
    { "aria-label": "Connect Kisi", autocomplete: "off" },
    field(
      "Kisi API key",
      key,
      "Write-only: Kisi checks it before it is stored (encrypted, in AWS SSM). It is never shown again; only its last 4 characters are.",
    ),
    field("Kisi group id", group, "The default group of the 24-hour plans; Kisi checks the key can see it."),
    h("div", { class: "actions" }, submit, disconnect),
    slot,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { api_key: key.value.trim() };
    // The key leaves the page now: nothing keeps it, whatever Kisi answers.
    key.value = "";
    if (group.value) body.group_id = Number(group.value);
    const connected = await withProgress(slot, submit, "Checking the key with Kisi…", () => ctx.api.put("/kisi-credentials", body));
    body.api_key = "";
    if (!connected) return;
    const plans = connected.reevaluating_plans.length ? ` Re-evaluating the members of: ${connected.reevaluating_plans.join(", ")}.` : "";
    replace(
      slot,
      note(
        `Connected to ${connected.kisi_organization_name || "Kisi"} (organisation ${connected.kisi_organization_id}); key ending in …${connected.kisi_key_hint} stored.${plans}`,
        "success",
      ),
    );
    await refresh(connected);
  });
  disconnect.addEventListener("click", async () => {
    if (!confirm("Disconnect Kisi? The stored key is deleted; no Kisi call is made for this club until a key is connected again, and players' unlocks are refused.")) return;
    const done = await withProgress(slot, disconnect, "Disconnecting…", () => ctx.api.delete("/kisi-credentials"));
    if (!done) return;
    replace(slot, note("Disconnected: the key was deleted.", "success"));
    await refresh();
  });
  return card("Connect Kisi", form);
}

function webhookCard(ctx, settings) {
  const url = `${ctx.config.webhookBaseUrl.replace(/\/?$/, "/")}webhooks/${settings.platform}/${encodeURIComponent(ctx.session.tenantId)}`;
  const urlField = h("input", { type: "text", readOnly: true, value: url, "aria-label": "Webhook URL", class: "mono" });
  const secretSlot = h("div", { class: "slot" });
  const rotate = h("button", { type: "button", text: "Generate a new signing secret" });
  rotate.addEventListener("click", async () => {
    if (!confirm("Generate a new webhook signing secret? It replaces the current one: webhooks signed with the old secret are refused from now on (within 5 minutes everywhere).")) return;
    const answer = await withProgress(secretSlot, rotate, "Generating…", () => ctx.api.post("/webhook-secret"));
    if (!answer) return;
    const secretField = h("input", { type: "text", readOnly: true, value: answer.secret, "aria-label": "New signing secret", class: "mono", "data-test": "webhook-secret" });
    const hide = h("button", { type: "button", class: "secondary", text: "Hide", onclick: () => replace(secretSlot, note("The secret is hidden; generate a new one if it was not saved.", "info")) });
    replace(
      secretSlot,
      note(`Shown once: paste it into ${settings.platform}'s webhook settings now. The console does not keep it.`, "warning"),
      h("div", { class: "copy-row" }, secretField, copyButton("Copy secret", () => answer.secret), hide),
      facts([
        ["Created", when(answer.created_at)],
        ["Signature header", answer.signature_header],
        ["Timestamp header", answer.timestamp_header],
      ]),
    );
  });
  return card(
    "Webhooks from the platform",
    h("p", { class: "muted", text: `Configure ${settings.platform} to send its webhooks to this URL, signed with the club's secret (docs/webhooks.md).` }),
    h("div", { class: "copy-row" }, h("label", { class: "visually-hidden", for: "webhook-url", text: "Webhook URL" }), Object.assign(urlField, { id: "webhook-url" }), copyButton("Copy URL", () => url)),
    h("div", { class: "actions" }, rotate),
    secretSlot,
  );
}

const PLATFORM_NAMES = { pushpress: "PushPress", playbypoint: "Playbypoint" };

function platformCards(ctx, settings, platformApi) {
  if (!PLATFORM_NAMES[settings.platform]) return null;
  return h(
    "div",
    { class: "grid" },
    settings.platform === "pushpress" ? platformKeyCard(ctx, platformApi) : null,
    platformSecretCard(ctx, settings.platform),
  );
}

function platformKeyCard(ctx, platformApi) {
  const apiKey = h("input", { type: "password", autocomplete: "off", spellcheck: false });
  const companyId = h("input", { type: "text", autocomplete: "off", spellcheck: false, placeholder: "optional", value: platformApi?.company_id || "" });
  const save = h("button", { type: "submit", text: "Check with PushPress and save" });
  const disconnect = h("button", { type: "button", class: "secondary", text: "Disconnect PushPress" });
  const slot = h("div", { class: "slot", "data-test": "platform-key" });
  const show = (answer) =>
    replace(
      slot,
      facts([
        ["State", h("span", {}, badge(answer.state.replace(/_/g, " "), answer.state === "connected" ? "ok" : answer.state === "invalid_credentials" ? "bad" : "neutral"))],
        ["Company", answer.account_name],
        ["Key", answer.key_hint ? `ending in …${answer.key_hint}` : null],
        ["Company id", answer.company_id],
        ["Last check", when(answer.checked_at)],
      ]),
    );
  if (platformApi) show(platformApi);
  const form = h(
    "form",
    { "aria-label": "PushPress API key" },
    field("PushPress API key", apiKey, "Checked with PushPress before it is stored; never shown again."),
    field("PushPress company id", companyId, "Only for a key that acts for several companies."),
    h("div", { class: "actions" }, save, disconnect),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { platform: "pushpress", api_key: apiKey.value.trim(), company_id: companyId.value.trim() || null };
    apiKey.value = "";
    const answer = await withProgress(slot, save, "Checking the key with PushPress…", () => ctx.api.put("/platform-credentials", body));
    if (answer) show(answer);
  });
  disconnect.addEventListener("click", async () => {
    if (!confirm("Disconnect PushPress? The syncs stop pulling from it; webhooks keep working.")) return;
    const answer = await withProgress(slot, disconnect, "Disconnecting…", () => ctx.api.delete("/platform-credentials"));
    if (answer) show(answer);
  });
  return card("PushPress API", form, slot);
}

function platformSecretCard(ctx, platform) {
  const name = PLATFORM_NAMES[platform];
  const secret = h("input", { type: "password", autocomplete: "off", spellcheck: false });
  const overlap = h("input", { type: "number", min: "0", max: "168", step: "1", value: "24" });
  const save = h("button", { type: "submit", text: `Save ${name}'s webhook secret` });
  const endPrevious = h("button", { type: "button", class: "secondary", text: "Stop accepting the previous secret" });
  const slot = h("div", { class: "slot", "data-test": "platform-secret" });
  const show = (answer) => {
    const url = `${ctx.config.webhookBaseUrl.replace(/\/?$/, "")}${answer.webhook_path}`;
    replace(
      slot,
      h("div", { class: "copy-row" }, h("input", { type: "text", readOnly: true, value: url, "aria-label": `${name} webhook URL`, class: "mono" }), copyButton(`Copy ${name} URL`, () => url)),
      answer.configured
        ? table(
            ["Secret", "Added", "Accepted until"],
            answer.secrets.map((item, index) =>
              h("tr", {}, h("td", { text: item.current ? "current" : `previous ${index}` }), h("td", { text: when(item.added_at) }), h("td", { text: item.valid_until ? when(item.valid_until) : "while current" })),
            ),
          )
        : note(`No ${name} webhook secret is stored: its webhooks are refused until you paste it here.`, "warning"),
    );
  };
  async function load() {
    const answer = await withProgress(slot, null, "Reading the secrets' state…", () => ctx.api.get(`/webhook-secrets/${platform}`));
    if (answer) show(answer);
  }
  const form = h(
    "form",
    { "aria-label": `${name} webhook secret` },
    field(platform === "pushpress" ? "PushPress signing secret" : "Playbypoint webhook token", secret, "Paste what the platform's webhook page shows; never shown again."),
    field("Keep accepting the previous one for (hours)", overlap),
    h("div", { class: "actions" }, save, endPrevious),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { secret: secret.value, overlap_hours: Number(overlap.value || 0) };
    secret.value = "";
    const answer = await withProgress(slot, save, "Saving…", () => ctx.api.put(`/webhook-secrets/${platform}`, body));
    if (answer) show(answer);
  });
  endPrevious.addEventListener("click", async () => {
    if (!confirm("Accept only the current secret from now on?")) return;
    const answer = await withProgress(slot, endPrevious, "Saving…", () => ctx.api.delete(`/webhook-secrets/${platform}/previous`));
    if (answer) show(answer);
  });
  load();
  return card(`${name} webhooks`, form, slot);
}
