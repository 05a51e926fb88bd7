// Audit log: the club's trail newest first (GET /audit), filtered by time range and action
// prefix, a page at a time (the API's `next` position).

import { h, replace, card, field, note, when, withProgress, table, CursorPager, isoFromLocal } from "../ui.js";

export const title = "Audit log";

const ACTIONS = [
  ["", "Every action"],
  ["admin.", "Admin actions (admin.)"],
  ["kisi.", "Kisi writes (kisi.)"],
  ["kisi.grant", "Kisi grants"],
  ["kisi.revoke", "Kisi revokes"],
  ["unlock.", "Unlock attempts (unlock.)"],
  ["unlock.refused", "Refused unlocks"],
];

export async function render(root, ctx) {
  const since = h("input", { type: "datetime-local" });
  const until = h("input", { type: "datetime-local" });
  const action = h("select", {}, ACTIONS.map(([value, text]) => h("option", { value, text })));
  const limit = h("select", {}, [25, 50, 100, 200].map((n) => h("option", { value: String(n), text: `${n} a page`, selected: n === 50 })));
  const apply = h("button", { type: "submit", text: "Show entries" });
  const slot = h("div", { class: "slot" });
  const list = h("div", { "data-test": "audit-entries" });

  const pager = new CursorPager({
    label: "entries",
    fetchPage: async (cursor) => {
      const query = new URLSearchParams({ limit: limit.value });
      if (cursor) query.set("after", cursor);
      const from = isoFromLocal(since);
      const to = isoFromLocal(until);
      if (from) query.set("since", from);
      if (to) query.set("until", to);
      if (action.value) query.set("action", action.value);
      replace(list);
      const answer = await withProgress(slot, apply, "Reading the audit trail…", () => ctx.api.get(`/audit?${query}`));
      if (!answer) return null;
      replace(slot);
      return { items: answer.entries, next: answer.next };
    },
    onPage: (entries) =>
      replace(
        list,
        entries.length
          ? table(
              ["When", "Action", "Subject", "Actor", "Detail"],
              entries.map((entry) =>
                h(
                  "tr",
                  {},
                  h("td", { text: when(entry.at) }),
                  h("td", {}, h("code", { text: entry.action })),
                  h("td", { text: entry.subject || "—" }),
                  h("td", { text: entry.actor }),
                  h("td", { class: "mono small detail", text: Object.keys(entry.detail || {}).length ? JSON.stringify(entry.detail) : "—" }),
                ),
              ),
            )
          : note("No entries on this page (the action filter drops some; try the next page or widen the filters).", "info"),
      ),
  });

  const form = h(
    "form",
    { "aria-label": "Filter the audit log", class: "inline-form" },
    field("From", since, "Your local time."),
    field("Until", until),
    field("Action", action),
    field("Page size", limit),
    h("div", { class: "actions" }, apply),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    pager.reset();
  });
  replace(root, card("The club's audit trail (kept 90 days)", form, slot, list, pager.node));
  await pager.reset();
}
