// Locks: import Kisi's lock list (POST /locks/sync), choose which doors players may open during
// their booking (availability toggles, Save Selected Locks: PUT /locks/enabled), online/offline
// state. The API answers every lock at once; the console pages and filters them itself.

import { h, replace, card, badge, note, withProgress, Paginator } from "../ui.js";

export const title = "Locks";

export async function render(root, ctx) {
  let locks = [];
  let saved = new Set();
  const selected = new Set();

  const slot = h("div", { class: "slot" });
  const summary = h("p", { class: "summary", "aria-live": "polite" });
  const syncButton = h("button", { type: "button", text: "Sync from Kisi" });
  const reloadButton = h("button", { type: "button", class: "secondary", text: "Reload" });
  const saveButton = h("button", { type: "button", text: "Save Selected Locks" });
  const filter = h("input", { type: "search", placeholder: "Filter by name or place", "aria-label": "Filter locks" });
  const onlyAvailable = h("input", { type: "checkbox", id: "only-available" });
  const rows = h("tbody");
  const pager = new Paginator({ pageSize: 25, label: "locks", onChange: (visible) => replace(rows, visible.map(row)) });
  const list = h(
    "table",
    { class: "locks" },
    h("thead", {}, h("tr", {}, ["Available for this facility", "Lock", "Place", "State", "Last synced"].map((t) => h("th", { scope: "col", text: t })))),
    rows,
  );
  const empty = note("No locks imported yet: Sync from Kisi reads every lock Kisi lists for the connected key.", "info");

  function row(lock) {
    const toggle = h("input", {
      type: "checkbox",
      checked: selected.has(lock.lock_id),
      disabled: lock.missing_in_kisi,
      "aria-label": `Available for this facility: ${lock.name}`,
    });
    toggle.addEventListener("change", () => {
      if (toggle.checked) selected.add(lock.lock_id);
      else selected.delete(lock.lock_id);
      showSummary();
    });
    const state = lock.missing_in_kisi
      ? badge("Missing in Kisi", "bad")
      : lock.online === true
        ? badge("Online", "ok")
        : lock.online === false
          ? badge("Offline", "warn")
          : badge("Unknown", "neutral");
    return h(
      "tr",
      { "data-lock-id": String(lock.lock_id) },
      h("td", { class: "toggle" }, toggle),
      h("td", {}, h("strong", { text: lock.name }), lock.description ? h("div", { class: "muted", text: lock.description }) : null),
      h("td", { text: lock.place_name || "—" }),
      h("td", {}, state),
      h("td", { class: "muted", text: lock.synced_at ? new Date(lock.synced_at).toLocaleString() : "—" }),
    );
  }

  function changes() {
    let count = 0;
    for (const id of selected) if (!saved.has(id)) count += 1;
    for (const id of saved) if (!selected.has(id)) count += 1;
    return count;
  }

  function showSummary() {
    const offline = locks.filter((lock) => lock.online === false).length;
    const missing = locks.filter((lock) => lock.missing_in_kisi).length;
    const pending = changes();
    summary.textContent =
      `${locks.length} locks · ${selected.size} available for players · ${offline} offline` +
      (missing ? ` · ${missing} missing in Kisi` : "") +
      (pending ? ` · ${pending} change${pending === 1 ? "" : "s"} not saved` : "");
    saveButton.disabled = pending === 0;
  }

  function applyFilter({ keepPage = false } = {}) {
    const words = filter.value.trim().toLowerCase();
    const shown = locks.filter(
      (lock) =>
        (!words || `${lock.name} ${lock.place_name} ${lock.description}`.toLowerCase().includes(words)) &&
        (!onlyAvailable.checked || selected.has(lock.lock_id)),
    );
    pager.setItems(shown, { keepPage });
    list.hidden = locks.length === 0;
    empty.hidden = locks.length !== 0;
  }

  function show(answer) {
    locks = answer.locks;
    saved = new Set(locks.filter((lock) => lock.enabled).map((lock) => lock.lock_id));
    selected.clear();
    for (const id of saved) selected.add(id);
    applyFilter({ keepPage: true });
    showSummary();
  }

  async function reload() {
    const answer = await withProgress(slot, reloadButton, "Reading the imported locks…", () => ctx.api.get("/locks"));
    if (answer) show(answer);
    return answer;
  }

  syncButton.addEventListener("click", async () => {
    const result = await withProgress(slot, syncButton, "Syncing from Kisi: reading every lock Kisi lists (250 a page)…", async (indicator) => {
      const synced = await ctx.api.post("/locks/sync");
      indicator.update("Reading the imported locks…");
      show(await ctx.api.get("/locks"));
      return synced;
    });
    if (!result) return;
    replace(
      slot,
      note(
        `Synced from Kisi: Kisi lists ${result.kisi_locks} locks; ${result.added} added, ${result.updated} updated, ` +
          `${result.missing_in_kisi} no longer in Kisi, ${result.enabled} available for players.`,
        "success",
      ),
    );
  });
  reloadButton.addEventListener("click", reload);
  saveButton.addEventListener("click", async () => {
    const lockIds = [...selected].sort((a, b) => a - b);
    const answer = await withProgress(slot, saveButton, "Saving the selection…", () => ctx.api.put("/locks/enabled", { lock_ids: lockIds }));
    if (!answer) return;
    show(answer);
    replace(slot, note(`Saved: ${lockIds.length} lock${lockIds.length === 1 ? "" : "s"} available for players during their booking window; every other lock is not.`, "success"));
  });
  filter.addEventListener("input", () => applyFilter());
  onlyAvailable.addEventListener("change", () => applyFilter());

  replace(
    root,
    card(
      "Doors players may open",
      h("p", { class: "muted", text: "A lock that is available opens from the player's app inside their booking window. New locks start unavailable." }),
      h("div", { class: "toolbar" }, syncButton, reloadButton, filter, h("span", { class: "field-check" }, onlyAvailable, h("label", { for: "only-available", text: "Only available locks" }))),
      slot,
      summary,
      empty,
      list,
      pager.node,
      h("div", { class: "actions sticky-actions" }, saveButton),
    ),
  );
  await reload();
}
