// The bell: follows the signed-in person's `user:<id>` topic (subscribed explicitly, replayed
// with `since` on reconnect by the socket client) and shows the `unread` state's count, in the
// header and in the page title.

import { h } from "./dom.js";
import { t } from "./i18n.js";
import "./notifications-i18n.js";

const BASE_TITLE = "Communecter Live";
let unread = 0;
let stop = null;
const link = h("a", { href: "#/inbox", class: "bell", "data-testid": "bell" });
const listeners = new Set();

function render() {
  link.textContent = unread > 0 ? `🔔 ${unread}` : "🔔";
  link.dataset.count = String(unread);
  link.setAttribute("aria-label", t("bell.label", { n: unread }));
  document.title = unread > 0 ? `(${unread}) ${BASE_TITLE}` : BASE_TITLE;
}

/** The header's bell element (kept across re-renders of the navigation). */
export function bellElement() {
  render();
  return link;
}

/** Follow `user:<id>` for the signed-in person (again after a sign-in; nothing when signed out). */
export function bellStart(ctx) {
  if (stop) stop();
  stop = null;
  unread = 0;
  render();
  if (!ctx.me || !ctx.me.id) return;
  const topic = `user:${ctx.me.id}`;
  stop = ctx.socket.subscribe(topic, {
    state(frame) {
      if (frame.kind !== "unread") return;
      unread = frame.data.unread;
      render();
    },
    event(frame) {
      if (frame.kind === "notification.created") {
        ctx.announce(t("inbox.new", { text: notificationText(frame.data) }));
      }
      for (const l of listeners) l(frame);
    },
  });
}

/** Pages listen to the personal topic's events through the bell's one subscription. */
export function onPersonalEvent(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function notificationText(notification) {
  const data = notification.data || {};
  return t(`kind.${notification.kind}`, { actor: data.actor || "", title: data.title || "" });
}
