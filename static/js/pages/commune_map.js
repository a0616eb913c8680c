// The commune map: Leaflet (vendored, loaded on demand), tiles from the server's settings,
// a marker per event and per organisation with coordinates, clustered past `cluster_from`,
// filtered by what to show, event type, tag and date; a marker opens its item, and events and
// organisations created meanwhile appear from the commune's live news.

import { get, qs } from "../api.js";
import { field, h } from "../dom.js";
import { errorText, t } from "../i18n.js";
import "./organisation-messages.js";

const LEAFLET = "/static/vendor/leaflet-1.9.4";
const CLUSTER = "/static/vendor/leaflet.markercluster-1.5.3";
const TYPES = ["meeting", "market", "festival", "concert", "workshop", "conference", "debate", "getTogether", "exhibition", "others"];
let loading = null;

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = h("script", { src });
    s.addEventListener("load", resolve);
    s.addEventListener("error", () => reject(new Error(`cannot load ${src}`)));
    document.head.append(s);
  });
}

/** Leaflet then its cluster plugin (which needs the global `L`), once per page load. */
export function loadLeaflet() {
  if (!loading) {
    for (const href of [`${LEAFLET}/leaflet.css`, `${CLUSTER}/MarkerCluster.css`, `${CLUSTER}/MarkerCluster.Default.css`]) {
      document.head.append(h("link", { rel: "stylesheet", href }));
    }
    loading = loadScript(`${LEAFLET}/leaflet.js`).then(() => loadScript(`${CLUSTER}/leaflet.markercluster.js`));
  }
  return loading;
}

function orgPasses(org, filters) {
  if (org.latitude == null || org.longitude == null || filters.show === "events") return false;
  if (filters.type) return false; // an event type is asked for
  return !filters.tag || (org.tags || []).includes(filters.tag);
}

function passes(ev, filters) {
  if (ev.latitude == null || ev.longitude == null) return false;
  if (filters.show === "organisations" || filters.tag) return false; // events carry no tags yet
  if (filters.type && ev.type !== filters.type) return false;
  if (ev.ends_at < (filters.from || new Date().toISOString())) return false;
  if (filters.to && ev.starts_at > filters.to) return false;
  return true;
}

export function mapSection(ctx, insee, commune) {
  const mapEl = h("div", { class: "map", "data-testid": "commune-map", role: "region", "aria-label": t("map.label") });
  const status = h("p", { class: "muted", role: "status", "data-testid": "map-status" });
  const type = h("select", { "data-testid": "map-type" }, h("option", { value: "", text: t("map.all_types") }), TYPES.map((k) => h("option", { value: k, text: t(`map.type.${k}`) })));
  const from = h("input", { type: "date", "data-testid": "map-from" });
  const to = h("input", { type: "date", "data-testid": "map-to" });
  const show = h(
    "select",
    { "data-testid": "map-show" },
    ["all", "events", "organisations"].map((k) => h("option", { value: k === "all" ? "" : k, text: t(`map.show.${k}`) })),
  );
  const tag = h("input", { type: "search", "data-testid": "map-tag", autocomplete: "off", placeholder: "#" });
  const section = h(
    "section",
    { class: "card", "aria-labelledby": "h-map" },
    h("h2", { id: "h-map", text: t("map.title") }),
    h("div", { class: "filters" }, field(t("map.show"), show), field(t("map.type"), type), field(t("map.from"), from), field(t("map.to"), to), field(t("map.tag"), tag)),
    mapEl,
    status,
  );
  let map = null;
  let layer = null;
  let config = null;
  let events = new Map();
  let orgs = new Map();

  const filters = () => ({
    show: show.value,
    tag: tag.value.trim().replace(/^#/, "").toLowerCase(),
    type: type.value,
    from: from.value ? new Date(`${from.value}T00:00`).toISOString() : "",
    to: to.value ? new Date(`${to.value}T23:59:59`).toISOString() : "",
  });

  function draw() {
    const L = window.L;
    if (layer) layer.remove();
    const f = filters();
    const shownEvents = [...events.values()].filter((ev) => passes(ev, f));
    const shownOrgs = [...orgs.values()].filter((org) => orgPasses(org, f));
    const shown = [
      ...shownEvents.map((ev) => ({ ...ev, href: `#/event/${ev.id}`, testid: "map-marker" })),
      ...shownOrgs.map((org) => ({ ...org, title: org.name, href: `#/organisation/${org.id}`, testid: "map-org-marker", org: true })),
    ];
    const clustered = shown.length > config.cluster_from;
    layer = clustered ? L.markerClusterGroup() : L.layerGroup();
    for (const item of shown) {
      const options = { title: item.title, alt: item.title, keyboard: true };
      if (item.org) options.icon = L.divIcon({ className: "org-marker", html: "", iconSize: [22, 22] });
      const marker = L.marker([item.latitude, item.longitude], options);
      marker.on("click", () => ctx.navigate(item.href));
      marker.on("add", () => {
        const el = marker.getElement();
        el.setAttribute("data-testid", item.testid);
        if (item.org) el.setAttribute("aria-label", item.title);
        // Enter or Space on a focused marker opens it, as a click does (and no keypress follows).
        el.addEventListener("keydown", (e) => {
          if (e.key !== "Enter" && e.key !== " ") return;
          e.preventDefault();
          ctx.navigate(item.href);
        });
      });
      layer.addLayer(marker);
    }
    layer.addTo(map);
    mapEl.dataset.markers = String(shownEvents.length);
    mapEl.dataset.orgMarkers = String(shownOrgs.length);
    mapEl.dataset.clustered = String(clustered);
    status.textContent = [t("map.count", { n: shownEvents.length }), t("map.org_count", { n: shownOrgs.length })].join(" · ");
    if (shown.length) map.fitBounds(L.latLngBounds(shown.map((ev) => [ev.latitude, ev.longitude])), { maxZoom: 15, padding: [20, 20], animate: false });
  }

  async function load() {
    const f = filters();
    const [data, orgData] = await Promise.all([
      get(`events${qs({ commune: insee, from: f.from || new Date().toISOString(), to: f.to, type: f.type, limit: 200 })}`),
      get(`organisations${qs({ commune: insee, limit: 200 })}`),
    ]);
    events = new Map(data.items.map((ev) => [ev.id, ev]));
    orgs = new Map(orgData.items.map((org) => [org.id, org]));
    draw();
  }

  (async () => {
    try {
      [config] = await Promise.all([get("map"), loadLeaflet()]);
      const L = window.L;
      const center = commune && commune.latitude != null ? [commune.latitude, commune.longitude] : [-21.115, 55.536];
      map = L.map(mapEl, { scrollWheelZoom: false, maxZoom: 19 }).setView(center, 12);
      if (config.tile_url) L.tileLayer(config.tile_url, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
      mapEl.leafletMap = map; // for the console and tests
      mapEl.dataset.ready = "true";
      await load();
    } catch (err) {
      status.textContent = errorText(err);
    }
  })();
  for (const control of [type, from, to]) control.addEventListener("change", () => load().catch((err) => (status.textContent = errorText(err))));
  show.addEventListener("change", () => map && draw());
  tag.addEventListener("input", () => map && draw());

  return {
    section,
    /** A frame of commune:<insee>: a new event gets its marker without a reload. */
    onNews(frame) {
      if (!map) return;
      if (frame.kind === "commune.event_created") events.set(frame.data.id, frame.data);
      else if (frame.kind === "commune.organisation_created") orgs.set(frame.data.id, frame.data);
      else return;
      draw();
    },
    stop() {
      if (map) map.remove();
    },
  };
}
