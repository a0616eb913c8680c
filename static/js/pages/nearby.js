// "Near you and sharing your interests" on your own commune's page: people who allow it and
// organisations of your commune (or within a radius), most shared interests first.

import { get, qs } from "../api.js";
import { avatar } from "../avatars.js";
import { field, h } from "../dom.js";
import { addMessages, errorText, t } from "../i18n.js";
import { tagLinks } from "../tags.js";

addMessages({
  fr: {
    "nearby.title": "Près de chez vous, vos centres d'intérêt en commun",
    "nearby.radius": "Où",
    "nearby.radius.0": "Dans ma commune",
    "nearby.radius.10": "À 10 km",
    "nearby.radius.30": "À 30 km",
    "nearby.people": "Personnes",
    "nearby.organisations": "Organisations",
    "nearby.no_interests": "Ajoutez vos centres d'intérêt à votre profil pour trouver qui les partage.",
    "nearby.none": "Personne ni aucune organisation ne partage encore vos centres d'intérêt ici.",
    "nearby.profile": "Mon profil",
  },
  en: {
    "nearby.title": "Near you, sharing your interests",
    "nearby.radius": "Where",
    "nearby.radius.0": "In my commune",
    "nearby.radius.10": "Within 10 km",
    "nearby.radius.30": "Within 30 km",
    "nearby.people": "People",
    "nearby.organisations": "Organisations",
    "nearby.no_interests": "Add your interests to your profile to find who shares them.",
    "nearby.none": "Nobody and no organisation shares your interests here yet.",
    "nearby.profile": "My profile",
  },
});

export function nearbySection() {
  const radius = h("select", { "data-testid": "nearby-radius" }, ["0", "10", "30"].map((r) => h("option", { value: r, text: t(`nearby.radius.${r}`) })));
  const body = h("div", { "data-testid": "nearby", "aria-live": "polite" });
  async function load() {
    body.replaceChildren(h("p", { class: "muted", text: t("common.loading") }));
    try {
      const data = await get(`people/nearby${qs({ radius_km: radius.value })}`);
      if (!data.interests.length) {
        body.replaceChildren(h("p", { class: "muted" }, t("nearby.no_interests"), " ", h("a", { href: "#/me", text: t("nearby.profile") })));
        return;
      }
      const parts = [];
      if (data.people.length) {
        parts.push(
          h("h3", { text: t("nearby.people") }),
          h("ul", { class: "list", "data-testid": "nearby-people" }, data.people.map((p) => h("li", { "data-testid": "nearby-person", "data-user": p.username }, avatar(p.username, 24), h("a", { href: `#/person/${encodeURIComponent(p.username)}`, text: p.display_name }), tagLinks(p.shared, "nearby-shared")))),
        );
      }
      if (data.organisations.length) {
        parts.push(
          h("h3", { text: t("nearby.organisations") }),
          h("ul", { class: "list", "data-testid": "nearby-orgs" }, data.organisations.map((o) => h("li", {}, h("a", { href: `#/organisation/${o.id}`, text: o.name }), tagLinks(o.shared, "nearby-shared")))),
        );
      }
      body.replaceChildren(...(parts.length ? parts : [h("p", { class: "muted", text: t("nearby.none") })]));
    } catch (err) {
      body.replaceChildren(h("p", { class: "form-error", text: errorText(err) }));
    }
  }
  radius.addEventListener("change", load);
  load();
  return h("section", { class: "card", "aria-labelledby": "h-nearby" }, h("h2", { id: "h-nearby", text: t("nearby.title") }), h("div", { class: "filters" }, field(t("nearby.radius"), radius)), body);
}
