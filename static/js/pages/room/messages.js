// The message list of a room: rendering, day separators, long-message folding, and keyboard
// navigation: the list is one tab stop (arrow keys move between messages), and a focused
// message's buttons are one more (arrow keys move between them), so Tab goes list → its
// message's tools → composer whatever the number of messages or buttons.

import { avatar } from "../../avatars.js";
import { h } from "../../dom.js";
import { formatDate, formatDateTime, formatTime, t } from "../../i18n.js";

const FOLD_OVER_CHARS = 600;
const QUOTE_CHARS = 120;

function dayKey(iso) {
  return formatDate(iso, { year: "numeric", month: "2-digit", day: "2-digit" });
}

export class MessageList {
  /**
   * @param {object} opts
   * @param {string|null} opts.me the signed-in username (null when anonymous)
   * @param {(msg) => void} opts.onReply
   * @param {(entry) => void} opts.onEdit
   * @param {(msg) => void} opts.onDelete
   * @param {(msg) => void} opts.onReport report someone else's message to the room's co-moderation
   * @param {() => void} opts.onTop arrow-up past the first message: load older ones
   */
  constructor({ me, onReply, onEdit, onDelete, onReport, onTop }) {
    this.me = me;
    this.handlers = { onReply, onEdit, onDelete, onReport, onTop };
    this.byId = new Map(); // message id -> {msg, el}
    // Set by the room page: extras.reactionsEl(msg) draws a message's reactions bar.
    this.extras = null;
    this.hint = h("p", { id: "messages-hint", class: "visually-hidden", text: t("room.keys_hint") });
    this.el = h("ol", { class: "messages", "data-testid": "messages", "aria-label": t("room.messages"), "aria-describedby": this.hint.id });
    this.el.addEventListener("keydown", (ev) => this.onKey(ev));
    this.el.addEventListener("focusin", (ev) => this.setActions(ev.target.closest("li.msg"), true, ev.target.matches("button") ? ev.target : null));
    this.el.addEventListener("focusout", (ev) => {
      const li = ev.target.closest("li.msg");
      if (li && !li.contains(ev.relatedTarget)) this.setActions(li, false);
    });
  }

  has(id) {
    return this.byId.has(id);
  }

  get(id) {
    return this.byId.get(id);
  }

  clear() {
    this.byId.clear();
    this.el.replaceChildren();
  }

  replySnippet(msg) {
    if (!msg.reply_to) return null;
    const target = this.byId.get(msg.reply_to);
    const el = h("blockquote", { class: "reply-ref", "data-testid": "message-reply-ref", "data-reply-to": String(msg.reply_to) });
    if (target) {
      const body = target.msg.deleted ? t("room.deleted") : target.msg.hidden ? t("room.hidden") : target.msg.body;
      el.append(h("strong", { text: target.msg.author }), " ", h("span", { text: body.length > QUOTE_CHARS ? `${body.slice(0, QUOTE_CHARS)}…` : body }));
    } else {
      el.textContent = t("room.reply_to_unknown");
    }
    return el;
  }

  body(msg) {
    const body = h("p", { class: "body", "data-testid": "message-body" });
    body.textContent = msg.deleted ? t("room.deleted") : msg.hidden ? t("room.hidden") : msg.body;
    if (msg.deleted || msg.hidden || msg.body.length <= FOLD_OVER_CHARS) return [body];
    // A very long message is folded so that it does not fill the pane; the full text stays in the DOM.
    body.classList.add("folded");
    const toggle = h("button", { type: "button", class: "link", "data-testid": "show-more", "aria-expanded": "false", tabindex: "-1", text: t("room.show_more") });
    toggle.addEventListener("click", () => {
      const folded = body.classList.toggle("folded");
      toggle.setAttribute("aria-expanded", String(!folded));
      toggle.textContent = t(folded ? "room.show_more" : "room.show_less");
    });
    return [body, toggle];
  }

  fill(entry) {
    const { msg, el } = entry;
    const { me } = this;
    el.dataset.seq = String(msg.seq);
    el.dataset.id = String(msg.id);
    el.dataset.author = msg.author;
    el.dataset.day = dayKey(msg.at);
    el.classList.toggle("mine", msg.author === me);
    el.classList.toggle("deleted", Boolean(msg.deleted));
    el.classList.toggle("hidden-msg", Boolean(msg.hidden) && !msg.deleted);
    el.dataset.hidden = String(Boolean(msg.hidden) && !msg.deleted);
    const meta = h(
      "div",
      { class: "meta" },
      avatar(msg.author, 24),
      h("strong", { "data-testid": "message-author", text: msg.author }),
      " ",
      h("time", { datetime: msg.at, title: formatDateTime(msg.at), text: formatTime(msg.at) }),
      msg.edited_at && !msg.deleted ? h("span", { class: "tag", "data-testid": "message-edited", text: t("room.edited") }) : null,
    );
    const actions = h("div", { class: "actions" });
    const button = (testid, label, fn) => h("button", { type: "button", class: "link", "data-testid": testid, tabindex: "-1", text: label, onclick: fn });
    if (!msg.deleted && !msg.hidden && me) {
      actions.append(button("reply", t("room.reply"), () => this.handlers.onReply(msg)));
      if (msg.author === me) {
        actions.append(button("edit", t("room.edit"), () => this.handlers.onEdit(entry)), button("delete", t("room.delete"), () => this.handlers.onDelete(msg)));
      } else if (this.handlers.onReport) {
        actions.append(button("report", t("report.action"), () => this.handlers.onReport(msg)));
      }
    }
    // After the actions: the first button reached from a focused message stays "reply".
    const reactions = this.extras ? this.extras.reactionsEl(msg) : null;
    const tools = h("div", { class: "msg-tools", role: "toolbar", "aria-label": t("room.message_tools", { user: msg.author }), "data-testid": "message-tools" }, actions, reactions);
    el.replaceChildren(...[meta, this.replySnippet(msg), ...this.body(msg), tools].filter(Boolean));
    if (el.contains(document.activeElement)) this.setActions(el, true);
  }

  make(msg) {
    msg.author = msg.author || "?";
    const entry = { msg, el: h("li", { class: "msg", "data-testid": "message", tabindex: "-1" }) };
    this.byId.set(msg.id, entry);
    this.fill(entry);
    return entry;
  }

  append(msg) {
    const entry = this.make(msg);
    this.el.append(entry.el);
    this.refresh();
    return entry;
  }

  prepend(items) {
    const frag = document.createDocumentFragment();
    for (const msg of items) if (!this.byId.has(msg.id)) frag.append(this.make(msg).el);
    this.el.prepend(frag);
    // Replies to messages that just arrived can now show their quote.
    for (const entry of this.byId.values()) if (entry.msg.reply_to && entry.el.querySelector(".reply-ref:not(:has(strong))")) this.fill(entry);
    this.refresh();
  }

  refreshQuotesOf(id) {
    for (const entry of this.byId.values()) if (entry.msg.reply_to === id) this.fill(entry);
  }

  /** Day separators before the first message of each day, and the one tab stop of the list. */
  refresh() {
    for (const sep of this.el.querySelectorAll("li.day")) sep.remove();
    let previous = null;
    for (const li of this.el.querySelectorAll("li.msg")) {
      if (li.dataset.day !== previous) {
        const at = this.byId.get(Number(li.dataset.id))?.msg.at;
        li.before(h("li", { class: "day", "data-testid": "day-separator", text: formatDate(at, { dateStyle: "full" }) }));
        previous = li.dataset.day;
      }
    }
    const items = this.el.querySelectorAll("li.msg");
    if (!items.length || [...items].some((li) => li.tabIndex === 0)) return;
    items[items.length - 1].tabIndex = 0;
  }

  /** The buttons of a message the arrow keys walk (its "show more", actions and reactions). */
  buttons(li) {
    return [...li.querySelectorAll("button")].filter((b) => !b.disabled);
  }

  /** Roving tab stop: while a message holds the focus, one of its buttons is the next Tab stop
   * (the last one used, else the first of its toolbar); the others are reached by arrow keys. */
  setActions(li, on, current = null) {
    if (!li) return;
    const buttons = this.buttons(li);
    const stop = on ? current || buttons.find((b) => b.dataset.stop === "true") || li.querySelector(".msg-tools button:not([disabled])") || buttons[0] : null;
    for (const b of li.querySelectorAll("button")) {
      b.tabIndex = b === stop ? 0 : -1;
      if (current) b.dataset.stop = String(b === stop);
    }
  }

  /** Left/right (Home/End) walk a message's buttons; Escape goes back to the message. */
  onToolKey(ev, li) {
    const buttons = this.buttons(li);
    const i = buttons.indexOf(ev.target);
    if (i < 0) return;
    if (ev.key === "Escape") {
      ev.preventDefault();
      li.focus();
      return;
    }
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: buttons.length - 1 }[ev.key];
    if (to == null) return;
    ev.preventDefault();
    buttons[(to + buttons.length) % buttons.length].focus();
  }

  onKey(ev) {
    const li = ev.target.closest("li.msg");
    if (!li) return;
    if (ev.target !== li) {
      this.onToolKey(ev, li);
      return;
    }
    const items = [...this.el.querySelectorAll("li.msg")];
    const i = items.indexOf(li);
    let next = null;
    if (ev.key === "ArrowUp") {
      if (i === 0) this.handlers.onTop();
      next = items[i - 1];
    } else if (ev.key === "ArrowDown") next = items[i + 1];
    else if (ev.key === "Home") next = items[0];
    else if (ev.key === "End") next = items[items.length - 1];
    else return;
    ev.preventDefault();
    if (!next) return;
    li.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  }
}
