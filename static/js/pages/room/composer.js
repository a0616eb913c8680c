// Writing in a room: the composer (post, reply, typing signal, length check) and in-place editing.
// Nothing is cut or dropped silently: a too-long or empty message is refused with a reason.

import { field, h } from "../../dom.js";
import { errorText, formatNumber, t } from "../../i18n.js";

export const MAX_BODY = 4000;
const TYPING_SEND_EVERY_MS = 2000;
const REPLY_QUOTE_CHARS = 80;

/** Why a body cannot be sent, or null when it can. */
export function bodyProblem(raw) {
  const body = raw.trim();
  if (!body) return t("room.empty_message");
  if (body.length > MAX_BODY) return t("room.too_long", { n: formatNumber(body.length), max: formatNumber(MAX_BODY) });
  return null;
}

export class Composer {
  constructor({ socket, topic, me, onSent }) {
    Object.assign(this, { socket, topic, me, onSent });
    this.replyTo = null;
    this.lastTypingSent = 0;
    this.textarea = h("textarea", { rows: "2", "data-testid": "composer", enterkeyhint: "send" });
    this.counter = h("small", { class: "hint counter", "data-testid": "composer-count", "aria-live": "polite" });
    this.replyBanner = h("div", { class: "reply-banner", "data-testid": "reply-banner", hidden: true });
    this.error = h("p", { class: "form-error", role: "alert", "data-testid": "composer-error" });
    this.pendingList = h("ol", { class: "messages pending-list", "data-testid": "pending-messages" });
    const sendBtn = h("button", { type: "submit", "data-testid": "send", text: t("room.send") });
    this.form = h("form", { class: "composer" }, this.replyBanner, field(t("room.compose"), this.textarea), h("div", { class: "row" }, this.counter, sendBtn), this.error);
    this.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.send();
    });
    this.textarea.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        this.send();
      } else if (ev.key === "Escape" && this.replyTo) {
        this.cancelReply();
      }
    });
    this.textarea.addEventListener("input", () => this.onInput());
  }

  onInput() {
    const n = this.textarea.value.length;
    // The counter appears near the limit only, so it does not distract the usual short message.
    this.counter.textContent = n > MAX_BODY * 0.9 ? t("room.count", { n: formatNumber(n), max: formatNumber(MAX_BODY) }) : "";
    this.counter.classList.toggle("over", n > MAX_BODY);
    if (this.error.dataset.local) this.showError("");
    const now = Date.now();
    if (this.textarea.value && now - this.lastTypingSent > TYPING_SEND_EVERY_MS) {
      this.lastTypingSent = now;
      this.socket.send({ type: "typing", topic: this.topic });
    }
  }

  showError(text, local = false) {
    this.error.textContent = text;
    if (local && text) this.error.dataset.local = "1";
    else delete this.error.dataset.local;
  }

  startReply(msg) {
    this.replyTo = msg;
    const quote = msg.body.length > REPLY_QUOTE_CHARS ? `${msg.body.slice(0, REPLY_QUOTE_CHARS)}…` : msg.body;
    this.replyBanner.replaceChildren(
      h("span", { text: t("room.replying_to", { user: msg.author }) }),
      " ",
      h("q", { text: quote }),
      " ",
      h("button", { type: "button", class: "link", "data-testid": "cancel-reply", text: t("common.cancel"), onclick: () => this.cancelReply() }),
    );
    this.replyBanner.hidden = false;
    this.textarea.focus();
  }

  cancelReply() {
    this.replyTo = null;
    this.replyBanner.hidden = true;
    this.replyBanner.replaceChildren();
  }

  /** The server's echo of one of our posts: drop its pending copy. */
  dropPendingLike(body) {
    for (const li of this.pendingList.children) {
      if (li.dataset.body === body) {
        li.remove();
        return;
      }
    }
  }

  async send() {
    const problem = bodyProblem(this.textarea.value);
    if (problem) {
      this.showError(problem, true);
      this.textarea.focus();
      return;
    }
    const body = this.textarea.value.trim();
    this.showError("");
    const command = { type: "post", topic: this.topic, body };
    if (this.replyTo) command.reply_to = this.replyTo.id;
    const pendingEl = h(
      "li",
      { class: "msg mine pending", "data-testid": "pending-message" },
      h("div", { class: "meta" }, h("strong", { text: this.me }), " ", h("span", { class: "tag", text: t("room.pending") })),
      h("p", { class: "body", text: body }),
    );
    pendingEl.dataset.body = body;
    this.pendingList.append(pendingEl);
    this.onSent();
    this.textarea.value = "";
    this.onInput();
    this.cancelReply();
    try {
      await this.socket.write(command);
      // The posted event normally arrives first; if not, it will render the message itself.
      pendingEl.remove();
    } catch (err) {
      pendingEl.classList.add("failed");
      pendingEl.querySelector(".tag").textContent = t("room.failed");
      this.showError(errorText(err));
    }
  }
}

/** Replace a message's body by an editor; Escape or Cancel puts it back. */
export function startEdit({ entry, socket, topic, restore }) {
  const editor = h("textarea", { rows: "2", "data-testid": "edit-body", "aria-label": t("room.edit_label") });
  editor.value = entry.msg.body;
  const err = h("p", { class: "form-error", role: "alert", "data-testid": "edit-error" });
  const save = async (ev) => {
    ev.preventDefault();
    const problem = bodyProblem(editor.value);
    if (problem) {
      err.textContent = problem;
      return;
    }
    try {
      await socket.write({ type: "edit", topic, message: entry.msg.id, body: editor.value.trim() });
      restore(entry);
    } catch (e) {
      err.textContent = errorText(e);
    }
  };
  const editForm = h(
    "form",
    { class: "edit-form", onsubmit: save },
    editor,
    h("button", { type: "submit", "data-testid": "edit-save", text: t("common.save") }),
    h("button", { type: "button", class: "link", text: t("common.cancel"), onclick: () => restore(entry) }),
    err,
  );
  editor.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") restore(entry);
  });
  entry.el.querySelector(".body").replaceWith(editForm);
  entry.el.querySelector("[data-testid=show-more]")?.remove();
  entry.el.querySelector(".actions").hidden = true;
  editor.focus();
}
