// Members and reservations: search (GET /members, GET /reservations, paged), then "why no
// access?" for one member (GET /members/{id}/access) or one player's reservation
// (GET /reservations/{id}/access): the decision, its reason, what Kisi was last told and what is
// still to be written. Reading changes nothing and calls no Kisi.

import { h, replace, card, badge, note, field, facts, when, withProgress, table, CursorPager, isoFromLocal } from "../ui.js";

export const title = "Members & reservations";

const SYNC_STATES = {
  in_sync: "in sync",
  pending: "pending: changed, not written to Kisi yet",
  failed: "failed: the last Kisi write failed (the daily sync retries it)",
};

const MEMBER_STATUSES = ["", "active", "pending_active", "pending_cancel", "paused", "expired", "cancelled"];

export async function render(root, ctx) {
  const members = memberCard(ctx);
  const reservations = reservationCard(ctx);
  replace(root, memberSearchCard(ctx, members.lookUp), members.node, reservationSearchCard(ctx, reservations.lookUp), reservations.node);
  const wanted = new URLSearchParams(location.hash.split("?")[1] || "").get("member");
  if (wanted) await members.lookUp(wanted);
}

function select(label, values, names = {}) {
  return h("select", { "aria-label": label }, values.map((value) => h("option", { value, text: value ? names[value] || value.replace(/_/g, " ") : "any" })));
}

function memberSearchCard(ctx, lookUp) {
  const email = h("input", { type: "email", autocomplete: "off", spellcheck: false });
  const name = h("input", { type: "text", autocomplete: "off", spellcheck: false });
  const status = select("Membership status", MEMBER_STATUSES);
  const syncState = select("Kisi sync state", ["", "in_sync", "pending", "failed"]);
  const submit = h("button", { type: "submit", text: "Search members" });
  const slot = h("div", { class: "slot" });
  const list = h("div", { "data-test": "member-search" });
  const pager = new CursorPager({
    label: "members",
    fetchPage: async (cursor) => {
      const query = new URLSearchParams({ limit: "50" });
      if (cursor) query.set("cursor", cursor);
      if (email.value.trim()) query.set("email", email.value.trim());
      if (name.value.trim()) query.set("name", name.value.trim());
      if (status.value) query.set("status", status.value);
      if (syncState.value) query.set("sync_state", syncState.value);
      replace(list);
      const answer = await withProgress(slot, submit, "Searching the members…", () => ctx.api.get(`/members?${query}`));
      if (!answer) return null;
      replace(slot);
      return { items: answer.members, next: answer.next_cursor };
    },
    onPage: (found) =>
      replace(
        list,
        found.length
          ? table(
              ["Member", "Email", "Plan", "Status", "Kisi", ""],
              found.map((member) =>
                h(
                  "tr",
                  {},
                  h("td", {}, h("strong", { text: member.name || "—" }), " ", h("code", { text: member.member_id })),
                  h("td", { text: member.email || "no email" }),
                  h("td", { text: member.plan_id || "none" }),
                  h("td", { text: member.status.replace(/_/g, " ") + (member.deleted ? " (deleted)" : "") }),
                  h("td", {}, badge(member.sync_state.replace(/_/g, " "), member.sync_state === "failed" ? "bad" : member.sync_state === "pending" ? "warn" : "ok"), member.last_error ? ` ${member.last_error}` : ""),
                  h("td", {}, h("button", { type: "button", class: "secondary", text: `Why? ${member.member_id}`, onclick: () => lookUp(member.member_id) })),
                ),
              ),
            )
          : note("No member on this page matches (filters apply to each page read: try the next page).", "info"),
      ),
  });
  const form = h(
    "form",
    { "aria-label": "Search members", class: "inline-form" },
    field("Email", email, "Exact address, any case."),
    field("Name contains", name),
    field("Status", status),
    field("Sync state", syncState),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    pager.reset();
  });
  return card("Find a member", form, slot, list, pager.node);
}

function reservationSearchCard(ctx, lookUp) {
  const player = h("input", { type: "text", autocomplete: "off", spellcheck: false });
  const from = h("input", { type: "datetime-local" });
  const to = h("input", { type: "datetime-local" });
  const submit = h("button", { type: "submit", text: "Search reservations" });
  const slot = h("div", { class: "slot" });
  const list = h("div", { "data-test": "reservation-search" });
  const pager = new CursorPager({
    label: "reservations",
    fetchPage: async (cursor) => {
      const query = new URLSearchParams({ limit: "50" });
      if (cursor) query.set("cursor", cursor);
      if (player.value.trim()) query.set("player_id", player.value.trim());
      const since = isoFromLocal(from);
      const until = isoFromLocal(to);
      if (since) query.set("from", since);
      if (until) query.set("to", until);
      replace(list);
      const answer = await withProgress(slot, submit, "Searching the reservations…", () => ctx.api.get(`/reservations?${query}`));
      if (!answer) return null;
      replace(slot);
      return { items: answer.reservations, next: answer.next_cursor };
    },
    onPage: (found) =>
      replace(
        list,
        found.length
          ? table(
              ["Reservation", "Court", "Start", "End", "Status", "Players"],
              found.map((reservation) =>
                h(
                  "tr",
                  {},
                  h("td", {}, h("code", { text: reservation.reservation_id })),
                  h("td", { text: reservation.court || "—" }),
                  h("td", { text: when(reservation.start) }),
                  h("td", { text: new Date(reservation.end).toLocaleString() }),
                  h("td", { text: reservation.status }),
                  h(
                    "td",
                    {},
                    reservation.player_ids.map((id) => h("button", { type: "button", class: "secondary", text: `Check ${id}`, onclick: () => lookUp(reservation.reservation_id, id) })),
                  ),
                ),
              ),
            )
          : note("No reservation on this page matches (try the next page).", "info"),
      ),
  });
  const form = h(
    "form",
    { "aria-label": "Search reservations", class: "inline-form" },
    field("Player id", player),
    field("From", from, "Reservations ending at or after (your local time)."),
    field("To", to, "Starting at or before."),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    pager.reset();
  });
  return card("Find a reservation (kept 30 days past its end)", form, slot, list, pager.node);
}

function memberCard(ctx) {
  const memberId = h("input", { type: "text", required: true, spellcheck: false, autocomplete: "off" });
  const slot = h("div", { class: "slot", "data-test": "member-result" });
  const submit = h("button", { type: "submit", text: "Why (no) access?" });
  const form = h(
    "form",
    { "aria-label": "Look up a member", class: "inline-form" },
    field("Member id", memberId, "The platform's member id, as its webhooks name it (or find the member above)."),
    h("div", { class: "actions" }, submit),
  );
  async function lookUp(id) {
    memberId.value = id;
    const answer = await withProgress(slot, submit, "Evaluating the member's access…", () => ctx.api.get(`/members/${encodeURIComponent(id)}/access`));
    if (answer) replace(slot, memberView(answer));
    node.scrollIntoView({ block: "start" });
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = memberId.value.trim();
    if (id) lookUp(id);
  });
  const node = card("Member: why (no) door access?", form, slot);
  return { node, lookUp };
}

function verdict(granted, yes, no) {
  return h("p", { class: `verdict ${granted ? "verdict-yes" : "verdict-no"}` }, badge(granted ? yes : no, granted ? "ok" : "bad"));
}

function memberView(answer) {
  const { decision, member, plan, kisi } = answer;
  const grants = kisi.grants.length
    ? table(
        ["Email", "Group", "Kisi user", "Assignment", "Valid until", "User made by"],
        kisi.grants.map((grant) =>
          h(
            "tr",
            {},
            [grant.email, grant.group_id, grant.user_id ?? "—", grant.assignment_id ?? "—", grant.valid_until ? when(grant.valid_until) : "no end", grant.user_created_by_us ? "the bridge" : "adopted"].map((value) => h("td", { text: String(value) })),
          ),
        ),
      )
    : h("p", { class: "muted", text: "No Kisi group assignment was written for this member." });
  return h(
    "div",
    { class: "result" },
    verdict(decision.granted, "Has door access", "No door access"),
    h("p", { class: "reason" }, h("strong", { text: "Why: " }), h("span", { "data-test": "explanation", text: decision.explanation }), " ", h("code", { text: decision.reason })),
    facts([
      ["Member", `${member.name || "—"} <${member.email || "no email"}>`],
      ["Status", member.status + (member.deleted ? " (deleted in the platform)" : "")],
      ["Plan", plan ? `${plan.name || plan.plan_id}: ${plan.has_24h_access ? "24-hr access" : "no 24-hr access"}, group ${plan.effective_kisi_group_id ?? "none"}` : member.plan_id ? `${member.plan_id} (unknown to the bridge)` : "none"],
      ["Cancellation", member.cancellation_at ? when(member.cancellation_at) : null],
      ["Kisi group now", decision.kisi_group_id],
      ["Access ends", decision.valid_until ? when(decision.valid_until) : null],
      ["Platform data from", when(member.platform_updated_at)],
    ]),
    h("h3", { text: "Kisi state" }),
    facts([
      ["Kisi connection", answer.kisi_connection],
      ["Sync state", SYNC_STATES[kisi.sync_state] || kisi.sync_state],
      ["Last written to Kisi", when(kisi.last_synced_at)],
      ["Last error", kisi.last_error],
      ["In sync", answer.in_sync ? "yes" : "no"],
    ]),
    grants,
    answer.pending_kisi_changes.length
      ? h("div", {}, h("h3", { text: "Still to write to Kisi" }), h("ul", {}, answer.pending_kisi_changes.map((change) => h("li", { text: change }))))
      : h("p", { class: "muted", text: "Nothing left to write to Kisi." }),
    h("p", { class: "muted", text: `Evaluated ${when(answer.evaluated_at)}.` }),
  );
}

function reservationCard(ctx) {
  const reservationId = h("input", { type: "text", required: true, spellcheck: false, autocomplete: "off" });
  const playerId = h("input", { type: "text", required: true, spellcheck: false, autocomplete: "off" });
  const lockId = h("input", { type: "number", min: "1", step: "1", placeholder: "any door" });
  const slot = h("div", { class: "slot", "data-test": "reservation-result" });
  const submit = h("button", { type: "submit", text: "Can the player open doors?" });
  const form = h(
    "form",
    { "aria-label": "Look up a reservation", class: "inline-form" },
    field("Reservation id", reservationId),
    field("Player id", playerId),
    field("Lock id", lockId, "Optional: judge one door."),
    h("div", { class: "actions" }, submit),
  );
  async function check() {
    const query = new URLSearchParams({ player_id: playerId.value.trim() });
    if (lockId.value) query.set("lock_id", lockId.value);
    const path = `/reservations/${encodeURIComponent(reservationId.value.trim())}/access?${query}`;
    const answer = await withProgress(slot, submit, "Evaluating the reservation…", () => ctx.api.get(path));
    if (answer) replace(slot, reservationView(answer));
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    check();
  });
  const node = card("Reservation: can this player open the doors?", form, slot);
  async function lookUp(reservation, player) {
    reservationId.value = reservation;
    playerId.value = player;
    await check();
    node.scrollIntoView({ block: "start" });
  }
  return { node, lookUp };
}

function reservationView(answer) {
  const { decision, reservation } = answer;
  return h(
    "div",
    { class: "result" },
    verdict(decision.allowed, "May open doors now", "May not open doors now"),
    h("p", { class: "reason" }, h("strong", { text: "Why: " }), h("span", { text: decision.explanation }), " ", h("code", { text: decision.reason })),
    facts([
      ["The player's app gets", `HTTP ${decision.player_status}${decision.player_error ? ` ${decision.player_error}` : ""}`],
      ["Doors open", decision.window ? when(decision.window.opens_at) : null],
      ["Doors close", decision.window ? when(decision.window.closes_at) : null],
      ["Reservation", reservation ? `${reservation.court}, ${when(reservation.start)} to ${new Date(reservation.end).toLocaleString()} (${reservation.status})` : "never received from the platform"],
      ["Players", reservation ? reservation.player_ids.join(", ") : null],
      ["Reservation unlocks", answer.door_access_enabled ? `on, ${answer.pre_reservation_window_minutes} minutes before the start` : "off for this club"],
      ["Kisi connection", answer.kisi_connection],
      ["Doors players may open", answer.enabled_locks.length ? answer.enabled_locks.map((door) => `${door.name} (${door.place_name || "no place"})`).join(", ") : "none: choose them in Locks"],
    ]),
    note(`Evaluated ${when(answer.evaluated_at)}; nothing was changed.`, "info"),
  );
}
