// A tags field: comma-separated words, with existing tags suggested while typing (GET /api/tags?q=)
// as buttons that complete the word being typed; and tags shown as links to their page.

import { get, qs } from "./api.js";
import { field, h } from "./dom.js";
import { addMessages, t } from "./i18n.js";

addMessages({
  fr: {
    "tags.suggestions": "Suggestions",
    "tags.use": "Ajouter #{tag} (utilisé {n} fois)",
  },
  en: {
    "tags.suggestions": "Suggestions",
    "tags.use": "Add #{tag} (used {n} times)",
  },
});

export function tagLinks(tags, testid = "tags") {
  return h("p", { class: "tags", "data-testid": testid }, (tags || []).map((tag) => h("a", { class: "badge", href: `#/tag/${encodeURIComponent(tag)}`, text: `#${tag}` })));
}

export function tagField(label, testid, initial = [], hint = null) {
  const input = h("input", { autocomplete: "off", "data-testid": testid, value: (initial || []).join(", ") });
  const list = h("ul", { class: "tag-suggestions", "data-testid": `${testid}-suggestions`, "aria-label": t("tags.suggestions") });
  let seq = 0;
  let timer = null;
  const words = () => input.value.split(",").map((s) => s.trim());
  async function suggest() {
    const mine = ++seq;
    const last = words().pop() || "";
    if (last.length < 2) {
      list.replaceChildren();
      return;
    }
    try {
      const data = await get(`tags${qs({ q: last, limit: 6 })}`);
      if (mine !== seq) return;
      const taken = new Set(words().slice(0, -1).map((w) => w.toLowerCase()));
      list.replaceChildren(
        ...data.items
          .filter((s) => !taken.has(s.tag))
          .map((s) =>
            h(
              "li",
              {},
              h("button", {
                type: "button",
                class: "link",
                "data-testid": "tag-suggestion",
                "aria-label": t("tags.use", { tag: s.tag, n: s.uses }),
                text: `#${s.tag}`,
                onclick: () => {
                  const done = words().slice(0, -1).filter(Boolean);
                  input.value = [...done, s.tag].join(", ") + ", ";
                  list.replaceChildren();
                  input.focus();
                },
              }),
            ),
          ),
      );
    } catch {
      list.replaceChildren(); // suggestions are a help, not a need
    }
  }
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, 150);
  });
  return {
    node: h("div", {}, field(label, input, hint), list),
    read: () => words().filter(Boolean),
  };
}
