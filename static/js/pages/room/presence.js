// Who is online and who is typing in a room. While the socket is down the list is hidden:
// the server cannot tell us who left meanwhile.

import { avatar } from "../../avatars.js";
import { h } from "../../dom.js";
import { t } from "../../i18n.js";

const TYPING_SHOWN_FOR_MS = 4000;

export class Presence {
  constructor(me) {
    this.me = me;
    this.typingUntil = new Map(); // user -> timestamp
    this.count = h("span", { "data-testid": "presence-count", "data-count": "0", text: t("room.online", { n: 0 }) });
    this.list = h("ul", { class: "presence", "data-testid": "presence-list", "aria-label": t("room.online", { n: 0 }) });
    this.offlineNote = h("p", { class: "muted", "data-testid": "presence-offline", hidden: true, text: t("room.presence_offline") });
    // Beside the messages on a wide screen; one scrollable line above them on a phone.
    // A stop on the keyboard: on a phone, with many online, the line scrolls (and must by keys).
    this.el = h("aside", { class: "card room-side", "data-testid": "presence", tabindex: "0", "aria-labelledby": "presence-h" }, h("h2", { id: "presence-h" }, this.count), this.offlineNote, this.list);
    this.typing = h("p", { class: "typing muted", "data-testid": "typing", "aria-live": "off" });
    this.timer = setInterval(() => this.renderTyping(), 1000);
  }

  render(data) {
    this.last = data;
    const users = data.users || [];
    const n = data.count ?? users.length;
    this.count.textContent = t("room.online", { n });
    this.count.dataset.count = String(n);
    this.list.setAttribute("aria-label", t("room.online", { n }));
    this.list.replaceChildren(...users.map((u) => h("li", { "data-testid": "presence-user" }, avatar(u, 20), u)));
  }

  connection(state) {
    const online = state === "online";
    this.list.hidden = !online;
    this.offlineNote.hidden = online;
    if (!online) {
      this.count.textContent = t("room.presence_unknown");
      this.count.dataset.count = "";
    } else if (this.last) {
      this.render(this.last); // until the server's fresh list arrives
    }
  }

  typed(user) {
    if (!user || user === this.me) return;
    this.typingUntil.set(user, Date.now() + TYPING_SHOWN_FOR_MS);
    this.renderTyping();
  }

  posted(user) {
    this.typingUntil.delete(user);
    this.renderTyping();
  }

  renderTyping() {
    const now = Date.now();
    for (const [u, until] of this.typingUntil) if (until < now) this.typingUntil.delete(u);
    const users = [...this.typingUntil.keys()];
    this.typing.textContent = users.length ? t("room.typing", { n: users.length, users: users.join(", ") }) : "";
  }

  stop() {
    clearInterval(this.timer);
  }
}
