// The inbox: notifications (live), invitations to accept or decline, notification preferences.

import { api, get, post } from "../api.js";
import { notificationText, onPersonalEvent } from "../bell.js";
import { clear, field, h } from "../dom.js";
import { errorText, formatDateTime, t } from "../i18n.js";
import "../notifications-i18n.js";
import { signinPrompt } from "./auth.js";

const KINDS = [
  "mention", "reply", "waitlist_promoted", "event_updated", "event_cancelled", "event_starting",
  "room_invitation", "event_invitation", "proposal_opened", "proposal_closing", "proposal_result", "moderation",
  "action_assigned", "action_updated",
];

/** "3 unread" next to a room the person is a member of (rooms list, inbox). */
export function unreadBadge(room) {
  if (!room.unread) return null;
  return h("span", { class: "count-badge", "data-testid": "unread-badge", "data-count": String(room.unread), text: t("room.unread", { n: room.unread }) });
}

export async function render(ctx, params, container) {
  if (!ctx.me) {
    container.append(signinPrompt());
    return null;
  }
  const list = h("ol", { class: "inbox", "data-testid": "inbox-list", "aria-label": t("inbox.title") });
  const invitations = h("ul", { class: "invitations", "data-testid": "invitations" });
  const status = h("p", { class: "muted", role: "status", "data-testid": "inbox-status" });
  const readAll = h("button", { type: "button", "data-testid": "read-all", text: t("inbox.read_all") });
  const prefs = h("form", { class: "card prefs", "data-testid": "prefs" });
  const myRooms = h("ul", { class: "list", "data-testid": "my-rooms" });
  container.append(
    h("h1", { text: t("inbox.title") }),
    h("section", { class: "card", "aria-labelledby": "inv-h" }, h("h2", { id: "inv-h", text: t("inbox.invitations") }), invitations),
    h("section", { "aria-label": t("inbox.title") }, h("div", { class: "row" }, readAll), status, list),
    h("section", { class: "card", "aria-labelledby": "rooms-h" }, h("h2", { id: "rooms-h", text: t("inbox.rooms") }), myRooms),
    prefs,
  );
  const items = new Map();

  function itemEl(n) {
    const read = h("button", { type: "button", class: "link", "data-testid": "read-one", text: t("inbox.read") });
    const li = h("li", { class: n.read ? "note read" : "note unread", "data-testid": "notification", "data-kind": n.kind },
      h("a", { href: (n.data && n.data.url) || "#/inbox", text: notificationText(n) }),
      " ",
      h("time", { class: "muted", datetime: n.at, text: formatDateTime(n.at, undefined, { dateStyle: "short", timeStyle: "short" }) }),
      n.read ? null : read,
    );
    read.addEventListener("click", () => post(`notifications/${n.id}/read`).catch((e) => (status.textContent = errorText(e))));
    return li;
  }
  function show(n, { prepend = false } = {}) {
    const el = itemEl(n);
    const old = items.get(n.id);
    items.set(n.id, { n, el });
    if (old) old.el.replaceWith(el);
    else if (prepend) list.prepend(el);
    else list.append(el);
    status.textContent = items.size ? "" : t("inbox.empty");
  }

  async function loadInvitations() {
    const pending = await get("rooms/invitations/pending");
    clear(invitations);
    if (!pending.length) invitations.append(h("li", { class: "muted", text: t("inbox.no_invitations") }));
    for (const inv of pending) {
      const answer = async (accept) => {
        try {
          await ctx.socket.write({ type: "invitation_answer", topic: `user:${ctx.me.id}`, invitation: inv.id, accept });
          if (accept) ctx.announce(t("inbox.accepted", { room: inv.room_name }));
          await loadInvitations();
        } catch (e) {
          status.textContent = errorText(e);
        }
      };
      invitations.append(
        h("li", { "data-testid": "invitation" },
          h("span", { text: t("inbox.invited", { actor: inv.invited_by || "", room: inv.room_name }) }), " ",
          h("button", { type: "button", "data-testid": "accept", onclick: () => answer(true), text: t("inbox.accept") }), " ",
          h("button", { type: "button", class: "secondary", "data-testid": "decline", onclick: () => answer(false), text: t("inbox.decline") }),
        ),
      );
    }
  }

  async function loadRooms() {
    const rooms = (await get("rooms?limit=200")).items.filter((r) => r.unread != null);
    clear(myRooms).append(...rooms.map((r) => h("li", {}, h("a", { href: `#/room/${r.id}`, "data-testid": "my-room", text: r.name }), " ", unreadBadge(r))));
  }

  async function renderPrefs() {
    const current = await get("notifications/preferences");
    const language = h("select", { "data-testid": "pref-language" }, h("option", { value: "fr", text: "Français" }), h("option", { value: "en", text: "English" }));
    language.value = current.language;
    const digest = h("select", { "data-testid": "pref-digest" }, ["hourly", "daily", "off"].map((d) => h("option", { value: d, text: t(`prefs.digest.${d}`) })));
    digest.value = current.digest;
    const rows = KINDS.map((kind) => {
      const label = t(`pref.${kind}`);
      const box = (channel) => h("input", { type: "checkbox", "data-kind": kind, "data-channel": channel, checked: current.kinds[kind][channel], "aria-label": `${label} — ${t(`prefs.${channel}`)}` });
      return h("tr", {}, h("th", { scope: "row", text: label }), h("td", {}, box("app")), h("td", {}, box("email")));
    });
    const saved = h("p", { class: "muted", role: "status", "data-testid": "prefs-saved" });
    clear(prefs).append(
      h("h2", { text: t("prefs.title") }),
      field(t("prefs.language"), language),
      field(t("prefs.digest"), digest),
      h("div", { class: "table-scroll" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", { text: t("prefs.kind") }), h("th", { text: t("prefs.app") }), h("th", { text: t("prefs.email") }))), h("tbody", {}, rows))),
      h("button", { type: "submit", "data-testid": "prefs-save", text: t("common.save") }),
      saved,
    );
    prefs.onsubmit = async (ev) => {
      ev.preventDefault();
      const kinds = {};
      for (const input of prefs.querySelectorAll("input[data-kind]")) {
        kinds[input.dataset.kind] = { ...(kinds[input.dataset.kind] || {}), [input.dataset.channel]: input.checked };
      }
      try {
        await api("PUT", "notifications/preferences", { language: language.value, digest: digest.value, kinds });
        saved.textContent = t("prefs.saved");
      } catch (e) {
        saved.textContent = errorText(e);
      }
    };
  }

  const stop = onPersonalEvent((frame) => {
    if (frame.kind === "notification.created") {
      show(frame.data, { prepend: true });
      if (frame.data.kind === "room_invitation") loadInvitations();
    } else if (frame.kind === "notification.read") {
      for (const id of frame.data.ids) {
        const item = items.get(id);
        if (item) show({ ...item.n, read: true });
      }
    }
  });
  readAll.addEventListener("click", () => post("notifications/read").catch((e) => (status.textContent = errorText(e))));
  try {
    const page = await get("notifications?limit=50");
    for (const n of page.items) show(n);
    status.textContent = items.size ? "" : t("inbox.empty");
    await Promise.all([loadInvitations(), renderPrefs(), loadRooms()]);
  } catch (e) {
    status.textContent = errorText(e);
  }
  return stop;
}
