// Sync runs: start the daily or weekly sync of this club now, or a dry run that reports the
// drift and changes nothing (POST /sync), the last run of each (GET /status) and the history
// (GET /sync-runs, paged). A weekly dry run is a job (202, queued) and a large club's weekly run
// answers in_progress: both go on from the queue, and the console follows GET /sync-runs/{id}
// (phase, step and counts so far) until the run is done.

import { h, replace, card, badge, note, facts, when, withProgress, Paginator, CursorPager, table } from "../ui.js";

export const title = "Sync runs";

const DRIFT_KINDS = {
  missing_grant: "Missing in Kisi: should have access, Kisi lists no assignment",
  unexpected_access: "Unexpected access: a managed user holds access the rules do not give",
  wrong_valid_until: "Wrong end date: the assignment's valid_until differs",
};
const LABELS = {
  groups: "Kisi groups listed",
  members_checked: "Members checked",
  assignments_listed: "Assignments listed",
  managed_assignments: "Managed assignments",
  unmanaged_assignments: "Unmanaged (left alone)",
  drift_total: "Drift in all",
  commands_enqueued: "Commands queued",
  kisi_calls: "Kisi calls",
  changed: "Changed since the last run",
  unsynced: "Unsynced",
  access_ended: "Access ended",
  members: "Members to converge",
  reservations_cleaned: "Old reservations removed",
};
const STATUS_KIND = { succeeded: "ok", in_progress: "warn", queued: "warn", skipped: "neutral", failed: "bad" };
const RUNNING = new Set(["queued", "in_progress"]);
const PHASES = { pull: "reading the platform", list: "listing Kisi's groups", diff: "comparing members", done: "finishing" };

function progressLabel(kind, run) {
  if (run.status === "queued") return `The ${kind} ${run.dry_run ? "dry run" : "sync"} is queued (run ${run.run_id})…`;
  const where = run.phase ? `${PHASES[run.phase] || run.phase}, step ${run.step}` : "running";
  const counts = [run.assignments_listed !== undefined ? `${run.assignments_listed} assignments listed` : "", run.members_checked !== undefined ? `${run.members_checked} members checked` : ""].filter(Boolean).join(", ");
  return `The ${kind} ${run.dry_run ? "dry run" : "sync"} goes on from the queue: ${where}${counts ? ` (${counts})` : ""}…`;
}
const POLL_MS = 2000;
const POLL_LIMIT_MS = 10 * 60 * 1000;

export async function render(root, ctx) {
  const resultSlot = h("div", { class: "slot", "data-test": "sync-result" });
  const lastRuns = h("div", { class: "grid" });
  const daily = h("input", { type: "radio", name: "kind", value: "daily", id: "kind-daily" });
  const weekly = h("input", { type: "radio", name: "kind", value: "weekly", id: "kind-weekly", checked: true });
  const dryRun = h("input", { type: "checkbox", id: "dry-run", checked: true });
  const start = h("button", { type: "submit", text: "Start sync" });
  let polling = null;
  ctx.onLeave(() => polling && clearTimeout(polling));

  const form = h(
    "form",
    { "aria-label": "Start a sync" },
    h(
      "fieldset",
      {},
      h("legend", { text: "Which sync" }),
      h("div", { class: "field-check" }, daily, h("label", { for: "kind-daily", text: "Daily: members changed since the last run, unsynced ones and ended access (one Kisi call)" })),
      h("div", { class: "field-check" }, weekly, h("label", { for: "kind-weekly", text: "Weekly: full reconciliation against Kisi's group listing (250 assignments a call)" })),
    ),
    h("div", { class: "field-check" }, dryRun, h("label", { for: "dry-run", text: "Dry run: report the drift, change nothing" })),
    h("div", { class: "actions" }, start),
  );

  async function showLastRuns() {
    try {
      const status = await ctx.api.get("/status");
      replace(lastRuns, runCard("Last daily run", status.syncs.daily), runCard("Last weekly run", status.syncs.weekly));
      return status;
    } catch (error) {
      replace(lastRuns, note(`The last runs could not be read: ${error.message}`, "warning"));
      return null;
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const kind = daily.checked ? "daily" : "weekly";
    const request = { kind, dry_run: dryRun.checked };
    const label = `${request.dry_run ? "Dry run of the" : "Running the"} ${kind} sync…`;
    const result = await withProgress(resultSlot, start, label, async (indicator) => {
      const answer = await ctx.api.post("/sync", request);
      if (!RUNNING.has(answer.status) || !answer.run_id) return answer;
      // Continues from the command queue: follow the run until it is done (a run id is made of
      // [\w.:-], safe in a path as it is: encoding its colons would not match the route).
      const started = Date.now();
      let run = answer;
      for (let polls = 0; Date.now() - started < POLL_LIMIT_MS; polls += 1) {
        indicator.update(progressLabel(kind, run));
        // Soon at first (a small club's run is done in a second), then every POLL_MS.
        await new Promise((resolve) => (polling = setTimeout(resolve, Math.min(POLL_MS, 250 * 2 ** polls))));
        run = await ctx.api.get(`/sync-runs/${answer.run_id}`);
        if (!RUNNING.has(run.status)) return run;
      }
      return run;
    });
    if (!result) return;
    replace(resultSlot, resultView(result));
    await Promise.all([showLastRuns(), history.reset()]);
  });

  const historyKind = h("select", { "aria-label": "Kind of runs" }, [["", "every kind"], ["daily", "daily"], ["weekly", "weekly"]].map(([value, text]) => h("option", { value, text })));
  const historySlot = h("div", { class: "slot" });
  const historyList = h("div", { "data-test": "sync-history" });
  const history = new CursorPager({
    label: "runs",
    fetchPage: async (cursor) => {
      const query = new URLSearchParams({ limit: "10" });
      if (cursor) query.set("cursor", cursor);
      if (historyKind.value) query.set("kind", historyKind.value);
      const answer = await withProgress(historySlot, null, "Reading the run history…", () => ctx.api.get(`/sync-runs?${query}`));
      if (!answer) return null;
      replace(historySlot);
      return { items: answer.runs, next: answer.next_cursor };
    },
    onPage: (runs) =>
      replace(
        historyList,
        runs.length
          ? table(
              ["Started", "Kind", "Status", "Finished", "Commands queued", "Kisi calls", "Errors"],
              runs.map((run) =>
                h(
                  "tr",
                  {},
                  h("td", { text: when(run.started_at) }),
                  h("td", { text: run.kind }),
                  h("td", {}, badge(run.status, STATUS_KIND[run.status] || "neutral")),
                  h("td", { text: run.finished_at ? when(run.finished_at) : "not yet" }),
                  h("td", { text: String(run.commands_enqueued ?? "—") }),
                  h("td", { text: String(run.kisi_calls ?? "—") }),
                  h("td", { text: (run.errors && run.errors.length ? run.errors.join("; ") : run.error) || "none" }),
                ),
              ),
            )
          : note("No run recorded yet (runs are kept 90 days; dry runs are not recorded).", "info"),
      ),
  });
  historyKind.addEventListener("change", () => history.reset());

  replace(
    root,
    card(
      "Start a sync",
      h("p", { class: "muted", text: "The daily and weekly syncs run on their own schedule; start one now for this club, or as a dry run to see what would change." }),
      form,
      resultSlot,
    ),
    h("h2", { class: "section-title", text: "Last runs" }),
    lastRuns,
    card("History", h("div", { class: "toolbar" }, historyKind), historySlot, historyList, history.node),
  );
  await Promise.all([showLastRuns(), history.reset()]);
}

function numbers(result) {
  const rows = [];
  const counts = { ...(result.counts || {}) };
  for (const key of ["groups", "members_checked", "assignments_listed", "managed_assignments", "unmanaged_assignments", "drift_total", "commands_enqueued", "kisi_calls"]) {
    if (result[key] !== undefined) counts[key] = Array.isArray(result[key]) ? result[key].join(", ") || "none" : result[key];
  }
  for (const [key, value] of Object.entries(counts)) rows.push([LABELS[key] || key.replace(/_/g, " "), String(value)]);
  return rows;
}

function runCard(title, run) {
  if (!run) return card(title, h("p", { class: "muted", text: "No run yet." }));
  return card(
    title,
    h("p", {}, badge(run.status, STATUS_KIND[run.status] || "neutral"), run.dry_run ? " dry run" : ""),
    facts([
      ["Started", when(run.started_at)],
      ["Finished", run.finished_at ? when(run.finished_at) : "not yet"],
      ...numbers(run),
      ["Errors", (run.errors && run.errors.length ? run.errors.join("; ") : run.error) || "none"],
    ]),
  );
}

function resultView(result) {
  const drift = result.drift || null;
  const report = Array.isArray(result.drift_report) ? result.drift_report : [];
  const rows = h("tbody");
  const pager = new Paginator({
    pageSize: 10,
    label: "drift items",
    onChange: (visible) =>
      replace(
        rows,
        visible.map((item) =>
          h(
            "tr",
            {},
            h("td", { text: item.member_id }),
            h("td", { text: DRIFT_KINDS[item.kind] || item.kind }),
            h("td", { text: item.email || "—" }),
            h("td", { text: String(item.group_id ?? "—") }),
            h("td", { text: item.reason || "—" }),
            h("td", { text: `${item.expected_valid_until || "no end"} / ${item.kisi_valid_until || "no end"}` }),
          ),
        ),
      ),
  });
  const total = drift ? Object.values(drift).reduce((sum, n) => sum + Number(n || 0), 0) : null;
  const driftTable = h(
    "table",
    { "aria-label": "Drift report" },
    h("thead", {}, h("tr", {}, ["Member", "Drift", "Email", "Group", "Rule's reason", "Valid until: expected / in Kisi"].map((t) => h("th", { scope: "col", text: t })))),
    rows,
  );
  const view = h(
    "div",
    { class: "result" },
    h("p", {}, badge(result.status, STATUS_KIND[result.status] || "neutral"), ` ${result.kind} sync${result.dry_run ? ", dry run: nothing was changed" : ""}`),
    facts([
      ["Started", when(result.started_at)],
      ["Finished", result.finished_at ? when(result.finished_at) : "not yet"],
      result.connection_state ? ["Kisi connection", result.connection_state] : null,
      ...numbers(result),
      ["Errors", (result.errors && result.errors.length ? result.errors.join("; ") : result.error) || "none"],
    ]),
    drift
      ? h(
          "div",
          {},
          h("h3", { text: total ? `Drift: ${total} member${total === 1 ? " differs" : "s differ"} from Kisi` : "No drift: Kisi matches the rules" }),
          h("ul", {}, Object.entries(drift).map(([kind, n]) => h("li", { text: `${DRIFT_KINDS[kind] || kind}: ${n}` }))),
          report.length ? [driftTable, pager.node] : null,
          result.dry_run && total ? note("A real weekly run queues one repair per drifted member; the worker writes only the difference.", "info") : null,
        )
      : null,
  );
  if (report.length) pager.setItems(report);
  return view;
}
