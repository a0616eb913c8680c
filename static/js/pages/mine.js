// "My events and tickets": upcoming events I answered (status, ticket code) or organise.

import { get } from "../api.js";
import { h } from "../dom.js";
import { errorText, formatDateTime, t } from "../i18n.js";
import { signinPrompt } from "./auth.js";

function statusOf(rsvp) {
  if (!rsvp) return null;
  return rsvp.status === "going" && rsvp.checked_in_at ? "checked_in" : rsvp.status;
}

function item(e) {
  const status = statusOf(e.my_rsvp);
  return h(
    "li",
    { "data-testid": "my-event", "data-status": status || "" },
    h("a", { href: `#/event/${e.id}`, "data-testid": "event-link", text: e.title }),
    " ",
    status ? h("span", { class: "tag", "data-testid": "my-event-status", text: t(`event.status_${status}`) }) : null,
    e.is_organiser ? h("span", { class: "tag", text: t("mine.organiser") }) : null,
    h("small", { class: "muted block", text: formatDateTime(e.starts_at, e.timezone, { dateStyle: "full", timeStyle: "short" }) }),
    e.my_rsvp && e.my_rsvp.code
      ? h(
          "p",
          { class: "row wrap" },
          h("span", { class: "code", "data-testid": "my-ticket-code", text: t("event.ticket_code", { code: e.my_rsvp.code }) }),
          h("a", { href: `/api/events/${encodeURIComponent(e.id)}/ticket.html`, target: "_blank", text: t("event.ticket_page") }),
        )
      : null,
    e.is_organiser ? h("p", {}, h("a", { href: `#/event/${e.id}/checkin`, text: t("event.checkin_link") })) : null,
  );
}

export async function render(ctx, params, container) {
  container.append(h("h1", { text: t("mine.title") }));
  if (!ctx.me) {
    container.append(signinPrompt());
    return;
  }
  const list = h("ul", { class: "list", "data-testid": "my-events" }, h("li", { class: "muted", text: t("common.loading") }));
  container.append(h("section", { class: "card" }, list));
  try {
    const data = await get("events/mine");
    const items = data.items || [];
    list.replaceChildren(...(items.length ? items.map(item) : [h("li", { class: "muted", text: t("mine.none") })]));
  } catch (err) {
    list.replaceChildren(h("li", { class: "form-error", role: "alert", text: errorText(err) }));
  }
}
