// The organisers' tools on an event page: check-in desk, attendee CSV, edit, invite, cancel.

import { patch, post } from "../../api.js";
import { field, h } from "../../dom.js";
import { errorText, t } from "../../i18n.js";
import { eventFields } from "./form.js";
import { isCancelled } from "./parts.js";

function editForm(ctx, ev) {
  const { nodes, read } = eventFields("edit-event", ev);
  const status = h("p", { role: "status", "data-testid": "edit-event-status" });
  const form = h("form", {}, nodes, h("button", { type: "submit", "data-testid": "edit-event-submit", text: t("common.save") }), status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const changes = read({ changedOnly: true });
    if (!Object.keys(changes).length) {
      status.textContent = t("event.no_change");
      return;
    }
    try {
      await patch(`events/${ev.id}`, changes);
      ctx.navigate(`#/event/${ev.id}`); // shows the saved event
    } catch (err) {
      status.textContent = errorText(err);
      status.className = "form-error";
    }
  });
  return h("details", { "data-testid": "edit-event" }, h("summary", { text: t("event.edit") }), form);
}

function inviteForm(ev) {
  const names = h("input", { "data-testid": "invite-usernames", autocomplete: "off" });
  const status = h("p", { role: "status", "data-testid": "invite-status" });
  const form = h("form", {}, field(t("event.invite_usernames"), names, t("event.invite_hint")), h("button", { type: "submit", "data-testid": "invite-submit", text: t("event.invite") }), status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const usernames = names.value.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);
    if (!usernames.length) return;
    try {
      await post(`events/${ev.id}/invites`, { usernames });
      status.className = "ok";
      status.textContent = t("event.invited", { n: usernames.length, users: usernames.join(", ") });
      names.value = "";
    } catch (err) {
      status.className = "form-error";
      status.textContent = errorText(err);
    }
  });
  return h("details", { "data-testid": "invite" }, h("summary", { text: t("event.invite") }), form);
}

function cancelForm(ev) {
  const reason = h("input", { "data-testid": "cancel-reason", maxlength: "500" });
  const status = h("p", { class: "form-error", role: "alert" });
  const form = h("form", {}, field(t("event.cancel_reason"), reason), h("button", { type: "submit", class: "danger", "data-testid": "cancel-event", text: t("event.cancel") }), status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!window.confirm(t("event.confirm_cancel"))) return;
    try {
      await post(`events/${ev.id}/cancel`, { reason: reason.value.trim() });
    } catch (err) {
      status.textContent = errorText(err);
    }
  });
  return h("details", { "data-testid": "cancel" }, h("summary", { text: t("event.cancel") }), form);
}

export function organiserPanel(ctx, ev) {
  const live = !isCancelled(ev);
  return h(
    "section",
    { class: "card", "aria-labelledby": "org-h", "data-testid": "organiser-panel" },
    h("h2", { id: "org-h", text: t("event.organiser_tools") }),
    h(
      "p",
      { class: "row wrap" },
      h("a", { href: `#/event/${ev.id}/checkin`, "data-testid": "checkin-link", text: t("event.checkin_link") }),
      h("a", { href: `/api/events/${encodeURIComponent(ev.id)}/attendees.csv`, download: `attendees-${ev.id}.csv`, "data-testid": "csv-link", text: t("event.csv") }),
    ),
    live ? [editForm(ctx, ev), inviteForm(ev), cancelForm(ev)] : null,
  );
}
