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

// Drawn, not an emoji: it must show on systems without an emoji font.
function bellIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "20");
  svg.setAttribute("height", "20");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", "M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1z");
  svg.append(path);
  return svg;
}

function render() {
  link.replaceChildren(bellIcon());
  if (unread > 0) link.append(h("span", { class: "count-badge", text: String(unread) }));
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
  const vars = { actor: data.actor || "", title: data.title || "", reason: data.reason || "" };
  // A variant of the kind for what happened (a moderator's mute or ban, a vote that reopened).
  const variant = data.action || (data.reopened ? "reopened" : "");
  const key = `kind.${notification.kind}.${variant}`;
  return variant && t(key) !== key ? t(key, vars) : t(`kind.${notification.kind}`, vars);
}
