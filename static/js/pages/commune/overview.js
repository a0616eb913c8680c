// "Ma commune" before one is chosen: what is happening now (upcoming events, open votes,
// rooms) across the communes, and the list of communes, so a newcomer lands on something alive.

import { get, qs } from "../../api.js";
import { h } from "../../dom.js";
import { errorText, formatDateTime, t } from "../../i18n.js";
import { unreadBadge } from "../inbox.js";

const SHOWN = 6;

function listOf(testid, promise, emptyKey, itemFn) {
  const ul = h("ul", { class: "list", "data-testid": testid }, h("li", { class: "muted", text: t("common.loading") }));
  promise
    .then((data) => {
      const items = ((data && (data.items || data)) || []).slice(0, SHOWN);
      ul.replaceChildren(...(items.length ? items.map(itemFn) : [h("li", { class: "muted", text: t(emptyKey) })]));
    })
    .catch((err) => ul.replaceChildren(h("li", { class: "form-error", text: errorText(err) })));
  return ul;
}

export function overview(names) {
  const communeName = (insee) => names.get(insee) || insee || "";
  const events = listOf("overview-events", get(`events${qs({ from: new Date().toISOString(), limit: SHOWN })}`), "commune.no_events", (e) =>
    h(
      "li",
      {},
      h("a", { href: `#/event/${e.id}`, "data-testid": "event-link", text: e.title }),
      h("small", { class: "muted block", text: [formatDateTime(e.starts_at, e.timezone, { dateStyle: "medium", timeStyle: "short" }), communeName(e.commune)].filter(Boolean).join(" · ") }),
    ),
  );
  const proposals = listOf("overview-proposals", get(`proposals${qs({ phase: "tovote" })}`), "commune.no_proposals", (p) =>
    h("li", {}, h("a", { href: `#/proposal/${p.id}`, "data-testid": "proposal-link", text: p.title }), p.commune ? h("small", { class: "muted block", text: communeName(p.commune) }) : null),
  );
  // The newest rooms of the communes (an event's room is reached from its event).
  const newestRooms = get(`rooms${qs({ limit: 200 })}`).then((data) => (data.items || []).filter((r) => r.commune).sort((a, b) => b.id - a.id));
  const rooms = listOf("overview-rooms", newestRooms, "commune.no_rooms", (r) =>
    h("li", {}, h("a", { href: `#/room/${r.id}`, "data-testid": "room-link", text: r.name }), unreadBadge(r), r.commune ? h("small", { class: "muted block", text: communeName(r.commune) }) : null),
  );
  return h(
    "section",
    { "aria-labelledby": "now-h", "data-testid": "overview" },
    h("h2", { id: "now-h", text: t("commune.happening") }),
    h(
      "div",
      { class: "grid-3" },
      h("section", { class: "card" }, h("h3", { text: t("commune.events") }), events),
      h("section", { class: "card" }, h("h3", { text: t("commune.proposals") }), proposals),
      h("section", { class: "card" }, h("h3", { text: t("commune.rooms") }), rooms),
    ),
  );
}

/** Every commune (the first hundred when a national list is loaded), as links. */
export async function communeList(names) {
  const ul = h("ul", { class: "commune-list", "data-testid": "commune-list" });
  const section = h("section", { class: "card", "aria-labelledby": "communes-h" }, h("h2", { id: "communes-h", text: t("commune.all") }), ul);
  try {
    const data = await get(`communes${qs({ limit: 100 })}`);
    for (const c of data.items || []) {
      names.set(c.insee, c.name);
      ul.append(h("li", {}, h("a", { href: `#/commune/${c.insee}`, "data-testid": "commune-link", text: c.name })));
    }
  } catch (err) {
    ul.append(h("li", { class: "form-error", text: errorText(err) }));
  }
  return section;
}
