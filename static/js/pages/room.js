// A room: live messages, older history on scroll up, replies, edit/delete, presence, typing.

import { get, post, qs } from "../api.js";
import { clear, field, h } from "../dom.js";
import { errorText, formatDateTime, formatTime, t } from "../i18n.js";
import { signinPrompt } from "./auth.js";
import { roomExtras } from "./room-extras.js";

const PAGE_SIZE = 50;
const TYPING_SEND_EVERY_MS = 2000;
const TYPING_SHOWN_FOR_MS = 4000;
const MAX_BODY = 4000;

export async function render(ctx, params, container) {
  const roomId = params[0];
  const { socket } = ctx;
  const me = ctx.me && ctx.me.username;
  container.append(h("p", { class: "muted", text: t("common.loading") }));

  let room;
  try {
    room = await get(`rooms/${encodeURIComponent(roomId)}`);
  } catch (err) {
    container.replaceChildren(h("p", { class: "form-error", role: "alert", "data-testid": "room-error", text: errorText(err) }));
    return null;
  }
  const topic = room.topic || `room:${room.id}`;

  // --- state -----------------------------------------------------------------------------
  const byId = new Map(); // message id -> {msg, el}
  let oldestSeq = null;
  let reachedStart = false;
  let loadingOlder = false;
  let replyTo = null;
  const typingUntil = new Map(); // user -> timestamp
  let lastTypingSent = 0;

  // --- layout ----------------------------------------------------------------------------
  const presenceCount = h("span", { "data-testid": "presence-count", "data-count": "0", text: t("room.online", { n: 0 }) });
  const presenceList = h("ul", { class: "presence", "data-testid": "presence-list", "aria-label": t("room.online", { n: 0 }) });
  const typingLine = h("p", { class: "typing muted", "data-testid": "typing", "aria-live": "off" });
  const olderBtn = h("button", { type: "button", class: "link", "data-testid": "load-older", text: t("room.load_older") });
  const startNote = h("p", { class: "muted center", "data-testid": "history-start", hidden: true, text: t("room.no_older") });
  const list = h("ol", { class: "messages", "data-testid": "messages", "aria-label": t("room.messages"), role: "log", "aria-live": "off" });
  const pendingList = h("ol", { class: "messages pending-list", "data-testid": "pending-messages" });
  const scroller = h("div", { class: "scroller", "data-testid": "scroller", tabindex: "0", "aria-label": t("room.messages") }, olderBtn, startNote, list, pendingList);

  const textarea = h("textarea", { rows: "2", maxlength: String(MAX_BODY), "data-testid": "composer", enterkeyhint: "send" });
  const replyBanner = h("div", { class: "reply-banner", "data-testid": "reply-banner", hidden: true });
  const composeError = h("p", { class: "form-error", role: "alert", "data-testid": "composer-error" });
  const sendBtn = h("button", { type: "submit", "data-testid": "send", text: t("room.send") });
  const form = h("form", { class: "composer" }, replyBanner, field(t("room.compose"), textarea), h("div", { class: "row" }, sendBtn), composeError);

  const extras = roomExtras(ctx, room, { list, textarea });
  container.replaceChildren(
    h("div", { class: "row wrap" }, h("h1", { "data-testid": "room-name", text: room.name }), extras.membersLink()),
    h("div", { class: "room-layout" },
      h("section", { class: "room-main", "aria-label": t("room.messages") }, scroller, typingLine, me ? form : signinPrompt()),
      h("aside", { class: "card room-side" }, h("h2", {}, presenceCount), presenceList),
    ),
  );
  if (me && !room.role && room.visibility === "private") {
    const join = h("button", {
      type: "button",
      "data-testid": "join-room",
      text: t("room.join"),
      onclick: async () => {
        try {
          await post(`rooms/${room.id}/join`, {});
          join.remove();
        } catch (e) {
          composeError.textContent = errorText(e);
        }
      },
    });
    form.before(join);
  }

  // --- rendering -------------------------------------------------------------------------
  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }
  function scrollToBottom() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function replySnippet(msg) {
    if (!msg.reply_to) return null;
    const target = byId.get(msg.reply_to);
    const el = h("blockquote", { class: "reply-ref", "data-testid": "message-reply-ref", "data-reply-to": String(msg.reply_to) });
    if (target) {
      const body = target.msg.deleted ? t("room.deleted") : target.msg.body;
      el.append(h("strong", { text: target.msg.author }), " ", h("span", { text: body.length > 120 ? `${body.slice(0, 120)}…` : body }));
    } else {
      el.textContent = t("room.reply_to_unknown");
    }
    return el;
  }

  function fillMessage(entry) {
    const { msg, el } = entry;
    el.dataset.seq = String(msg.seq);
    el.dataset.id = String(msg.id);
    el.dataset.author = msg.author;
    el.classList.toggle("mine", msg.author === me);
    el.classList.toggle("deleted", Boolean(msg.deleted));
    const meta = h(
      "div",
      { class: "meta" },
      h("strong", { "data-testid": "message-author", text: msg.author }),
      " ",
      h("time", { datetime: msg.at, title: formatDateTime(msg.at), text: formatTime(msg.at) }),
      msg.edited_at && !msg.deleted ? h("span", { class: "tag", "data-testid": "message-edited", text: t("room.edited") }) : null,
    );
    const body = h("p", { class: "body", "data-testid": "message-body" });
    body.textContent = msg.deleted ? t("room.deleted") : msg.body;
    const actions = h("div", { class: "actions" });
    if (!msg.deleted && me) {
      actions.append(h("button", { type: "button", class: "link", "data-testid": "reply", text: t("room.reply"), onclick: () => startReply(msg) }));
      if (msg.author === me) {
        actions.append(
          h("button", { type: "button", class: "link", "data-testid": "edit", text: t("room.edit"), onclick: () => startEdit(entry) }),
          h("button", { type: "button", class: "link", "data-testid": "delete", text: t("room.delete"), onclick: () => removeMessage(msg) }),
        );
      }
    }
    el.replaceChildren(...[meta, replySnippet(msg), body, extras.reactionsEl(msg), actions].filter(Boolean));
  }

  function makeEntry(msg) {
    msg.author = msg.author || "?";
    const entry = { msg, el: h("li", { class: "msg", "data-testid": "message" }) };
    byId.set(msg.id, entry);
    fillMessage(entry);
    return entry;
  }

  function addLive(msg) {
    if (byId.has(msg.id)) return;
    const stick = nearBottom();
    const entry = makeEntry(msg);
    list.append(entry.el);
    if (oldestSeq == null) oldestSeq = msg.seq;
    extras.seen(msg.seq);
    if (msg.author === me) dropPendingLike(msg.body);
    else ctx.announce(t("room.announce", { user: msg.author, body: msg.body.slice(0, 200) }));
    if (stick || msg.author === me) scrollToBottom();
    typingUntil.delete(msg.author);
    renderTyping();
  }

  function prependOlder(items) {
    const before = scroller.scrollHeight;
    const frag = document.createDocumentFragment();
    for (const msg of items) {
      if (byId.has(msg.id)) continue;
      frag.append(makeEntry(msg).el);
    }
    list.prepend(frag);
    scroller.scrollTop += scroller.scrollHeight - before;
    // Replies to messages that just arrived can now show their quote.
    for (const entry of byId.values()) if (entry.msg.reply_to && entry.el.querySelector(".reply-ref:not(:has(strong))")) fillMessage(entry);
  }

  // --- history ---------------------------------------------------------------------------
  async function loadLatest() {
    // Without a cursor the API answers the latest page, and the topic head to resume from.
    const data = await get(`rooms/${room.id}/messages${qs({ limit: PAGE_SIZE })}`);
    clear(list);
    byId.clear();
    const items = data.items || [];
    for (const msg of items) list.append(makeEntry(msg).el);
    oldestSeq = items.length ? items[0].seq : null;
    reachedStart = items.length < PAGE_SIZE;
    renderHistoryEdge();
    scrollToBottom();
    return data.head ?? (items.length ? items[items.length - 1].seq : 0);
  }

  async function loadOlder() {
    if (loadingOlder || reachedStart || oldestSeq == null) return;
    loadingOlder = true;
    olderBtn.disabled = true;
    try {
      const data = await get(`rooms/${room.id}/messages${qs({ before_seq: oldestSeq, limit: PAGE_SIZE })}`);
      const items = data.items || [];
      if (items.length) {
        oldestSeq = items[0].seq;
        prependOlder(items);
      }
      reachedStart = items.length < PAGE_SIZE;
      renderHistoryEdge();
    } catch (err) {
      composeError.textContent = errorText(err);
    } finally {
      loadingOlder = false;
      olderBtn.disabled = false;
    }
  }

  function renderHistoryEdge() {
    olderBtn.hidden = reachedStart;
    startNote.hidden = !reachedStart;
  }

  olderBtn.addEventListener("click", loadOlder);
  scroller.addEventListener("scroll", () => {
    if (scroller.scrollTop < 40) loadOlder();
  });

  // --- live ------------------------------------------------------------------------------
  function renderPresence(data) {
    const users = data.users || [];
    const n = data.count ?? users.length;
    presenceCount.textContent = t("room.online", { n });
    presenceCount.dataset.count = String(n);
    presenceList.setAttribute("aria-label", t("room.online", { n }));
    presenceList.replaceChildren(...users.map((u) => h("li", { "data-testid": "presence-user", text: u })));
  }

  function renderTyping() {
    const now = Date.now();
    for (const [u, until] of typingUntil) if (until < now) typingUntil.delete(u);
    const users = [...typingUntil.keys()];
    typingLine.textContent = users.length ? t("room.typing", { n: users.length, users: users.join(", ") }) : "";
  }
  const typingTimer = setInterval(renderTyping, 1000);

  const listener = {
    event(frame) {
      const d = frame.data || {};
      if (frame.kind === "message.posted") {
        addLive({ id: d.id, seq: frame.seq, author: d.author, body: d.body, reply_to: d.reply_to || null, at: d.at || frame.at, edited_at: null, deleted: false });
      } else if (frame.kind === "message.edited") {
        const entry = byId.get(d.id);
        if (entry) {
          entry.msg.body = d.body;
          entry.msg.edited_at = d.edited_at || frame.at;
          fillMessage(entry);
          refreshQuotesOf(d.id);
        }
      } else if (frame.kind === "reaction.changed") {
        extras.reactionChanged(byId, d, fillMessage);
      } else if (frame.kind === "message.deleted") {
        const entry = byId.get(d.id);
        if (entry) {
          entry.msg.deleted = true;
          fillMessage(entry);
          refreshQuotesOf(d.id);
        }
      }
      extras.onRoomEvent(frame);
    },
    state(frame) {
      if (frame.kind === "presence") renderPresence(frame.data || {});
    },
    typing(frame) {
      if (!frame.user || frame.user === me) return;
      typingUntil.set(frame.user, Date.now() + TYPING_SHOWN_FOR_MS);
      renderTyping();
    },
    async reset() {
      // Too far behind for a replay: start again from the latest page over HTTP.
      try {
        await loadLatest();
      } catch (err) {
        composeError.textContent = errorText(err);
      }
    },
    error(frame) {
      composeError.textContent = errorText(frame);
    },
  };

  function refreshQuotesOf(id) {
    for (const entry of byId.values()) if (entry.msg.reply_to === id) fillMessage(entry);
  }


  // --- writing ---------------------------------------------------------------------------
  function startReply(msg) {
    replyTo = msg;
    replyBanner.replaceChildren(
      h("span", { text: t("room.replying_to", { user: msg.author }) }),
      " ",
      h("q", { text: msg.body.length > 80 ? `${msg.body.slice(0, 80)}…` : msg.body }),
      " ",
      h("button", { type: "button", class: "link", "data-testid": "cancel-reply", text: t("common.cancel"), onclick: cancelReply }),
    );
    replyBanner.hidden = false;
    textarea.focus();
  }
  function cancelReply() {
    replyTo = null;
    replyBanner.hidden = true;
    replyBanner.replaceChildren();
  }

  function startEdit(entry) {
    const editor = h("textarea", { rows: "2", maxlength: String(MAX_BODY), "data-testid": "edit-body", "aria-label": t("room.edit_label") });
    editor.value = entry.msg.body;
    const err = h("p", { class: "form-error", role: "alert" });
    const save = async (ev) => {
      ev.preventDefault();
      const body = editor.value.trim();
      if (!body) return;
      try {
        await socket.write({ type: "edit", topic, message: entry.msg.id, body });
        fillMessage(entry);
      } catch (e) {
        err.textContent = errorText(e);
      }
    };
    const editForm = h(
      "form",
      { class: "edit-form", onsubmit: save },
      editor,
      h("button", { type: "submit", "data-testid": "edit-save", text: t("common.save") }),
      h("button", { type: "button", class: "link", text: t("common.cancel"), onclick: () => fillMessage(entry) }),
      err,
    );
    editor.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") fillMessage(entry);
    });
    entry.el.querySelector(".body").replaceWith(editForm);
    entry.el.querySelector(".actions").hidden = true;
    editor.focus();
  }

  async function removeMessage(msg) {
    if (!window.confirm(t("room.confirm_delete"))) return;
    try {
      await socket.write({ type: "delete", topic, message: msg.id });
    } catch (e) {
      composeError.textContent = errorText(e);
    }
  }

  function dropPendingLike(body) {
    for (const li of pendingList.children) {
      if (li.dataset.body === body) {
        li.remove();
        return;
      }
    }
  }

  async function send() {
    const body = textarea.value.trim();
    if (!body) return;
    composeError.textContent = "";
    const command = { type: "post", topic, body };
    if (replyTo) command.reply_to = replyTo.id;
    const pendingEl = h(
      "li",
      { class: "msg mine pending", "data-testid": "pending-message" },
      h("div", { class: "meta" }, h("strong", { text: me }), " ", h("span", { class: "tag", text: t("room.pending") })),
      h("p", { class: "body", text: body }),
    );
    pendingEl.dataset.body = body;
    pendingList.append(pendingEl);
    scrollToBottom();
    textarea.value = "";
    cancelReply();
    try {
      const res = await socket.write(command);
      // The posted event normally arrives first; if not, it will render the message itself.
      pendingEl.remove();
      if (res && res.id != null && byId.has(res.id)) return;
    } catch (err) {
      pendingEl.classList.add("failed");
      pendingEl.querySelector(".tag").textContent = t("room.failed");
      composeError.textContent = errorText(err);
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    send();
  });
  textarea.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      send();
    } else if (ev.key === "Escape" && replyTo) {
      cancelReply();
    }
  });
  textarea.addEventListener("input", () => {
    const now = Date.now();
    if (textarea.value && now - lastTypingSent > TYPING_SEND_EVERY_MS) {
      lastTypingSent = now;
      socket.send({ type: "typing", topic });
    }
  });

  // History last: the composer already works meanwhile (a write made now is queued by the
  // socket and its event is replayed after `head`, so nothing typed early is lost).
  let head = 0;
  try {
    head = await loadLatest();
    extras.separatorPlace();
    extras.seen(head);
  } catch (err) {
    composeError.textContent = errorText(err);
  }
  const unsubscribe = socket.subscribe(topic, listener, { since: head });

  return () => {
    clearInterval(typingTimer);
    unsubscribe();
  };
}
