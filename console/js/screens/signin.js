// Sign-in: paste the admin JWT the identity provider issued (the same token the Admin API takes).
// On a local stack (`make run`) the console can mint a local admin token itself.

import * as session from "../session.js";
import { h, replace, field, errorPanel, note, withProgress } from "../ui.js";

export const title = "Sign in";

export function render(root, ctx) {
  const token = h("textarea", {
    rows: 5,
    spellcheck: false,
    autocomplete: "off",
    placeholder: "eyJhbGciOi…",
    required: true,
  });
  const tenant = h("input", { type: "text", autocomplete: "off", spellcheck: false, required: true });
  const problems = h("div", { class: "slot" });
  token.addEventListener("input", () => {
    try {
      const claims = session.readClaims(token.value);
      const claimed = claims[ctx.config.tenantClaim];
      if (claimed && !tenant.value) tenant.value = String(claimed);
      replace(problems);
    } catch {
      // Shown on submit.
    }
  });

  const form = h(
    "form",
    { class: "card", "aria-label": "Sign in" },
    h("h2", { text: "Sign in with your admin token" }),
    h("p", {
      class: "muted",
      text:
        "Paste the JWT your identity provider issued (the one the Admin API accepts, with the admin role). " +
        "It stays in this browser tab only (session storage) and is sent to the API alone.",
    }),
    field("Admin token (JWT)", token),
    field("Club (tenant id)", tenant, `Filled in from the token's "${ctx.config.tenantClaim}" claim; change it if your identity provider names the claim otherwise.`),
    problems,
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Sign in" })),
  );
  if (ctx.message) problems.append(note(ctx.message, "warning"));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    replace(problems);
    let claims;
    try {
      claims = session.readClaims(token.value);
    } catch (error) {
      replace(problems, errorPanel(error));
      return;
    }
    if (session.isExpired(claims)) {
      replace(problems, errorPanel(new Error(`This token expired at ${session.expiresAt(claims).toLocaleString()}: get a new one.`)));
      return;
    }
    if (!tenant.value.trim()) {
      replace(problems, errorPanel(new Error("Name the club (tenant id) to administer.")));
      return;
    }
    const saved = session.save(token.value, tenant.value);
    await ctx.signedIn(saved, problems);
  });

  replace(root, form, ctx.config.localTokens ? localTokenCard(ctx, token, tenant) : tokenHelp());
  token.focus();
}

function tokenHelp() {
  return h(
    "section",
    { class: "card muted-card" },
    h("h2", { text: "No token?" }),
    h("p", {
      text: "Tokens come from the stack's identity provider (JwtIssuer, e.g. a Cognito user pool) with the admin role and your club's tenant claim.",
    }),
    h("p", {}, "On a local stack: ", h("code", { text: "make token TENANT=demo-club SUB=you ROLES=admin" }), " prints one."),
  );
}

// Only when config.json names the local runtime's token endpoint (make run writes that).
function localTokenCard(ctx, tokenField, tenantField) {
  const tenant = h("input", { type: "text", value: ctx.config.localTenant || "demo-club", spellcheck: false });
  const subject = h("input", { type: "text", value: "console-admin", spellcheck: false });
  const slot = h("div", { class: "slot" });
  const button = h("button", { type: "button", class: "secondary", text: "Mint a local admin token" });
  button.addEventListener("click", () =>
    withProgress(slot, button, "Asking the local runtime for a token…", async () => {
      const response = await fetch(ctx.config.localTokens, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ sub: subject.value.trim(), tenant_id: tenant.value.trim(), roles: ["admin"] }),
      });
      const payload = await response.json().catch(() => ({}));
      if (!response.ok || !payload.token) {
        throw new Error(payload.message || `The local runtime answered HTTP ${response.status}.`);
      }
      tokenField.value = payload.token;
      tenantField.value = tenant.value.trim();
      replace(slot, note("A local admin token is filled in above: sign in.", "success"));
    }),
  );
  return h(
    "section",
    { class: "card muted-card", "aria-label": "Local stack" },
    h("h2", { text: "Local stack" }),
    h("p", {
      text: "This console is served by the local runtime (make run), whose identity provider can mint a token for any club. The same as make token ROLES=admin.",
    }),
    field("Token for club (tenant id)", tenant),
    field("Token subject", subject),
    h("div", { class: "actions" }, button),
    slot,
  );
}
