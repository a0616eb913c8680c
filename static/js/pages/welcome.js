// The first screen of someone not signed in: what this is, how to join, the map of the communes
// (with its list) and what is happening in them now.

import { get, qs } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { landingMap } from "./commune/landing_map.js";
import { overview } from "./commune/overview.js";

export async function render(ctx, params, container) {
  const join = ctx.me
    ? h("a", { href: "#/commune", class: "button", "data-testid": "welcome-commune", text: t("welcome.my_commune") })
    : h("a", { href: "#/signin", class: "button", "data-testid": "welcome-join", text: t("welcome.join") });
  container.append(
    h("h1", { "data-testid": "welcome-title", text: t("welcome.title") }),
    h("p", { class: "lead", text: t("welcome.intro") }),
    h("p", { class: "cta" }, join, " ", h("a", { href: "#/search", "data-testid": "welcome-search", text: t("welcome.search") })),
  );
  const map = landingMap(ctx);
  container.append(map.section);
  const names = new Map();
  try {
    for (const c of (await get(`communes${qs({ limit: 100 })}`)).items) names.set(c.insee, c.name);
  } catch {
    /* the activity below then names communes by code */
  }
  container.append(overview(names));
  return () => map.stop();
}
