// The one search box (#/search/<words>): rooms, messages, events, proposals you may read, organisations.

import { get, qs } from "../api.js";
import { field, h } from "../dom.js";
import { errorText, t } from "../i18n.js";
import "./organisation-messages.js";

const PAGE = 10;
const KINDS = ["rooms", "messages", "events", "proposals", "organisations", "people"];

function hitHref(hit) {
  if (hit.kind === "rooms") return `#/room/${hit.id}`;
  if (hit.kind === "messages") return `#/room/${hit.room}`;
  if (hit.kind === "events") return `#/event/${hit.id}`;
  if (hit.kind === "organisations") return `#/organisation/${hit.id}`;
  if (hit.kind === "people") return `#/person/${encodeURIComponent(hit.username)}`;
  return `#/proposal/${hit.id}`;
}

function hitItem(hit) {
  return h(
    "li",
    { "data-testid": "search-hit", "data-kind": hit.kind },
    h("span", { class: "badge", text: t(`search.kind.${hit.kind}`) }),
    " ",
    h("a", { href: hitHref(hit), "data-testid": "search-hit-link", text: hit.title || t(`search.kind.${hit.kind}`) }),
    hit.snippet ? h("p", { class: "muted", text: hit.snippet }) : null,
  );
}

export function render(ctx, params, container) {
  const input = h("input", { type: "search", name: "q", autocomplete: "off", "data-testid": "search-input", value: params[0] || "" });
  const kind = h(
    "select",
    { "data-testid": "search-kind" },
    h("option", { value: "", text: t("search.all") }),
    KINDS.map((k) => h("option", { value: k, text: t(`search.kind.${k}`) })),
  );
  const status = h("p", { role: "status", "data-testid": "search-status" });
  const results = h("ul", { class: "list", "data-testid": "search-results" });
  const prev = h("button", { type: "button", "data-testid": "search-prev", text: t("search.prev"), hidden: true });
  const next = h("button", { type: "button", "data-testid": "search-next", text: t("search.next"), hidden: true });
  let offset = 0;
  let seq = 0;

  async function run() {
    const q = input.value.trim();
    const mine = ++seq;
    results.replaceChildren();
    prev.hidden = next.hidden = true;
    if (!q) {
      status.textContent = "";
      return;
    }
    status.textContent = t("common.loading");
    try {
      const data = await get(`search${qs({ q, kinds: kind.value, limit: PAGE, offset })}`);
      if (mine !== seq) return;
      status.textContent = t("search.count", { n: data.total });
      results.replaceChildren(...data.items.map(hitItem));
      prev.hidden = offset === 0;
      next.hidden = offset + PAGE >= data.total;
    } catch (err) {
      if (mine === seq) status.textContent = errorText(err);
    }
  }

  const form = h(
    "form",
    {
      role: "search",
      class: "search-form",
      onsubmit: (ev) => {
        ev.preventDefault();
        offset = 0;
        history.replaceState(null, "", `#/search/${encodeURIComponent(input.value.trim())}`);
        run();
      },
    },
    field(t("search.label"), input, t("search.hint")),
    field(t("search.kinds"), kind),
    h("button", { type: "submit", "data-testid": "search-submit", text: t("search.submit") }),
  );
  prev.addEventListener("click", () => {
    offset = Math.max(0, offset - PAGE);
    run();
  });
  next.addEventListener("click", () => {
    offset += PAGE;
    run();
  });
  container.append(
    h("h1", { text: t("search.title") }),
    form,
    status,
    results,
    h("nav", { class: "pager", "aria-label": t("search.pages") }, prev, " ", next),
  );
  if (input.value) run();
  input.focus();
}
