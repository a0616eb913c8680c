// A room: live messages, older history on scroll up, replies, edit/delete, presence, typing.
// The pieces live in room/: the message list, the composer, presence and typing.

import { accessLost, roomSettings } from "./room-settings.js";
import { get, post, qs } from "../api.js";
import { h, keepingFocus } from "../dom.js";
import { errorText, t } from "../i18n.js";
import { actionsSection } from "./actions.js";
import { signinPrompt } from "./auth.js";
import { debatePanel } from "./debate.js";
import { Composer, startEdit } from "./room/composer.js";
import { MessageList } from "./room/messages.js";
import { Presence } from "./room/presence.js";
import { roomExtras } from "./room-extras.js";
import { ReportPanel } from "./room/report.js";
import { roomTabs } from "./room/tabs.js";

const PAGE_SIZE = 50;

/** Room header, messages pane and side panel; returns the parts the page wires together. */
function layout(ctx, room, parts) {
  const { list, composer, presence, extras } = parts;
  const olderBtn = h("button", { type: "button", class: "link", "data-testid": "load-older", text: t("room.load_older") });
  const startNote = h("p", { class: "muted center", "data-testid": "history-start", hidden: true, text: t("room.no_older") });
  const scroller = h(
    "div",
    { class: "scroller", "data-testid": "scroller", role: "log", "aria-label": t("room.messages"), "aria-live": "off" },
    olderBtn,
    startNote,
    list.hint,
    list.el,
    composer ? composer.pendingList : null,
  );
  return {
    olderBtn,
    startNote,
    scroller,
    nodes: [
      h("div", { class: "room-head" }, h("h1", { "data-testid": "room-name", text: room.name }), extras.membersLink()),
      h(
        "div",
        { class: "room-layout" },
        h("section", { class: "room-main", "aria-label": t("room.messages") }, scroller, presence.typing, composer ? composer.form : signinPrompt()),
        presence.el,
      ),
    ],
  };
}

/** "Your message/question/proposal no. N was removed/kept": worded per kind (and for a commune's
 * vote) where the kind has its own words. */
function mineText(c) {
  const key = `moderation.mine_${c.kind}_${c.status}${c.commune ? "_commune" : ""}`;
  return t(key) !== key ? t(key, { n: c.item }) : t(`moderation.mine_${c.status}`, { n: c.item });
}

async function moderationLinks(ctx, room, container) {
  const head = container.querySelector(".room-head");
  try {
    const roles = await get(`moderation/rooms/${room.id}/me`);
    if (roles.judge) head.append(h("a", { href: `#/moderation/${room.id}`, class: "tag-link", "data-testid": "moderation-link", text: t("moderation.open") }));
    const mine = await get("moderation/mine");
    const decided = mine.items.filter((c) => c.room === room.id && c.status !== "open");
    if (decided.length) {
      head.after(
        h(
          "section",
          { class: "card", "data-testid": "my-moderation", "aria-labelledby": "h-my-moderation" },
          h("h2", { id: "h-my-moderation", text: t("moderation.mine_title") }),
          h(
            "ul",
            { class: "list" },
            decided.map((c) =>
              h(
                "li",
                { "data-testid": "my-moderation-item", "data-status": c.status },
                h("strong", { text: mineText(c) }),
                h("small", { class: "muted block", text: t("moderation.reasons", { reasons: c.reasons.join(" ; ") }) }),
              ),
            ),
          ),
        ),
      );
    }
  } catch {
    /* the room works without its moderation extras */
  }
}

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
  let oldestSeq = null;
  let reachedStart = false;
  let loadingOlder = false;

  const presence = new Presence(me);
  const composer = me ? new Composer({ socket, topic, me, onSent: () => scrollToBottom() }) : null;
  const showError = (text) => (composer ? composer.showError(text) : ctx.announce(text));
  const report = me ? new ReportPanel({ socket, topic }) : null;
  const list = new MessageList({
    me,
    onReply: (msg) => composer.startReply(msg),
    onEdit: (entry) => startEdit({ entry, socket, topic, restore: (e) => list.fill(e) }),
    onDelete: removeMessage,
    onReport: report ? (msg) => report.open(msg.id, msg) : null,
    onTop: () => loadOlder(),
  });
  // Reactions, read marker, "new since you left", @mentions, members link (notifications).
  const extras = roomExtras(ctx, room, { list: list.el, textarea: composer ? composer.textarea : null });
  list.extras = extras;
  const { olderBtn, startNote, scroller, nodes } = layout(ctx, room, { list, composer, presence, extras });
  container.replaceChildren(...nodes);
  if (report) composer.form.before(report.el);
  if (me) moderationLinks(ctx, room, container);
  const settings = me ? roomSettings(room) : null;
  // In the title's row while folded: a card of its own pushed the composer below a 720 px window.
  if (settings) container.querySelector(".room-head").append(settings);

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
          showError(errorText(e));
        }
      },
    });
    composer.form.before(join);
  }

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }
  function scrollToBottom() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  async function removeMessage(msg) {
    if (!window.confirm(t("room.confirm_delete"))) return;
    try {
      await socket.write({ type: "delete", topic, message: msg.id });
    } catch (e) {
      showError(errorText(e));
    }
  }

  function addLive(msg) {
    if (list.has(msg.id)) return;
    const stick = nearBottom();
    list.append(msg);
    if (oldestSeq == null) oldestSeq = msg.seq;
    extras.seen(msg.seq);
    if (msg.author === me) composer?.dropPendingLike(msg.body);
    else {
      ctx.announce(t("room.announce", { user: msg.author, body: msg.body.slice(0, 200) }));
      tabs?.messageArrived();
    }
    if (stick || msg.author === me) scrollToBottom();
    presence.posted(msg.author);
  }

  // --- history ---------------------------------------------------------------------------
  function renderHistoryEdge() {
    olderBtn.hidden = reachedStart;
    startNote.hidden = !reachedStart;
  }

  async function loadLatest() {
    // Without a cursor the API answers the latest page, and the topic head to resume from.
    const data = await get(`rooms/${room.id}/messages${qs({ limit: PAGE_SIZE })}`);
    list.clear();
    const items = data.items || [];
    list.prepend(items);
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
        const before = scroller.scrollHeight;
        list.prepend(items);
        scroller.scrollTop += scroller.scrollHeight - before;
      }
      reachedStart = items.length < PAGE_SIZE;
      renderHistoryEdge();
    } catch (err) {
      showError(errorText(err));
    } finally {
      loadingOlder = false;
      olderBtn.disabled = false;
    }
  }

  olderBtn.addEventListener("click", loadOlder);
  // History loads when the reader scrolls up, not when focus moves through old messages
  // (keyboard users load it with the button or arrow-up from the first message).
  scroller.addEventListener("scroll", () => {
    if (scroller.scrollTop < 40 && !list.el.contains(document.activeElement)) loadOlder();
  });

  // --- live ------------------------------------------------------------------------------
  function changed(id, apply) {
    const entry = list.get(id);
    if (!entry) return;
    apply(entry.msg);
    list.fill(entry);
    list.refreshQuotesOf(id);
  }

  const listener = {
    event(frame) {
      const d = frame.data || {};
      if (frame.kind === "message.posted") {
        addLive({ id: d.id, seq: frame.seq, author: d.author, body: d.body, reply_to: d.reply_to || null, at: d.at || frame.at, edited_at: null, deleted: false });
      } else if (frame.kind === "message.edited") {
        changed(d.id, (msg) => Object.assign(msg, { body: d.body, edited_at: d.edited_at || frame.at }));
      } else if (frame.kind === "message.deleted") {
        changed(d.id, (msg) => Object.assign(msg, { deleted: true, hidden: false }));
      } else if (frame.kind === "message.hidden") {
        changed(d.id, (msg) => Object.assign(msg, { hidden: true }));
      } else if (frame.kind === "message.restored") {
        changed(d.id, (msg) => Object.assign(msg, { hidden: false, body: d.body }));
      }
      extras.onRoomEvent(frame);
    },
    state(frame) {
      if (frame.kind === "presence") presence.render(frame.data || {});
      else if (frame.kind === "reactions") extras.reactionsState(list.byId, frame.data || {});
    },
    typing(frame) {
      presence.typed(frame.user);
    },
    async reset() {
      // Too far behind for a replay: start again from the latest page over HTTP.
      try {
        await loadLatest();
      } catch (err) {
        showError(errorText(err));
      }
    },
    error(frame) {
      // The room's own subscribe refused: access went between the page's load and its subscribe
      // (the room turned private meanwhile): the same as losing it live.
      if (frame.topic === topic && (frame.code === "forbidden" || frame.code === "not_found")) {
        lose();
        return;
      }
      showError(errorText(frame));
    },
    revoked() {
      lose();
    },
  };

  const onStatus = () => presence.connection(socket.state);
  socket.addEventListener("status", onStatus);
  onStatus();

  // History last: the composer already works meanwhile (a write made now is queued by the
  // socket and its event is replayed after `head`, so nothing typed early is lost).
  let head = 0;
  try {
    head = await loadLatest();
    extras.separatorPlace();
    extras.seen(head);
  } catch (err) {
    showError(errorText(err));
  }
  const unsubscribe = socket.subscribe(topic, listener, { since: head });
  // A live debate: on a phone, "Discussion" / "Débat" tabs; wider, the debate above the messages.
  let tabs = null;
  const debate = debatePanel(ctx, room.id, {
    onActive: (el, { live = false } = {}) => {
      const roomLayout = container.querySelector(".room-layout");
      if (container.dataset.revoked || !roomLayout) return; // the room was lost meanwhile: nothing of it is shown
      const marker = document.createComment("tabs");
      roomLayout.before(marker);
      // Started live: the room had no question when the page opened, so every one is news.
      // The tabs take both parts out of the page and back in: someone typing (a message, a
      // question) keeps the focus, and a phone its keyboard; the tab of what has it opens first.
      const open = el.contains(document.activeElement) ? "debate" : "discussion";
      keepingFocus(() => {
        tabs = roomTabs(roomLayout, el, { onShow: (name) => name === "discussion" && scrollToBottom(), seenAtOpen: live ? [] : null, open });
        marker.replaceWith(tabs.floorBanner, tabs.el, tabs.panels.debate, tabs.panels.discussion);
      });
      scrollToBottom();
    },
    onStatus: (status) => tabs?.update(status),
  });
  container.append(debate.el);
  const actions = actionsSection(ctx, { query: { room: room.id }, topic, linkProposals: true, hideWhenEmpty: true });
  container.append(actions.section);

  let stopped = false;
  function stop() {
    if (stopped) return;
    stopped = true;
    presence.stop();
    socket.removeEventListener("status", onStatus);
    unsubscribe();
    debate.stop();
    tabs?.stop();
    actions.stop();
  }
  // Access withdrawn live (`unsubscribed`, code `forbidden`, on the room's topic: the room turned
  // private, the reader was removed or banned): nothing this reader may no longer see stays on
  // screen — messages, presence, the debate, actions — only the room's name and why.
  function lose() {
    if (container.dataset.revoked) return;
    container.dataset.revoked = "true";
    stop();
    const name = h("h1", { "data-testid": "room-name", text: room.name });
    container.replaceChildren(h("div", { class: "room-head" }, name), accessLost());
  }

  return stop;
}
