// Amendments of a proposal: the list with live counts, voting on each, proposing a new one.

import { field, h } from "../../dom.js";
import { errorText, formatNumber, t } from "../../i18n.js";

const AMENDMENT_CHOICES = ["up", "down", "white"];

export class Amendments {
  /** `phase()` answers the page's current phase (amendable, open, closed). */
  constructor({ ctx, socket, topic, phase }) {
    Object.assign(this, { ctx, socket, topic, phase });
    this.byId = new Map(); // id -> {a, el}
    this.list = h("ul", { class: "list", "data-testid": "amendments" });
    this.empty = h("p", { class: "muted", text: t("proposal.no_amendments") });
    this.error = h("p", { class: "form-error", role: "alert" });
    this.form = ctx.me ? this.amendForm() : null;
    this.el = h("section", { class: "card", "aria-labelledby": "amend-h", hidden: true }, h("h2", { id: "amend-h", text: t("proposal.amendments") }), this.empty, this.list, this.error, this.form);
  }

  amendForm() {
    const body = h("textarea", { rows: "3", required: true, "data-testid": "amend-body" });
    const form = h("form", { "data-testid": "amend-form" }, field(t("proposal.amend_body"), body), h("button", { type: "submit", "data-testid": "amend-submit", text: t("proposal.amend") }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const text = body.value.trim();
      if (!text) return;
      this.error.textContent = "";
      try {
        await this.socket.write({ type: "amend", topic: this.topic, body: text });
        body.value = "";
      } catch (x) {
        this.error.textContent = errorText(x);
      }
    });
    return form;
  }

  renderOne(entry) {
    const { a, el } = entry;
    const author = (a.author && (a.author.username || a.author)) || "";
    const counts = a.counts || {};
    const phase = this.phase();
    const parts = [h("p", {}, h("strong", { text: author }), " ", h("span", { "data-testid": "amendment-body", text: a.body || "" }))];
    if (a.status && a.status !== "pending") parts.push(h("span", { class: "tag", text: a.status }));
    const canVote = this.ctx.me && (phase === "amendable" || phase === "open") && (!a.status || a.status === "pending");
    const buttons = AMENDMENT_CHOICES.map((key) =>
      h("button", {
        type: "button",
        class: "secondary",
        "data-testid": `amendment-vote-${key}`,
        "aria-pressed": String(a.my_vote === key),
        disabled: !canVote,
        text: `${t(`proposal.option_${key}`)} (${formatNumber(counts[key] ?? 0)})`,
        onclick: () => this.vote(entry, key),
      }),
    );
    parts.push(h("div", { class: "row wrap", role: "group", "aria-label": t("proposal.amendment_vote") }, buttons));
    el.replaceChildren(...parts);
  }

  upsert(a) {
    let entry = this.byId.get(a.id);
    if (entry) entry.a = { ...entry.a, ...a };
    else {
      entry = { a, el: h("li", { "data-testid": "amendment", "data-id": String(a.id) }) };
      this.byId.set(a.id, entry);
      this.list.append(entry.el);
    }
    this.empty.hidden = this.byId.size > 0;
    this.renderOne(entry);
  }

  /** Counts and statuses from a `tally` frame. */
  counts(items) {
    for (const a of items) {
      const entry = this.byId.get(a.id);
      if (!entry) continue;
      entry.a = { ...entry.a, counts: a.counts ?? entry.a.counts, total: a.total ?? entry.a.total, status: a.status ?? entry.a.status };
      this.renderOne(entry);
    }
  }

  async vote(entry, choice) {
    this.error.textContent = "";
    try {
      await this.socket.write({ type: "vote", topic: this.topic, amendment: entry.a.id, choice });
      entry.a.my_vote = choice;
      this.renderOne(entry);
    } catch (err) {
      this.error.textContent = errorText(err);
    }
  }

  /** Show the section when amending is possible or there is something to show. */
  render() {
    const phase = this.phase();
    this.el.hidden = !(phase === "amendable" || this.byId.size > 0);
    if (this.form) this.form.hidden = phase !== "amendable";
    for (const entry of this.byId.values()) this.renderOne(entry);
  }
}
