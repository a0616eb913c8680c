// The map of the first screen: every commune, upcoming event and organisation, clustered where
// they crowd; a marker opens its page, a cluster zooms in (Enter does the same). The same items
// as a list just below it, for keyboards, screen readers and when the map cannot load; one
// "show" filter drives both. (Events placed nowhere are placed at their commune's centre by the
// server; a cluster that cannot split at the deepest zoom spreads its markers out when opened.)

import { get, qs } from "../../api.js";
import { field, h } from "../../dom.js";
import { addMessages, errorText, formatDateTime, t } from "../../i18n.js";
import { loadLeaflet } from "../commune_map.js";

const KINDS = ["communes", "events", "organisations"];
const REUNION = [-21.115, 55.536];

addMessages({
  fr: {
    "landing.map_title": "La carte des communes",
    "landing.map_label": "Carte des communes, des événements à venir et des organisations ; chaque marqueur ouvre sa page",
    "landing.show": "Montrer",
    "landing.show.all": "Tout",
    "landing.show.communes": "Les communes",
    "landing.show.events": "Les événements à venir",
    "landing.show.organisations": "Les organisations",
    "landing.skip_map": "Passer la carte : la même chose en liste",
    "landing.count": "{communes} · {events} · {organisations}",
    "landing.list": "En liste : {count}",
    "landing.n_communes": { one: "{n} commune", other: "{n} communes" },
    "landing.n_events": { one: "{n} événement", other: "{n} événements" },
    "landing.n_organisations": { one: "{n} organisation", other: "{n} organisations" },
    "landing.cluster": { one: "{n} lieu : zoomer", other: "{n} lieux : zoomer" },
    "landing.none": "Rien à montrer.",
  },
  en: {
    "landing.map_title": "The map of the communes",
    "landing.map_label": "Map of the communes, upcoming events and organisations; each marker opens its page",
    "landing.show": "Show",
    "landing.show.all": "Everything",
    "landing.show.communes": "Communes",
    "landing.show.events": "Upcoming events",
    "landing.show.organisations": "Organisations",
    "landing.skip_map": "Skip the map: the same as a list",
    "landing.count": "{communes} · {events} · {organisations}",
    "landing.list": "As a list: {count}",
    "landing.n_communes": { one: "{n} commune", other: "{n} communes" },
    "landing.n_events": { one: "{n} event", other: "{n} events" },
    "landing.n_organisations": { one: "{n} organisation", other: "{n} organisations" },
    "landing.cluster": { one: "{n} place: zoom in", other: "{n} places: zoom in" },
    "landing.none": "Nothing to show.",
  },
});

/** Communes, events and organisations as map items: {kind, id, title, detail, href, lat, lng}. */
async function loadItems() {
  const [communes, events, orgs] = await Promise.all([
    get(`communes${qs({ limit: 100 })}`),
    get(`events${qs({ from: new Date().toISOString(), limit: 200 })}`),
    get(`organisations${qs({ limit: 200 })}`),
  ]);
  const centre = new Map(communes.items.map((c) => [c.insee, c]));
  const at = (thing) => (thing.latitude != null && thing.longitude != null ? [thing.latitude, thing.longitude] : null);
  const name = (insee) => (centre.get(insee) || {}).name || insee || "";
  const items = {
    communes: communes.items.map((c) => ({ id: c.insee, title: c.name, detail: (c.postal_codes || []).join(", "), href: `#/commune/${c.insee}`, at: at(c) })),
    events: events.items.map((e) => ({
      id: e.id,
      title: e.title,
      detail: [formatDateTime(e.starts_at, e.timezone, { dateStyle: "medium", timeStyle: "short" }), name(e.commune)].filter(Boolean).join(" · "),
      href: `#/event/${e.id}`,
      at: at(e),
    })),
    organisations: orgs.items.map((o) => ({ id: o.id, title: o.name, detail: [t(`org.kind.${o.kind}`), o.commune_name].filter(Boolean).join(" · "), href: `#/organisation/${o.id}`, at: at(o) })),
  };
  return items;
}

function markerFor(L, kind, item, navigate) {
  const options = { title: item.title, alt: item.title, keyboard: true };
  if (kind === "communes") {
    const label = h("span", { text: item.title });
    options.icon = L.divIcon({ className: "commune-marker", html: label, iconSize: null });
  } else if (kind === "organisations") {
    options.icon = L.divIcon({ className: "org-marker", html: "", iconSize: [22, 22] });
  }
  const marker = L.marker(item.at, options);
  marker.on("click", () => navigate(item.href));
  marker.on("add", () => {
    const el = marker.getElement();
    el.setAttribute("data-testid", `landing-marker-${kind}`);
    el.setAttribute("aria-label", item.title);
    el.addEventListener("keydown", (e) => {
      if (e.key !== "Enter" && e.key !== " ") return;
      e.preventDefault();
      navigate(item.href);
    });
  });
  return marker;
}

function clusterIcon(L, cluster) {
  const n = cluster.getChildCount();
  const size = n < 10 ? "small" : n < 50 ? "medium" : "large";
  const html = h("div", {}, h("span", { "aria-hidden": "true", text: String(n) }), h("span", { class: "visually-hidden", text: t("landing.cluster", { n }) }));
  return L.divIcon({ html, className: `marker-cluster marker-cluster-${size}`, iconSize: L.point(40, 40) });
}

export function landingMap(ctx) {
  const show = h(
    "select",
    { "data-testid": "landing-show" },
    ["all", ...KINDS].map((k) => h("option", { value: k === "all" ? "" : k, text: t(`landing.show.${k}`) })),
  );
  const mapEl = h("div", { class: "map map-landing", "data-testid": "landing-map", role: "region", "aria-label": t("landing.map_label") });
  // Heard when the filter changes; seen in the list's summary.
  const status = h("p", { class: "visually-hidden", role: "status", "data-testid": "landing-status" });
  const listHeading = h("summary", { id: "h-landing-list", "data-testid": "landing-list-open", text: t("landing.list", { count: "…" }) });
  const lists = Object.fromEntries(KINDS.map((k) => [k, h("ul", { class: "list", "data-testid": `landing-list-${k}` })]));
  // Folded under the map (the communes alone are a long list on a phone); the skip link opens it.
  const listBox = h(
    "details",
    { class: "landing-list", "data-testid": "landing-list" },
    listHeading,
    h("div", { class: "grid-3" }, KINDS.map((k) => h("section", { "data-kind": k }, h("h3", { text: t(`landing.show.${k}`) }), lists[k]))),
  );
  const skip = h("a", {
    href: "#h-landing-list",
    class: "skip-map",
    "data-testid": "skip-map",
    text: t("landing.skip_map"),
    // Not a route: move the focus to the list, as the page's own skip link does.
    onclick: (ev) => {
      ev.preventDefault();
      listBox.open = true;
      listHeading.focus();
    },
  });
  const section = h(
    "section",
    { class: "card", "aria-labelledby": "h-landing-map", "data-testid": "landing" },
    h("h2", { id: "h-landing-map", text: t("landing.map_title") }),
    h("div", { class: "filters" }, field(t("landing.show"), show)),
    skip,
    mapEl,
    status,
    listBox,
  );
  let map = null;
  let layer = null;
  let items = null;

  function shownKinds() {
    return show.value ? [show.value] : KINDS;
  }

  function drawList() {
    for (const kind of KINDS) {
      const wanted = shownKinds().includes(kind);
      lists[kind].closest("section").hidden = !wanted;
      const rows = items[kind].map((it) =>
        h("li", {}, h("a", { href: it.href, "data-testid": `landing-item-${kind}`, text: it.title }), it.detail ? h("small", { class: "muted block", text: it.detail }) : null),
      );
      lists[kind].replaceChildren(...(rows.length ? rows : [h("li", { class: "muted", text: t("landing.none") })]));
    }
    const n = (kind) => (shownKinds().includes(kind) ? items[kind].length : 0);
    const count = t("landing.count", {
      communes: t("landing.n_communes", { n: n("communes") }),
      events: t("landing.n_events", { n: n("events") }),
      organisations: t("landing.n_organisations", { n: n("organisations") }),
    });
    status.textContent = count;
    listHeading.textContent = t("landing.list", { count });
  }

  function drawMap() {
    const L = window.L;
    if (layer) layer.remove();
    layer = L.markerClusterGroup({ iconCreateFunction: (cluster) => clusterIcon(L, cluster), showCoverageOnHover: false });
    const counts = {};
    for (const kind of shownKinds()) {
      const placed = items[kind].filter((it) => it.at);
      counts[kind] = placed.length;
      for (const it of placed) layer.addLayer(markerFor(L, kind, it, (href) => ctx.navigate(href)));
    }
    layer.addTo(map);
    for (const kind of KINDS) mapEl.dataset[kind] = String(counts[kind] || 0);
    mapEl.dataset.clustered = "true";
  }

  (async () => {
    try {
      items = await loadItems();
      drawList();
      const [config] = await Promise.all([get("map"), loadLeaflet()]);
      const L = window.L;
      map = L.map(mapEl, { scrollWheelZoom: false, maxZoom: 19 }).setView(REUNION, 9);
      const placed = KINDS.flatMap((k) => items[k]).filter((it) => it.at);
      if (placed.length) map.fitBounds(L.latLngBounds(placed.map((it) => it.at)), { maxZoom: 12, padding: [16, 16], animate: false });
      if (config.tile_url) L.tileLayer(config.tile_url, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
      mapEl.leafletMap = map; // for the console and tests
      drawMap();
      mapEl.dataset.ready = "true";
    } catch (err) {
      status.textContent = errorText(err);
    }
  })();
  show.addEventListener("change", () => {
    if (!items) return;
    drawList();
    if (map) drawMap();
  });

  return {
    section,
    stop() {
      if (map) map.remove();
    },
  };
}
