// The commune page's open data: download links for its public events, organisations and
// decisions (GeoJSON, CSV, JSON) and the licence they come under.

import { get } from "../api.js";
import { h } from "../dom.js";
import { addMessages, errorText, t } from "../i18n.js";

addMessages({
  fr: {
    "opendata.title": "Données ouvertes",
    "opendata.intro": "Téléchargez les données publiques de la commune, librement réutilisables.",
    "opendata.events": "Événements publics",
    "opendata.organisations": "Organisations",
    "opendata.decisions": "Décisions",
    "opendata.all": "Tout (JSON)",
    "opendata.licence": "Licence : {name}",
  },
  en: {
    "opendata.title": "Open data",
    "opendata.intro": "Download the commune's public data, free to reuse.",
    "opendata.events": "Public events",
    "opendata.organisations": "Organisations",
    "opendata.decisions": "Decisions",
    "opendata.all": "Everything (JSON)",
    "opendata.licence": "Licence: {name}",
  },
});

export function openDataSection(insee) {
  const list = h("ul", { class: "list", "data-testid": "opendata-links" });
  const licence = h("p", { class: "muted", "data-testid": "opendata-licence" });
  get(`opendata/communes/${encodeURIComponent(insee)}`)
    .then((data) => {
      const formats = (key, files) =>
        h(
          "li",
          {},
          h("span", { text: `${t(`opendata.${key}`)} : ` }),
          Object.entries(files).map(([format, url], i) => [i ? " · " : "", h("a", { href: url, download: "", "data-testid": `opendata-${key}-${format}`, text: format.toUpperCase() })]),
        );
      list.replaceChildren(
        formats("events", data.datasets.events),
        formats("organisations", data.datasets.organisations),
        formats("decisions", data.datasets.decisions),
        h("li", {}, h("a", { href: data.datasets.all.json, download: "", "data-testid": "opendata-all-json", text: t("opendata.all") })),
      );
      licence.replaceChildren(h("a", { href: data.licence.url, rel: "license noopener", target: "_blank", text: t("opendata.licence", { name: data.licence.name }) }));
    })
    .catch((err) => list.replaceChildren(h("li", { class: "form-error", text: errorText(err) })));
  return h("section", { class: "card", "aria-labelledby": "h-opendata" }, h("h2", { id: "h-opendata", text: t("opendata.title") }), h("p", { text: t("opendata.intro") }), list, licence);
}
