// The attendee's ticket: code and QR code (an SVG the server renders, fetched with the bearer
// token and shown as a data: image, which the CSP's img-src allows).

import { get } from "../../api.js";
import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import { pick, svgDataUrl } from "./parts.js";

export class TicketBox {
  constructor(ev) {
    this.ev = ev;
    this.ticket = ev.ticket || null;
    this.shownFor = null;
    this.el = h("section", { class: "card ticket", "data-testid": "ticket", hidden: true, "aria-labelledby": "ticket-h" });
  }

  set(ticket) {
    this.ticket = ticket || null;
  }

  async render(status) {
    if (status !== "going") {
      this.el.hidden = true;
      this.shownFor = null;
      return;
    }
    const key = this.ticket ? this.ticket.code : null;
    if (this.shownFor !== null && this.shownFor === key) return;
    if (!this.ticket) {
      try {
        this.ticket = await get(`events/${encodeURIComponent(this.ev.id)}/ticket`);
      } catch {
        return;
      }
    }
    this.shownFor = this.ticket.code || "";
    const code = pick(this.ticket, "code", "ticket_code");
    const qr = pick(this.ticket, "qr_svg", "svg", "qr");
    const parts = [h("h2", { id: "ticket-h", text: t("event.ticket") })];
    if (qr) {
      const img = h("img", { class: "qr", "data-testid": "ticket-qr", alt: t("event.ticket_alt"), width: "192", height: "192" });
      parts.push(img);
      svgDataUrl(qr).then((url) => url && (img.src = url));
    }
    if (code) parts.push(h("p", { class: "code", "data-testid": "ticket-code", "data-code": code, text: t("event.ticket_code", { code }) }));
    parts.push(h("p", {}, h("a", { href: `/api/events/${encodeURIComponent(this.ev.id)}/ticket.html`, target: "_blank", "data-testid": "ticket-page", text: t("event.ticket_page") })));
    this.el.replaceChildren(...parts);
    this.el.hidden = false;
  }
}
