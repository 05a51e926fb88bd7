// Health: the Kisi connection, members waiting for or failing their Kisi write, the last syncs'
// errors (GET /status), the command queue's depth, this club's dead-lettered commands with their
// redrive, and the members whose last Kisi write failed (GET /health).

import { h, replace, card, badge, note, facts, when, withProgress, table, errorPanel } from "../ui.js";

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
    const answers = await withProgress(slot, refresh, "Reading the status and the queues…", () => Promise.all([ctx.api.get("/status"), ctx.api.get("/health")]));
    if (answers) replace(view, statusView(answers[0]), healthView(ctx, answers[1], load));
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

function healthView(ctx, health, reload) {
  const queue = health.command_queue;
  const dlq = health.dead_letters;
  return h(
    "div",
    { class: "grid" },
    card(
      "Command queue",
      queue
        ? facts([
            ["Waiting", h("span", { "data-test": "queue-visible" }, badge(String(queue.visible), queue.visible ? "warn" : "ok"))],
            ["Being written to Kisi now", String(queue.in_flight)],
            ["Note", "The queue is shared by every club: these are totals."],
          ])
        : note("The command queue's depth is not configured for this stack.", "info"),
    ),
    dlq ? deadLetterCard(ctx, dlq, reload) : card("Dead-letter queue", note("No dead-letter queue is configured for this stack.", "info")),
    card(
      "Recent Kisi errors",
      health.recent_errors.length
        ? table(
            ["Member", "Error", "Last written to Kisi", ""],
            health.recent_errors.map((error) =>
              h(
                "tr",
                {},
                h("td", { text: error.member_id }),
                h("td", {}, h("code", { text: error.error || "unknown" })),
                h("td", { text: when(error.last_synced_at) }),
                h("td", {}, h("button", { type: "button", class: "secondary", text: "Why?", onclick: () => (location.hash = `#/lookup?member=${encodeURIComponent(error.member_id)}`) })),
              ),
            ),
          )
        : note("No member's last Kisi write failed.", "success"),
    ),
  );
}

function deadLetterCard(ctx, dlq, reload) {
  const slot = h("div", { class: "slot" });
  const boxes = new Map();
  const redriveSelected = h("button", { type: "button", text: "Redrive selected" });
  const redriveAll = h("button", { type: "button", class: "secondary", text: "Redrive all of this club's" });
  async function redrive(ids, button) {
    const answer = await withProgress(slot, button, "Moving the commands back to the queue…", () => ctx.api.post("/dead-letters/redrive", { message_ids: ids }));
    if (!answer) return;
    await reload();
    const parts = [`${answer.moved.length} command(s) moved back to the queue; the worker converges each from the current state.`];
    if (answer.not_found.length) parts.push(`${answer.not_found.length} were no longer in the dead-letter queue.`);
    if (answer.failed.length) parts.push(`${answer.failed.length} could not be moved and stay in the dead-letter queue: try again.`);
    document.querySelector("[data-test=redrive-result]")?.replaceChildren(note(parts.join(" "), answer.failed.length ? "warning" : "success"));
  }
  redriveSelected.addEventListener("click", () => {
    const ids = [...boxes].filter(([, box]) => box.checked).map(([id]) => id);
    if (!ids.length) {
      replace(slot, errorPanel(new Error("Select the commands to redrive first.")));
      return;
    }
    redrive(ids, redriveSelected);
  });
  redriveAll.addEventListener("click", () => redrive(null, redriveAll));
  const rows = dlq.messages.map((message) => {
    const box = h("input", { type: "checkbox", "aria-label": `Redrive ${message.kind} ${message.member_id || message.plan_id || ""}` });
    boxes.set(message.message_id, box);
    return h(
      "tr",
      {},
      h("td", {}, box),
      h("td", { text: message.kind.replace(/_/g, " ") }),
      h("td", { text: message.member_id || (message.plan_id ? `plan ${message.plan_id}` : "—") }),
      h("td", {}, h("code", { text: message.reason || "—" })),
      h("td", { text: when(message.dead_lettered_at) }),
    );
  });
  return card(
    "Dead-letter queue",
    h("p", {}, badge(String(dlq.messages.length), dlq.messages.length ? "bad" : "ok"), ` of this club's commands dead-lettered (${dlq.depth} in the shared queue).`),
    dlq.complete ? null : note("The queue holds more than one look reads: redrive these, then refresh for more.", "warning"),
    dlq.messages.length
      ? [table(["", "Command", "Member or plan", "Why", "Dead-lettered"], rows), h("div", { class: "actions" }, redriveSelected, redriveAll)]
      : null,
    slot,
    h("div", { "data-test": "redrive-result" }),
  );
}
