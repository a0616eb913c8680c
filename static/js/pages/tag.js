// A tag's page (#/tag/<tag>): the organisations, events, rooms, proposals and people carrying it
// that you may read.

import { get } from "../api.js";
import { h } from "../dom.js";
import { addMessages, errorText, t } from "../i18n.js";
import "./organisation-messages.js";

addMessages({
  fr: {
    "tag.title": "#{tag}",
    "tag.people": "Personnes",
    "tag.nothing": "Rien ne porte encore ce centre d'intérêt.",
  },
  en: {
    "tag.title": "#{tag}",
    "tag.people": "People",
    "tag.nothing": "Nothing carries this tag yet.",
  },
});

function group(titleKey, testid, items, itemFn) {
  if (!items.length) return null;
  const id = `h-tag-${testid}`;
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id, text: t(titleKey) }), h("ul", { class: "list", "data-testid": `tag-${testid}` }, items.map(itemFn)));
}

export async function render(ctx, params, container) {
  const tag = params[0] || "";
  container.append(h("h1", { "data-testid": "tag-title", text: t("tag.title", { tag }) }));
  try {
    const data = await get(`tags/${encodeURIComponent(tag)}`);
    const link = (href, text) => h("li", {}, h("a", { href, text }));
    const parts = [
      group("org.section", "organisations", data.organisations, (o) => link(`#/organisation/${o.id}`, o.name)),
      group("commune.events", "events", data.events, (e) => link(`#/event/${e.id}`, e.title)),
      group("commune.rooms", "rooms", data.rooms, (r) => link(`#/room/${r.id}`, r.name)),
      group("org.proposals", "proposals", data.proposals, (p) => link(`#/proposal/${p.id}`, p.title)),
      group("tag.people", "people", data.people, (p) => link(`#/person/${encodeURIComponent(p.username)}`, p.display_name)),
    ].filter(Boolean);
    container.append(...(parts.length ? parts : [h("p", { class: "muted", text: t("tag.nothing") })]));
  } catch (err) {
    container.append(h("p", { class: "form-error", role: "alert", text: errorText(err) }));
  }
}
