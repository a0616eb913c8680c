// The commune page's live news (topic commune:<insee>) and its past decisions.

import { get, qs } from "../api.js";
import { field, h } from "../dom.js";
import { errorText, formatDateTime, t } from "../i18n.js";
import "./organisation-messages.js";

const SHOWN = 20;

function newsItem(frame) {
  const d = frame.data;
  const links = {
    "commune.room_created": [`#/room/${d.id}`, d.name],
    "commune.event_created": [`#/event/${d.id}`, d.title],
    "commune.proposal_created": [`#/proposal/${d.id}`, d.title],
    "commune.proposal_closed": [`#/proposal/${d.id}`, d.title],
    "commune.organisation_created": [`#/organisation/${d.id}`, d.name],
  };
  const [href, title] = links[frame.kind] || [null, ""];
  if (!href) return null;
  const what = frame.kind === "commune.proposal_closed" ? t(`news.closed.${d.result}`) : t(`news.${frame.kind}`);
  return h(
    "li",
    { "data-testid": "news-item", "data-kind": frame.kind, "data-seq": String(frame.seq) },
    h("span", { class: "badge", text: what }),
    " ",
    // A proposal hidden by moderation went out without its title: no nameless link to a page one may not read.
    title ? h("a", { href, text: title }) : h("span", { class: "muted", "data-testid": "news-untitled", text: t("news.untitled") }),
    h("small", { class: "muted block", text: formatDateTime(frame.at, undefined, { dateStyle: "medium", timeStyle: "short" }) }),
  );
}

/** The live list; calls onEvent(frame) for each new event (the map adds markers). Returns the stop function. */
export function newsSection(ctx, insee, { onEvent } = {}) {
  const list = h("ul", { class: "list", "data-testid": "commune-news", "aria-live": "polite" });
  const empty = h("li", { class: "muted", text: t("news.none") });
  list.append(empty);
  const section = h("section", { class: "card", "aria-labelledby": "h-news" }, h("h2", { id: "h-news", text: t("news.title") }), list);
  const stop = ctx.socket.subscribe(
    `commune:${insee}`,
    {
      event(frame) {
        const item = newsItem(frame);
        if (!item) return;
        empty.remove();
        list.prepend(item);
        while (list.childElementCount > SHOWN) list.lastElementChild.remove();
        if (onEvent) onEvent(frame);
      },
    },
    // Replays the commune's recent history, then goes live.
    { since: 0 },
  );
  return { section, stop };
}

function decisionItem(p) {
  return h(
    "li",
    { "data-testid": "decision", "data-result": p.result || "" },
    h("span", { class: `badge result-${p.result}`, text: t(`news.closed.${p.result}`) }),
    " ",
    h("a", { href: `#/proposal/${p.id}`, text: p.title }),
    h("small", { class: "muted block", text: t("decisions.votes", { n: p.total }) }),
  );
}

const folded = (s) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();

export function decisionsSection(insee) {
  const list = h("ul", { class: "list", "data-testid": "decisions" });
  const result = h(
    "select",
    { "data-testid": "decisions-result" },
    h("option", { value: "", text: t("decisions.all") }),
    h("option", { value: "adopted", text: t("news.closed.adopted") }),
    h("option", { value: "refused", text: t("news.closed.refused") }),
  );
  const text = h("input", { type: "search", "data-testid": "decisions-filter", autocomplete: "off" });
  let items = [];
  function show() {
    const words = folded(text.value.trim());
    const shown = items.filter((p) => !words || folded(p.title).includes(words));
    list.replaceChildren(...(shown.length ? shown.map(decisionItem) : [h("li", { class: "muted", text: t("decisions.none") })]));
  }
  async function load() {
    list.replaceChildren(h("li", { class: "muted", text: t("common.loading") }));
    try {
      const data = await get(`proposals${qs({ commune: insee, phase: "resolved", result: result.value, limit: 200 })}`);
      items = data.items;
      show();
    } catch (err) {
      list.replaceChildren(h("li", { class: "form-error", text: errorText(err) }));
    }
  }
  result.addEventListener("change", load);
  text.addEventListener("input", show);
  load();
  const section = h(
    "section",
    { class: "card", "aria-labelledby": "h-decisions" },
    h("h2", { id: "h-decisions", text: t("decisions.title") }),
    h("div", { class: "filters" }, field(t("decisions.result"), result), field(t("decisions.filter"), text)),
    list,
  );
  return { section, reload: load };
}
