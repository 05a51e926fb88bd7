// Access rules: the club's settings (GET/PUT /settings): which plans carry 24-hour access and
// their Kisi group, the default group, the pre-reservation window, reservation unlocks on/off.
// The first save creates the club (a tenant has no settings until then).

import { ApiError } from "../api.js";
import { h, replace, card, badge, note, field, checkboxField, errorPanel, withProgress, Paginator, when } from "../ui.js";

export const title = "Access rules";

const PLATFORMS = [
  ["pushpress", "PushPress (gym memberships)"],
  ["playbypoint", "Playbypoint (court bookings)"],
  ["canonical", "Canonical (the bridge's own event format)"],
];
const REVOKE_MODES = [
  ["remove_assignment", "Remove the group assignment (keep the Kisi user)"],
  ["delete_created_users", "Delete Kisi users the bridge created (adopted users are never deleted)"],
];

function select(options, value) {
  return h("select", {}, options.map(([v, label]) => h("option", { value: v, text: label, selected: v === value })));
}

function groupValue(input) {
  return input.value === "" ? null : Number(input.value);
}

export async function render(root, ctx) {
  const slot = h("div", { class: "slot" });
  let settings = null;
  try {
    settings = await ctx.api.get("/settings");
  } catch (error) {
    if (!(error instanceof ApiError && error.code === "tenant_not_found")) throw error;
    slot.append(note(`${error.message} Choose the club's platform and save to create its settings.`, "warning"));
  }
  draw(root, ctx, settings, slot);
}

function draw(root, ctx, settings, slot) {
  const creating = settings === null;
  const current = settings || {
    name: "",
    platform: "pushpress",
    door_access_enabled: true,
    pre_reservation_window_minutes: 15,
    kisi_group_id: null,
    send_invitation_emails: true,
    revoke_mode: "remove_assignment",
    plans: [],
  };
  ctx.setClubName(current.name);

  const name = h("input", { type: "text", maxLength: 200, value: current.name });
  const platform = select(PLATFORMS, current.platform);
  const doorAccess = h("input", { type: "checkbox", checked: current.door_access_enabled });
  const windowMinutes = h("input", { type: "number", min: "0", max: "240", step: "1", required: true, value: String(current.pre_reservation_window_minutes) });
  const defaultGroup = h("input", { type: "number", min: "1", step: "1", placeholder: "none", list: "kisi-groups", value: current.kisi_group_id === null ? "" : String(current.kisi_group_id) });
  // The Kisi groups to pick from (GET /kisi-groups): suggestions on every group field, and a picker.
  const groupList = h("datalist", { id: "kisi-groups" });
  const groupPicker = h("select", { "aria-label": "Pick the default Kisi group", onchange: () => groupPicker.value && (defaultGroup.value = groupPicker.value) });
  const groupSlot = h("div", { class: "slot" });
  async function loadGroups() {
    try {
      const answer = await ctx.api.get("/kisi-groups");
      const options = answer.groups.map((group) => [String(group.id), `${group.name}${group.place_name ? ` (${group.place_name})` : ""} · id ${group.id}`]);
      replace(groupList, options.map(([value, label]) => h("option", { value, label })));
      replace(groupPicker, h("option", { value: "", text: `Pick from Kisi's ${options.length} groups…` }), options.map(([value, text]) => h("option", { value, text })));
      replace(groupSlot);
    } catch (error) {
      groupPicker.hidden = true;
      replace(groupSlot, note(`Kisi's groups could not be listed (${error.message}); type the group id instead.`, "warning"));
    }
  }
  if (!creating) loadGroups();
  const invitations = h("input", { type: "checkbox", checked: current.send_invitation_emails });
  const revokeMode = select(REVOKE_MODES, current.revoke_mode);

  // Plans: the stored ones with their flags, plus any the admin adds here.
  const plans = current.plans.map((plan) => ({ ...plan, draft: { has_24h_access: plan.has_24h_access, kisi_group_id: plan.kisi_group_id }, added: false }));
  const planRows = h("tbody");
  const pager = new Paginator({ pageSize: 10, label: "plans", onChange: (visible) => replace(planRows, visible.map(planRow)) });
  const noPlans = note("No plan is known yet: plans arrive with the platform's plan webhooks, or add one below.", "info");

  function planRow(plan) {
    const access = h("input", { type: "checkbox", checked: plan.draft.has_24h_access, "aria-label": `24-hr access: ${plan.name || plan.plan_id}` });
    access.addEventListener("change", () => (plan.draft.has_24h_access = access.checked));
    const group = h("input", {
      type: "number",
      min: "1",
      step: "1",
      placeholder: "default",
      class: "narrow",
      list: "kisi-groups",
      value: plan.draft.kisi_group_id === null ? "" : String(plan.draft.kisi_group_id),
      "aria-label": `Kisi group: ${plan.name || plan.plan_id}`,
    });
    group.addEventListener("input", () => (plan.draft.kisi_group_id = groupValue(group)));
    return h(
      "tr",
      {},
      h("td", {}, h("strong", { text: plan.name || plan.plan_id }), plan.name ? h("div", { class: "muted mono", text: plan.plan_id }) : null),
      h("td", { class: "toggle" }, access),
      h("td", {}, group),
      h("td", { text: plan.added ? "—" : plan.effective_kisi_group_id ?? "none" }),
      h("td", {}, plan.added ? badge("new, not saved", "warn") : h("span", { text: `${plan.flags_set_by}, ${when(plan.updated_at)}` })),
    );
  }

  function showPlans() {
    pager.setItems(plans, { keepPage: true });
    noPlans.hidden = plans.length > 0;
    planTable.hidden = plans.length === 0;
  }

  const planTable = h(
    "table",
    {},
    h("thead", {}, h("tr", {}, ["Plan", "24-hr access", "Kisi group", "Members get group", "Flags set by"].map((t) => h("th", { scope: "col", text: t })))),
    planRows,
  );
  const newPlanId = h("input", { type: "text", maxLength: 128, spellcheck: false });
  const newPlanAccess = h("input", { type: "checkbox", checked: true });
  const addPlan = h("button", { type: "button", class: "secondary", text: "Add plan" });
  const addSlot = h("div", { class: "slot" });
  addPlan.addEventListener("click", () => {
    const id = newPlanId.value.trim();
    if (!id) {
      replace(addSlot, errorPanel(new Error("Give the plan's id as the platform names it.")));
      return;
    }
    if (plans.some((plan) => plan.plan_id === id)) {
      replace(addSlot, errorPanel(new Error(`Plan ${id} is already listed.`)));
      return;
    }
    plans.push({ plan_id: id, name: "", added: true, draft: { has_24h_access: newPlanAccess.checked, kisi_group_id: null } });
    newPlanId.value = "";
    replace(addSlot);
    showPlans();
    pager.go(pager.pages - 1);
  });

  const save = h("button", { type: "submit", text: creating ? "Create the club's settings" : "Save access rules" });
  const form = h(
    "form",
    { "aria-label": "Access rules", novalidate: true },
    card(
      "Reservations",
      checkboxField("Reservation unlocks on", doorAccess, "Players with a booking may open the available doors (Locks) from the app."),
      field("Pre-reservation window (minutes)", windowMinutes, "Doors open this many minutes before a booking starts (0 to 240); they close when it ends."),
    ),
    card(
      "Plans with 24-hr access",
      h("p", { class: "muted", text: "Members on a plan with 24-hour access get the plan's Kisi group (or the default group) and lose it when the plan pauses, expires or is cancelled. The later change wins: a platform plan webhook newer than your change overrides it." }),
      field("Default Kisi group id", defaultGroup, "The group of every 24-hour plan that names none. Empty: none (such plans grant nothing)."),
      creating ? null : h("div", { class: "toolbar" }, groupPicker, groupList),
      groupSlot,
      noPlans,
      planTable,
      pager.node,
      h("div", { class: "toolbar" }, h("div", { class: "field" }, h("label", { for: "new-plan-id", text: "Plan id" }), Object.assign(newPlanId, { id: "new-plan-id" })), h("span", { class: "field-check" }, newPlanAccess, h("label", { for: "new-plan-access", text: "24-hr access" })), addPlan),
      addSlot,
    ),
    card(
      "Club",
      field("Club name", name),
      field("Platform", platform, "The platform that sends this club's webhooks (their format)."),
      checkboxField("Kisi invitation emails", invitations, "Kisi emails new users their sign-in instructions."),
      field("When access ends", revokeMode),
    ),
    h("div", { class: "actions sticky-actions" }, save),
    slot,
  );
  newPlanAccess.id = "new-plan-access";

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const minutes = Number(windowMinutes.value);
    if (windowMinutes.value === "" || !Number.isInteger(minutes) || minutes < 0 || minutes > 240) {
      replace(slot, errorPanel(new Error("The pre-reservation window is a whole number of minutes from 0 to 240.")));
      windowMinutes.focus();
      return;
    }
    const body = {
      name: name.value.trim(),
      platform: platform.value,
      door_access_enabled: doorAccess.checked,
      pre_reservation_window_minutes: minutes,
      kisi_group_id: groupValue(defaultGroup),
      send_invitation_emails: invitations.checked,
      revoke_mode: revokeMode.value,
      plans: plans
        .filter((plan) => plan.added || plan.draft.has_24h_access !== plan.has_24h_access || plan.draft.kisi_group_id !== plan.kisi_group_id)
        .map((plan) => ({ plan_id: plan.plan_id, has_24h_access: plan.draft.has_24h_access, kisi_group_id: plan.draft.kisi_group_id })),
    };
    const saved = await withProgress(slot, save, creating ? "Creating…" : "Saving…", () => ctx.api.put("/settings", body));
    if (!saved) {
      if (slot.querySelector(".error-panel") && slot.textContent.includes("changed while you were editing")) {
        slot.querySelector(".error-panel").append(h("button", { type: "button", text: "Reload the settings", onclick: () => render(root, ctx) }));
      }
      return;
    }
    const message = saved.reevaluating_plans.length
      ? `Saved. Re-evaluating the members of: ${saved.reevaluating_plans.join(", ")}.`
      : creating
        ? "The club's settings are created. Next: connect Kisi."
        : "Saved. No member's access changed.";
    const doneSlot = h("div", { class: "slot" }, note(message, "success"));
    draw(root, ctx, saved, doneSlot);
  });

  replace(root, form);
  showPlans();
}
