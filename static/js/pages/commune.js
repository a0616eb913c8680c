// "Ma commune": find a commune by name or postal code, then its rooms, events and proposals.

import { get, patch, post, qs } from "../api.js";
import { clear, field, h } from "../dom.js";
import { DEFAULT_TIMEZONE, errorText, formatDateTime, t } from "../i18n.js";
import { unreadBadge } from "./inbox.js";
import { signinPrompt } from "./auth.js";
import { communeList, overview } from "./commune/overview.js";
import { landingMap } from "./commune/landing_map.js";
import { mapSection } from "./commune_map.js";
import { actionsSection } from "./actions.js";
import { decisionsSection, newsSection } from "./commune_news.js";
import { eventFields } from "./event/form.js";
import { nearbySection } from "./nearby.js";
import { openDataSection } from "./opendata.js";
import { placePicker } from "./place_picker.js";
import { organisationsSection } from "./organisation/list.js";
import { proposalForm } from "./proposal/form.js";
import { tagField } from "../tags.js";
import { renderDesk } from "./commune/desk.js";

const PICKED_KEY = "cl.commune";

function rememberCommune(c) {
  try {
    sessionStorage.setItem(`${PICKED_KEY}.${c.insee}`, JSON.stringify(c));
  } catch {
    /* not essential */
  }
}

function recalledCommune(insee) {
  try {
    return JSON.parse(sessionStorage.getItem(`${PICKED_KEY}.${insee}`) || "null");
  } catch {
    return null;
  }
}

function searchBox(ctx) {
  const input = h("input", {
    type: "search",
    autocomplete: "off",
    placeholder: t("commune.search_placeholder"),
    "data-testid": "commune-search",
  });
  const results = h("ul", { class: "list", "data-testid": "commune-results", "aria-live": "polite" });
  let timer = null;
  let seq = 0;
  async function search() {
    const q = input.value.trim();
    const mine = ++seq;
    if (q.length < 2) {
      clear(results);
      return;
    }
    try {
      const data = await get(`communes${qs({ q })}`);
      if (mine !== seq) return;
      clear(results);
      if (!data.items.length) results.append(h("li", { class: "muted", text: t("commune.none") }));
      for (const c of data.items) {
        const codes = (c.postal_codes || []).join(", ");
        results.append(
          h(
            "li",
            {},
            h("a", {
              href: `#/commune/${encodeURIComponent(c.insee)}`,
              "data-testid": "commune-result",
              onclick: () => rememberCommune(c),
              text: codes ? `${c.name} (${codes})` : c.name,
            }),
          ),
        );
      }
    } catch (err) {
      if (mine === seq) results.replaceChildren(h("li", { class: "form-error", text: errorText(err) }));
    }
  }
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  const form = h("form", { role: "search", onsubmit: (ev) => (ev.preventDefault(), search()) }, field(t("commune.search"), input), results);
  return form;
}

function section(titleKey, testid, list, extra) {
  const id = `h-${testid}`;
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id, text: t(titleKey) }), list, extra);
}

async function fill(list, promise, emptyKey, itemFn) {
  list.replaceChildren(h("li", { class: "muted", text: t("common.loading") }));
  try {
    const data = await promise;
    const items = (data && data.items) || [];
    list.replaceChildren();
    if (!items.length) list.append(h("li", { class: "muted", text: t(emptyKey) }));
    for (const it of items) list.append(itemFn(it));
  } catch (err) {
    list.replaceChildren(h("li", { class: "form-error", text: errorText(err) }));
  }
}

function roomForm(ctx, insee) {
  const name = h("input", { required: true, maxlength: "120", "data-testid": "new-room-name" });
  const visibility = h(
    "select",
    { "data-testid": "new-room-visibility" },
    h("option", { value: "public", text: t("commune.public") }),
    h("option", { value: "private", text: t("commune.private") }),
  );
  const err = h("p", { class: "form-error", role: "alert" });
  const tags = tagField(t("event.tags"), "new-room-tags");
  return h(
    "details",
    {},
    h("summary", { text: t("commune.new_room") }),
    h(
      "form",
      {
        onsubmit: async (ev) => {
          ev.preventDefault();
          try {
            const room = await post("rooms", { name: name.value.trim(), visibility: visibility.value, commune: insee, tags: tags.read() });
            ctx.navigate(`#/room/${room.id}`);
          } catch (e) {
            err.textContent = errorText(e);
          }
        },
      },
      field(t("commune.room_name"), name),
      field(t("commune.visibility"), visibility),
      tags.node,
      h("button", { type: "submit", "data-testid": "new-room-submit", text: t("common.create") }),
      err,
    ),
  );
}

function eventForm(ctx, insee, communeOf) {
  const { nodes, read } = eventFields("new-event");
  const err = h("p", { class: "form-error", role: "alert" });
  // The place picker's map is built when the form opens (Leaflet needs a visible box).
  const pickerSlot = h("div");
  let picker = null;
  const form = h("form", {}, nodes, pickerSlot, h("button", { type: "submit", "data-testid": "new-event-submit", text: t("common.create") }), err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const body = { ...read(), commune: insee, timezone: DEFAULT_TIMEZONE, ...(picker ? picker.read() : {}) };
      if (body.capacity == null) delete body.capacity;
      const created = await post("events", body);
      ctx.navigate(`#/event/${created.id}`);
    } catch (e) {
      err.textContent = errorText(e);
    }
  });
  const details = h("details", { "data-testid": "new-event" }, h("summary", { text: t("commune.new_event") }), form);
  details.addEventListener("toggle", () => {
    if (details.open && !picker) {
      picker = placePicker("new-event", communeOf());
      pickerSlot.append(picker.node);
    }
  });
  return details;
}

export async function render(ctx, params, container) {
  const [insee, sub] = params;
  if (insee && sub === "desk") return renderDesk(ctx, insee, container);
  container.append(h("h1", { text: t("commune.title") }), searchBox(ctx));
  if (!insee) {
    container.append(h("p", { class: "muted", text: t("commune.pick") }));
    const names = new Map();
    const list = await communeList(names); // first: the activity below names each commune
    const map = landingMap(ctx);
    container.append(map.section, overview(names), list);
    return () => map.stop();
  }
  let commune = recalledCommune(insee);
  const heading = h("h2", { class: "commune-name", "data-testid": "commune-name", text: commune ? commune.name : insee });
  container.append(heading);
  if (!commune) {
    get(`communes/${encodeURIComponent(insee)}`)
      .then((c) => {
        commune = c;
        heading.textContent = c.name;
      })
      .catch(() => {});
  }
  if (ctx.me && (ctx.me.referent_of || []).includes(insee)) {
    container.append(
      h(
        "p",
        { class: "row wrap" },
        h("a", { href: `#/commune/${encodeURIComponent(insee)}/desk`, "data-testid": "desk-link", text: t("desk.link") }),
        h("a", { href: `#/moderation/commune/${encodeURIComponent(insee)}`, "data-testid": "commune-moderation-link", text: t("moderation.commune_link") }),
      ),
    );
  }
  if (ctx.me) {
    if (ctx.me.home_commune === insee) {
      container.append(h("p", { class: "muted", "data-testid": "home-commune", text: t("commune.is_home") }));
    } else {
      const btn = h("button", {
        type: "button",
        "data-testid": "set-home",
        text: t("commune.set_home"),
        onclick: async () => {
          try {
            ctx.me = await patch("auth/me", { home_commune: insee });
            btn.replaceWith(h("p", { class: "muted", "data-testid": "home-commune", text: t("commune.is_home") }));
          } catch (e) {
            btn.after(h("p", { class: "form-error", role: "alert", text: errorText(e) }));
          }
        },
      });
      container.append(btn);
    }
  } else {
    container.append(signinPrompt());
  }

  const rooms = h("ul", { class: "list", "data-testid": "commune-rooms" });
  const events = h("ul", { class: "list", "data-testid": "commune-events" });
  const proposals = h("ul", { class: "list", "data-testid": "commune-proposals" });
  container.append(
    h(
      "div",
      { class: "grid-3" },
      section("commune.rooms", "rooms", rooms, ctx.me && roomForm(ctx, insee)),
      section("commune.events", "events", events, ctx.me && eventForm(ctx, insee, () => commune)),
      section("commune.proposals", "proposals", proposals, ctx.me && proposalForm(ctx, { commune: insee })),
    ),
  );
  const decisions = decisionsSection(insee);
  const map = mapSection(ctx, insee, commune);
  const orgs = organisationsSection(ctx, insee, () => commune);
  const news = newsSection(ctx, insee, {
    onEvent(frame) {
      if (frame.kind === "commune.proposal_closed") decisions.reload();
      if (frame.kind === "commune.organisation_created") orgs.reload();
      map.onNews(frame);
    },
  });
  const actions = actionsSection(ctx, { query: { commune: insee }, topic: `commune:${insee}`, linkProposals: true });
  if (ctx.me && ctx.me.home_commune === insee) container.append(nearbySection());
  container.append(map.section, orgs.section, h("div", { class: "grid-2" }, news.section, decisions.section), actions.section, openDataSection(insee));
  fill(rooms, get(`rooms${qs({ commune: insee })}`), "commune.no_rooms", (r) =>
    h("li", {}, h("a", { href: `#/room/${r.id}`, "data-testid": "room-link", text: r.name }), unreadBadge(r)),
  );
  fill(events, get(`events${qs({ commune: insee, from: new Date().toISOString() })}`), "commune.no_events", (e) =>
    h(
      "li",
      {},
      h("a", { href: `#/event/${e.id}`, "data-testid": "event-link", text: e.title }),
      h("small", { class: "muted block", text: formatDateTime(e.starts_at, e.timezone, { dateStyle: "medium", timeStyle: "short" }) }),
    ),
  );
  fill(proposals, get(`proposals${qs({ commune: insee, phase: "tovote" })}`), "commune.no_proposals", (p) =>
    h("li", {}, h("a", { href: `#/proposal/${p.id}`, "data-testid": "proposal-link", text: p.title })),
  );
  return () => {
    news.stop();
    map.stop();
    orgs.stop();
    actions.stop();
  };
}
