// What the live `tally` of each kind adds under the bars: consent's blocks and reasons, score's
// averages and distributions, dot's points, ranked choice's rounds and Condorcet winner once
// closed, and the winner in words (docs/PROTOCOL.md §B.5).

import { h } from "../../dom.js";
import { formatNumber, t } from "../../i18n.js";
import { slotLabel } from "./ballots.js";

export class KindResults {
  constructor(p) {
    this.p = p;
    this.labels = Object.fromEntries(p.options.map((o) => [o.key, slotLabel(o)]));
    this.el = h("div", { class: "kind-results", "data-testid": "kind-results", "data-kind": p.kind, "aria-live": "polite" });
  }

  label(key) {
    return this.labels[key] ?? key;
  }

  apply(tally) {
    const parts = [];
    const kind = this.p.kind;
    if (kind === "consent" && Array.isArray(tally.blocks)) parts.push(this.blocks(tally.blocks));
    if (kind === "score" && tally.averages) parts.push(this.scores(tally));
    if (kind === "dot" && tally.points_cast != null)
      parts.push(h("p", { "data-testid": "points-cast", "data-points": String(tally.points_cast), text: t("results.points_cast", { n: formatNumber(tally.points_cast) }) }));
    if (kind === "ranked" && !tally.final && !tally.hidden) parts.push(h("p", { class: "hint", text: t("results.first_preferences") }));
    const result = tally.result;
    if (result && typeof result === "object") {
      if (result.winner) parts.push(h("p", { class: "winner", "data-testid": "winner", "data-winner": result.winner, text: t(tally.final ? "results.winner" : "results.leading", { option: this.label(result.winner) }) }));
      if (result.reason === "tie" && result.tied) parts.push(h("p", { "data-testid": "tied", text: t("results.tied", { options: result.tied.map((k) => this.label(k)).join(", ") }) }));
      if (Array.isArray(result.rounds)) parts.push(this.rounds(result));
    }
    this.el.replaceChildren(...parts);
  }

  blocks(blocks) {
    if (!blocks.length) return h("p", { "data-testid": "blocks", "data-count": "0", text: t("results.no_blocks") });
    return h(
      "div",
      { "data-testid": "blocks", "data-count": String(blocks.length) },
      h("p", { class: "banner banner-bad", text: t("results.blocked", { n: blocks.length }) }),
      h(
        "ul",
        { class: "list" },
        blocks.map((b) => h("li", { "data-testid": "block-reason" }, b.voter ? h("strong", { text: `${b.voter} : ` }) : null, b.reason)),
      ),
    );
  }

  scores(tally) {
    const [min, max] = tally.scale || [0, 5];
    return h(
      "table",
      { class: "results-table", "data-testid": "score-results" },
      h("caption", { text: t("results.scores_caption", { min, max }) }),
      h("thead", {}, h("tr", {}, h("th", { scope: "col", text: t("results.option") }), h("th", { scope: "col", text: t("results.average") }), h("th", { scope: "col", text: t("results.distribution") }))),
      h(
        "tbody",
        {},
        this.p.options.map((o) => {
          const dist = (tally.distribution || {})[o.key] || {};
          const cells = Object.entries(dist).map(([score, n]) => `${score}: ${n}`).join(" · ");
          return h(
            "tr",
            { "data-testid": `score-row-${o.key}` },
            h("th", { scope: "row", text: this.label(o.key) }),
            h("td", { "data-testid": `average-${o.key}`, "data-average": String(tally.averages[o.key]), text: formatNumber(tally.averages[o.key]) }),
            h("td", { class: "hint", text: cells }),
          );
        }),
      ),
    );
  }

  rounds(result) {
    const keys = this.p.options.map((o) => o.key);
    return h(
      "div",
      { "data-testid": "rounds" },
      h(
        "table",
        { class: "results-table" },
        h("caption", { text: t("results.rounds_caption") }),
        h("thead", {}, h("tr", {}, h("th", { scope: "col", text: t("results.round") }), keys.map((k) => h("th", { scope: "col", text: this.label(k) })), h("th", { scope: "col", text: t("results.exhausted") }))),
        h(
          "tbody",
          {},
          result.rounds.map((round, i) =>
            h(
              "tr",
              { "data-testid": `round-${i + 1}` },
              h("th", { scope: "row", text: String(i + 1) }),
              keys.map((k) => h("td", { class: round.eliminated === k ? "eliminated" : "", text: k in round.counts ? formatNumber(round.counts[k]) : "—" })),
              h("td", { text: formatNumber(round.exhausted) }),
            ),
          ),
        ),
      ),
      h("ol", { class: "hint" }, result.rounds.filter((r) => r.eliminated).map((r) => h("li", { text: t("results.eliminated", { option: this.label(r.eliminated) }) }))),
      h("p", {
        "data-testid": "condorcet",
        "data-winner": result.condorcet_winner || "",
        text: result.condorcet_winner ? t("results.condorcet", { option: this.label(result.condorcet_winner) }) : t("results.no_condorcet"),
      }),
    );
  }
}

/** The banner's words for a closed vote: adopted/refused and why (block, tie, quorum…). */
export function resultWords(result, reason) {
  const base = ["adopted", "refused"].includes(result) ? t(`proposal.result_${result}`) : t("proposal.result_other", { result });
  const why = reason && ["block", "tie", "quorum", "no_votes"].includes(reason) ? t(`results.reason_${reason}`) : "";
  return why ? `${base} — ${why}` : base;
}
