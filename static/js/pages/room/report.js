// Reporting someone's message to the room's co-moderation: a reason, sent once; past the room's
// threshold of distinct reports the message is hidden for everyone until its moderators and
// trusted members have voted (PROTOCOL.md B.16).

import { field, h } from "../../dom.js";
import { errorText, t } from "../../i18n.js";

const REASON_MAX = 500;
const QUOTE_CHARS = 120;

export class ReportPanel {
  constructor({ socket, topic, kind = "message" }) {
    this.socket = socket;
    this.topic = topic;
    this.kind = kind;
    this.item = null;
    this.quote = h("blockquote", { class: "reply-ref", "data-testid": "report-quote" });
    this.reason = h("textarea", { rows: 2, maxlength: REASON_MAX, "aria-required": "true", "data-testid": "report-reason" });
    this.error = h("p", { class: "form-error", role: "alert", "data-testid": "report-error" });
    this.status = h("p", { class: "muted", role: "status", "data-testid": "report-status" });
    this.form = h(
      "form",
      { "data-testid": "report-form", onsubmit: (e) => this.submit(e) },
      this.quote,
      field(t("report.reason"), this.reason, t("report.reason_hint")),
      h(
        "div",
        { class: "row wrap" },
        h("button", { type: "submit", "data-testid": "report-submit", text: t("report.send") }),
        h("button", { type: "button", class: "secondary", "data-testid": "report-cancel", text: t("common.cancel"), onclick: () => this.close() }),
      ),
      this.error,
    );
    this.el = h(
      "section",
      { class: "card report-panel", "aria-labelledby": `h-report-${topic}`, "data-testid": "report-panel", hidden: true },
      h("h2", { id: `h-report-${topic}`, text: t(`report.title_${kind}`) }),
      this.form,
      this.status,
    );
    this.el.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.close();
    });
  }

  open(item, { author, body }) {
    this.item = item;
    this.returnFocus = document.activeElement;
    this.quote.replaceChildren(h("strong", { text: author }), " ", h("span", { text: body.length > QUOTE_CHARS ? `${body.slice(0, QUOTE_CHARS)}…` : body }));
    this.reason.value = "";
    this.error.textContent = "";
    this.status.textContent = "";
    this.form.hidden = false;
    this.el.hidden = false;
    this.reason.focus();
  }

  close() {
    this.el.hidden = true;
    this.item = null;
    if (this.returnFocus && this.returnFocus.isConnected) this.returnFocus.focus();
  }

  async submit(e) {
    e.preventDefault();
    this.error.textContent = "";
    if (!this.reason.value.trim()) {
      this.error.textContent = t("report.reason_missing");
      this.reason.focus();
      return;
    }
    try {
      const data = await this.socket.write({ type: "report", topic: this.topic, item: this.item, reason: this.reason.value });
      this.form.hidden = true;
      this.status.textContent = t(!data.counted ? "report.already" : data.hidden ? "report.sent_hidden" : data.judges === 0 ? "report.no_judges" : "report.sent");
    } catch (err) {
      this.error.textContent = errorText(err);
    }
  }
}
