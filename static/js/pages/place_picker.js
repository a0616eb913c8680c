// A place picker: a small map where a click (or typing the coordinates) sets latitude and
// longitude, for new organisations and events. Works with no tiles (markers only).

import { get } from "../api.js";
import { field, h } from "../dom.js";
import { t } from "../i18n.js";
import { loadLeaflet } from "./commune_map.js";

export function placePicker(prefix, center) {
  const lat = h("input", { type: "number", step: "any", min: "-90", max: "90", inputmode: "decimal", "data-testid": `${prefix}-latitude` });
  const lon = h("input", { type: "number", step: "any", min: "-180", max: "180", inputmode: "decimal", "data-testid": `${prefix}-longitude` });
  const mapEl = h("div", { class: "map map-small", "data-testid": `${prefix}-picker`, role: "application", "aria-label": t("place.map_label") });
  let map = null;
  let marker = null;

  function show(latitude, longitude) {
    const L = window.L;
    if (!map || latitude == null || longitude == null) return;
    if (!marker) marker = L.marker([latitude, longitude], { keyboard: false }).addTo(map);
    else marker.setLatLng([latitude, longitude]);
    mapEl.dataset.picked = `${latitude.toFixed(5)},${longitude.toFixed(5)}`;
  }

  (async () => {
    try {
      const [config] = await Promise.all([get("map"), loadLeaflet()]);
      const L = window.L;
      const start = center && center.latitude != null ? [center.latitude, center.longitude] : [-21.115, 55.536];
      map = L.map(mapEl, { scrollWheelZoom: false, maxZoom: 19 }).setView(start, 13);
      if (config.tile_url) L.tileLayer(config.tile_url, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
      map.on("click", (ev) => {
        lat.value = ev.latlng.lat.toFixed(6);
        lon.value = ev.latlng.lng.toFixed(6);
        show(ev.latlng.lat, ev.latlng.lng);
      });
      mapEl.leafletMap = map;
      mapEl.dataset.ready = "true";
    } catch {
      mapEl.hidden = true; // the two fields still work
    }
  })();
  for (const input of [lat, lon]) {
    input.addEventListener("change", () => {
      if (lat.value && lon.value) show(Number(lat.value), Number(lon.value));
    });
  }
  const node = h(
    "fieldset",
    { class: "place-picker" },
    h("legend", { text: t("place.legend") }),
    h("p", { class: "hint", text: t("place.hint") }),
    mapEl,
    h("div", { class: "grid-2" }, field(t("place.latitude"), lat), field(t("place.longitude"), lon)),
  );
  return {
    node,
    /** {latitude, longitude} when both are set, else {}. */
    read() {
      if (lat.value === "" || lon.value === "") return {};
      return { latitude: Number(lat.value), longitude: Number(lon.value) };
    },
    stop() {
      if (map) map.remove();
    },
  };
}
