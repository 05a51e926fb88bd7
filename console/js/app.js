// The admin console: sign-in, then one screen per hash route (#/connection, #/locks, ...).

import { Api, ApiError } from "./api.js";
import * as session from "./session.js";
import { h, replace, errorPanel, note } from "./ui.js";
import * as signin from "./screens/signin.js";
import * as connection from "./screens/connection.js";
import * as locks from "./screens/locks.js";
import * as rules from "./screens/rules.js";
import * as lookup from "./screens/lookup.js";
import * as syncs from "./screens/syncs.js";
import * as health from "./screens/health.js";
import * as audit from "./screens/audit.js";

const SCREENS = { connection, locks, rules, lookup, syncs, health, audit };
const DEFAULT_SCREEN = "connection";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
const club = document.getElementById("club");
const signOutButton = document.getElementById("sign-out");

const state = { config: null, session: null, api: null, leave: [] };

async function loadConfig() {
  const defaults = {
    // Where partner platforms send webhooks (the API itself); config.json names it when the
    // console is served from elsewhere than the API's own origin.
    webhookBaseUrl: new URL("/", location.href).href,
    tenantClaim: "tenant_id",
    localTokens: null,
    stage: "",
  };
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (response.ok) return { ...defaults, ...(await response.json()) };
  } catch {
    // No config.json: the defaults.
  }
  return defaults;
}

function leaveScreen() {
  for (const cleanup of state.leave.splice(0)) cleanup();
}

function context(extra = {}) {
  return {
    config: state.config,
    session: state.session,
    api: state.api,
    go: (name) => (location.hash = `#/${name}`),
    onLeave: (cleanup) => state.leave.push(cleanup),
    setClubName: (name) => (club.textContent = name ? `· ${name}` : ""),
    signedIn,
    signOut,
    ...extra,
  };
}

function showSignedIn() {
  const signedIn = Boolean(state.session);
  nav.hidden = !signedIn;
  signOutButton.hidden = !signedIn;
  if (!signedIn) {
    who.textContent = "";
    club.textContent = "";
    return;
  }
  const { claims, tenantId } = state.session;
  const expires = session.expiresAt(claims);
  who.textContent = `${claims.sub || "?"} · club ${tenantId}${expires ? ` · token until ${expires.toLocaleTimeString()}` : ""}`;
}

// After the sign-in form: one read proves the token and the club (a 404 only means the club
// has no settings yet: Access rules creates them).
async function signedIn(saved, problems) {
  state.session = saved;
  state.api = new Api(saved);
  try {
    await state.api.get("/settings");
  } catch (error) {
    if (error instanceof ApiError && error.code === "tenant_not_found") {
      showSignedIn();
      location.hash = "#/rules";
      route();
      return;
    }
    session.clear();
    state.session = null;
    state.api = null;
    replace(problems, errorPanel(error));
    return;
  }
  showSignedIn();
  if (location.hash === `#/${DEFAULT_SCREEN}`) route();
  else location.hash = `#/${DEFAULT_SCREEN}`;
}

function signOut(message) {
  session.clear();
  state.session = null;
  state.api = null;
  showSignedIn();
  history.replaceState(null, "", "#/signin");
  route(message);
}

function markCurrent(name) {
  for (const link of nav.querySelectorAll("a")) {
    if (link.getAttribute("href") === `#/${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function route(message) {
  leaveScreen();
  if (state.session && session.isExpired(state.session.claims)) {
    session.clear();
    state.session = null;
    state.api = null;
    showSignedIn();
    message = "Your token expired: sign in again.";
  }
  const name = (location.hash.match(/^#\/(\w+)/) || [])[1];
  if (!state.session) {
    markCurrent("");
    const view = h("div", { class: "screen" }, h("h1", { text: "Admin console" }));
    replace(main, view);
    signin.render(view.appendChild(h("div")), context({ message }));
    return;
  }
  const screen = SCREENS[name];
  if (!screen) {
    location.hash = `#/${DEFAULT_SCREEN}`;
    return;
  }
  markCurrent(name);
  const body = h("div", { class: "screen-body" });
  replace(main, h("div", { class: "screen", "data-screen": name }, h("h1", { text: screen.title }), body));
  document.title = `${screen.title} · Kisi Access Bridge`;
  try {
    await screen.render(body, context());
  } catch (error) {
    replace(body, errorPanel(error, h("button", { type: "button", text: "Try again", onclick: () => route() })));
  }
  main.focus({ preventScroll: true });
}

window.addEventListener("hashchange", () => route());
window.addEventListener("unhandledrejection", (event) => {
  main.prepend(errorPanel(event.reason));
});
signOutButton.addEventListener("click", () => signOut("Signed out."));

async function start() {
  state.config = await loadConfig();
  state.session = session.load();
  state.api = state.session ? new Api(state.session) : null;
  if (state.config.stage) document.getElementById("stage").textContent = state.config.stage;
  showSignedIn();
  await route();
}

start().catch((error) => replace(main, errorPanel(error), note("Reload the page to try again.", "warning")));
