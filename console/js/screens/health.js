// Health: what GET /status exposes: the Kisi connection, members waiting for or failing their
// Kisi write, the command dead-letter queue's depth and the last syncs' errors.

import { h, replace, card, badge, note, facts, when, withProgress } from "../ui.js";

export const title = "Health";
const REFRESH_MS = 15000;

export async function render(root, ctx) {
  const slot = h("div", { class: "slot" });
  const view = h("div");
  const refresh = h("button", { type: "button", class: "secondary", text: "Refresh" });
  const auto = h("input", { type: "checkbox", id: "auto-refresh" });
  let timer = null;
  ctx.onLeave(() => timer && clearInterval(timer));

  async function load() {
    const status = await withProgress(slot, refresh, "Reading the status…", () => ctx.api.get("/status"));
    if (status) replace(view, statusView(status));
  }
  refresh.addEventListener("click", load);
  auto.addEventListener("change", () => {
    if (timer) clearInterval(timer);
    timer = auto.checked ? setInterval(load, REFRESH_MS) : null;
  });
  replace(
    root,
    h("div", { class: "toolbar" }, refresh, h("span", { class: "field-check" }, auto, h("label", { for: "auto-refresh", text: "Refresh every 15 s" }))),
    slot,
    view,
  );
  await load();
}

function statusView(status) {
  const members = status.members;
  const dlq = status.dead_letter_queue;
  const problems = [];
  if (status.connection.state !== "connected") problems.push(`Kisi is ${status.connection.state.replace(/_/g, " ")}.`);
  if (members.failed) problems.push(`${members.failed} member(s) whose last Kisi write failed (the daily sync retries them).`);
  if (dlq && dlq.depth) problems.push(`${dlq.depth} command(s) in the dead-letter queue.`);
  const errors = [];
  for (const kind of ["daily", "weekly"]) {
    const run = status.syncs[kind];
    if (!run) continue;
    if (run.status === "failed") errors.push(`${kind} sync failed ${when(run.finished_at)}${run.error ? `: ${run.error}` : ""}`);
    for (const error of run.errors || []) errors.push(`${kind} sync ${when(run.finished_at)}: ${error}`);
  }
  return h(
    "div",
    {},
    problems.length ? h("div", { class: "note note-warning", role: "status" }, problems.map((p) => h("p", { text: p }))) : note("All clear: connected, nothing failed, nothing dead-lettered.", "success"),
    h(
      "div",
      { class: "grid" },
      card(
        "Members",
        facts([
          ["Members", members.members],
          ["With Kisi access", members.with_access],
          ["In sync", members.in_sync],
          ["Pending (not written to Kisi yet)", members.pending],
          ["Failed (retried by the daily sync)", members.failed],
        ]),
      ),
      card(
        "Command queues",
        dlq
          ? facts([
              ["Dead-letter queue", h("span", {}, badge(String(dlq.depth), dlq.depth ? "bad" : "ok"), dlq.shared ? " (shared by every club: the total)" : "")],
              ["What to do", dlq.depth ? "An operator fixes the cause and redrives (docs/operations.md, scripts/redrive-dlq)." : "nothing"],
            ])
          : note("The dead-letter queue's depth is not configured for this stack.", "info"),
        note("The command queue's depth, redrive from here and the recent errors list need Admin API routes that do not exist yet.", "info"),
      ),
      card(
        "Kisi and syncs",
        facts([
          ["Kisi connection", status.connection.state],
          ["Last check", when(status.connection.checked_at)],
          ["Last daily sync", status.syncs.daily ? `${status.syncs.daily.status}, ${when(status.syncs.daily.finished_at)}` : "none yet"],
          ["Last weekly sync", status.syncs.weekly ? `${status.syncs.weekly.status}, ${when(status.syncs.weekly.finished_at)}` : "none yet"],
          ["Recent errors", errors.length ? h("ul", {}, errors.map((e) => h("li", { text: e }))) : "none"],
        ]),
      ),
    ),
    h("p", { class: "muted", text: `Status read ${when(status.checked_at)}.` }),
  );
}
