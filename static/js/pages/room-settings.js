// Room settings for its owner: who may read it (public / private). Members are managed on the
// members page; turning a room private ends the live subscriptions of non-members (PROTOCOL.md).

import { patch } from "../api.js";
import { h } from "../dom.js";
import { addMessages, errorText, t } from "../i18n.js";

addMessages({
  fr: {
    "roomsettings.title": "Réglages du salon",
    "roomsettings.visibility": "Qui peut lire ce salon",
    "roomsettings.public": "Public : tout le monde peut le lire, les personnes connectées peuvent le rejoindre",
    "roomsettings.private": "Privé : seuls ses membres le lisent",
    "roomsettings.save": "Enregistrer",
    "roomsettings.saved_public": "Le salon est maintenant public.",
    "roomsettings.saved_private": "Le salon est maintenant privé : les personnes qui ne sont pas membres n’y ont plus accès, tout de suite.",
    "roomsettings.revoked": "Vous n’avez plus accès à ce salon (il est devenu privé, ou vous n’en êtes plus membre).",
  },
  en: {
    "roomsettings.title": "Room settings",
    "roomsettings.visibility": "Who may read this room",
    "roomsettings.public": "Public: anyone may read it, signed-in people may join",
    "roomsettings.private": "Private: only its members read it",
    "roomsettings.save": "Save",
    "roomsettings.saved_public": "The room is now public.",
    "roomsettings.saved_private": "The room is now private: people who are not members lose access at once.",
    "roomsettings.revoked": "You no longer have access to this room (it became private, or you are no longer a member).",
  },
});

export function roomSettings(room) {
  if (room.role !== "owner") return null;
  const status = h("p", { role: "status", "data-testid": "room-settings-status" });
  const choice = (value) =>
    h(
      "div",
      { class: "field row" },
      h("input", { type: "radio", name: "visibility", value, id: `room-vis-${value}`, checked: room.visibility === value, "data-testid": `room-visibility-${value}` }),
      h("label", { for: `room-vis-${value}`, class: "inline", text: t(`roomsettings.${value}`) }),
    );
  const save = h("button", { type: "submit", "data-testid": "room-settings-save", text: t("roomsettings.save") });
  const form = h("form", {}, h("fieldset", { class: "ballot" }, h("legend", { text: t("roomsettings.visibility") }), choice("public"), choice("private")), save, status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const visibility = form.elements.visibility.value;
    save.disabled = true;
    status.className = "";
    try {
      const updated = await patch(`rooms/${room.id}`, { visibility });
      room.visibility = updated.visibility || visibility;
      status.textContent = t(`roomsettings.saved_${room.visibility}`);
    } catch (err) {
      status.className = "form-error";
      status.textContent = errorText(err);
    } finally {
      save.disabled = false;
    }
  });
  return h("details", { class: "card room-settings", "data-testid": "room-settings" }, h("summary", { "data-testid": "room-settings-open", text: t("roomsettings.title") }), form);
}

/** Shown when the server ends this page's subscription (`unsubscribed`, code `forbidden`). */
export function accessLost() {
  return h("p", { class: "banner banner-bad", role: "alert", "data-testid": "room-revoked", text: t("roomsettings.revoked") });
}
