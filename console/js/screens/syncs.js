// Sync runs: start the daily or weekly sync of this club now, or a dry run that reports the
// drift and changes nothing (POST /sync), and the last run of each (GET /status). A large club's
// weekly run answers in_progress and goes on from the queue: the console polls the status.

import { h, replace, card, badge, note, facts, when, withProgress, Paginator } from "../ui.js";

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
const STATUS_KIND = { succeeded: "ok", in_progress: "warn", skipped: "neutral", failed: "bad" };
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
      if (answer.status !== "in_progress") return answer;
      // Continues from the command queue: follow the run record until it is done.
      const started = Date.now();
      while (Date.now() - started < POLL_LIMIT_MS) {
        indicator.update(`The ${kind} sync goes on from the queue (run ${answer.run_id || ""})…`);
        await new Promise((resolve) => (polling = setTimeout(resolve, POLL_MS)));
        const status = await ctx.api.get("/status");
        const run = status.syncs[kind];
        if (run && run.status !== "in_progress") return run;
      }
      return answer;
    });
    if (!result) return;
    replace(resultSlot, resultView(result));
    await showLastRuns();
  });

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
    note("Earlier runs are not listed: the Admin API keeps only the last run of each kind (a run history route does not exist yet).", "info"),
  );
  await showLastRuns();
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
