// Room additions kept out of room.js: reactions, the read marker and the "new since you left"
// separator, @mention autocomplete, the members link, leaving the page when removed.

import { get } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import "../notifications-i18n.js";

export const EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "🙏"];
const READ_DELAY_MS = 800;

/** The name a reaction button is called by: its visible text first (label in name, WCAG 2.5.3). */
function reactLabel(emoji, n) {
  return n ? t("room.react_n", { emoji, n }) : t("room.react", { emoji });
}

export function roomExtras(ctx, room, { list, textarea }) {
  const mine = new Map(); // message id -> Set of my emoji (this session)
  let readTimer = null;
  let readSent = room.read_seq || 0;
  let highest = readSent;

  function reactionsEl(msg) {
    const counts = msg.reactions || {};
    // A group inside the message's toolbar, whose arrow keys walk these buttons too (room/messages.js).
    const bar = h("div", { class: "reactions", "data-testid": "reactions", role: "group", "aria-label": t("room.reactions") });
    for (const emoji of EMOJI) {
      const n = counts[emoji] || 0;
      const pressed = Boolean(mine.get(msg.id)?.has(emoji));
      const button = h("button", {
        type: "button",
        class: n ? "reaction has" : "reaction",
        "data-emoji": emoji,
        "data-count": String(n),
        "aria-pressed": String(pressed),
        "aria-label": reactLabel(emoji, n),
        // Like the message's other buttons: reached by arrow keys once its message has focus.
        tabindex: "-1",
        text: n ? `${emoji} ${n}` : emoji,
      });
      if (ctx.me && !msg.deleted && !msg.hidden) {
        button.addEventListener("click", async () => {
          const set = mine.get(msg.id) || new Set();
          const on = !set.has(emoji);
          if (on) set.add(emoji);
          else set.delete(emoji);
          mine.set(msg.id, set);
          try {
            await ctx.socket.write({ type: "react", topic: room.topic, message: msg.id, emoji, on });
          } catch {
            if (on) set.delete(emoji);
            else set.add(emoji);
          }
        });
      } else {
        button.disabled = true;
      }
      bar.append(button);
    }
    return bar;
  }

  /** The room's `reactions` state: absolute counts of the messages whose reactions moved lately.
   * The buttons are updated in place, so a keyboard user's focus stays on the one they pressed. */
  function reactionsState(byId, data) {
    for (const [id, counts] of Object.entries(data.messages || {})) {
      const entry = byId.get(Number(id));
      if (!entry) continue;
      entry.msg.reactions = { ...counts };
      for (const button of entry.el.querySelectorAll(".reactions button[data-emoji]")) {
        const n = counts[button.dataset.emoji] || 0;
        if (button.dataset.count === String(n)) continue;
        button.dataset.count = String(n);
        button.className = n ? "reaction has" : "reaction";
        button.textContent = n ? `${button.dataset.emoji} ${n}` : button.dataset.emoji;
        button.setAttribute("aria-label", reactLabel(button.dataset.emoji, n));
      }
    }
  }

  /** Mark read up to `seq`: at once, then at most once per READ_DELAY_MS (the marker never moves back). */
  let lastSentAt = 0;
  function flushRead() {
    readTimer = null;
    if (highest <= readSent) return;
    readSent = highest;
    lastSentAt = Date.now();
    ctx.socket.write({ type: "read", topic: room.topic, seq: readSent }).catch(() => {});
  }
  function seen(seq) {
    if (!ctx.me || !room.role || seq <= highest) return;
    highest = seq;
    if (document.visibilityState !== "visible" || readTimer) return;
    const wait = lastSentAt + READ_DELAY_MS - Date.now();
    if (wait <= 0) flushRead();
    else readTimer = setTimeout(flushRead, wait);
  }

  /** The separator before the first message of someone else after the read marker. */
  function separatorPlace() {
    if (!ctx.me || !room.role || !room.unread) return;
    const me = ctx.me.username;
    const first = [...list.children].find((li) => Number(li.dataset.seq) > (room.read_seq || 0) && li.dataset.author !== me);
    if (first) first.before(h("li", { class: "new-since", "data-testid": "new-since", text: t("room.new_since") }));
  }

  function onRoomEvent(frame) {
    if (frame.kind === "member.removed" && ctx.me && frame.data.user === ctx.me.username) {
      ctx.announce(t("members.left"));
      ctx.navigate("#/inbox");
    }
  }

  function membersLink() {
    return h("a", { href: `#/members/${room.id}`, class: "members-link", "data-testid": "members-link", text: t("members.link") });
  }

  if (textarea && ctx.me) mentionAutocomplete(textarea, room);
  return { reactionsEl, reactionsState, seen, separatorPlace, onRoomEvent, membersLink };
}

/** `@` + letters in the composer suggests members' names; arrows choose, Enter or Tab insert. */
function mentionAutocomplete(textarea, room) {
  let names = null;
  let active = 0;
  const box = h("ul", { class: "mention-list", role: "listbox", id: `mentions-${room.id}`, "aria-label": t("room.mention_list"), "data-testid": "mention-list", hidden: true });
  textarea.setAttribute("aria-controls", box.id);
  textarea.setAttribute("aria-autocomplete", "list");
  textarea.after(box);

  function query() {
    const before = textarea.value.slice(0, textarea.selectionStart);
    const match = /(^|\s)@([\w.+-]*)$/.exec(before);
    return match ? match[2] : null;
  }
  // A textarea is a textbox, which ARIA gives no aria-expanded (axe: aria-allowed-attr): the open
  // list is announced through aria-activedescendant, the option the arrows are on.
  function close() {
    box.hidden = true;
    textarea.removeAttribute("aria-activedescendant");
  }
  function choose(options) {
    options.forEach((o, i) => o.setAttribute("aria-selected", String(i === active)));
    textarea.setAttribute("aria-activedescendant", options[active].id);
  }
  function insert(name) {
    const caret = textarea.selectionStart;
    const before = textarea.value.slice(0, caret).replace(/@[\w.+-]*$/, `@${name} `);
    textarea.value = before + textarea.value.slice(caret);
    textarea.selectionStart = textarea.selectionEnd = before.length;
    close();
  }
  async function update() {
    const q = query();
    if (q == null) return close();
    if (names == null) {
      names = [];
      names = (await get(`rooms/${room.id}/members`).catch(() => [])).map((m) => m.username);
    }
    const found = names.filter((n) => n.toLowerCase().startsWith(q.toLowerCase())).slice(0, 6);
    if (!found.length) return close();
    active = Math.min(active, found.length - 1);
    box.replaceChildren(
      ...found.map((name, i) => h("li", { role: "option", id: `${box.id}-${i}`, "data-testid": "mention-option", onmousedown: (ev) => (ev.preventDefault(), insert(name)), text: `@${name}` })),
    );
    box.hidden = false;
    choose([...box.children]);
  }
  textarea.addEventListener("input", () => {
    active = 0;
    update();
  });
  // Capture phase: runs before the composer's own Enter-to-send listener on the same textarea.
  textarea.addEventListener("keydown", (ev) => {
    if (box.hidden) return;
    const options = [...box.children];
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      active = (active + (ev.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
      choose(options);
    } else if (ev.key === "Enter" || ev.key === "Tab") {
      ev.preventDefault();
      ev.stopImmediatePropagation();
      insert(options[active].textContent.slice(1));
    } else if (ev.key === "Escape") {
      close();
    }
  }, true);
}
