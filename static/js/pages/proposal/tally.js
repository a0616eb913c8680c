// The live bars of a proposal: one per option, counts, percentages and turnout.

import { h } from "../../dom.js";
import { formatNumber, formatPercent, t } from "../../i18n.js";

export const DEFAULT_KEYS = ["up", "down", "white", "uncomplet"];
export const CONSENT_KEYS = ["agree", "abstain", "disagree", "block"];

export function optionLabel(opt) {
  // The default and consent ballots' keys have translated labels; custom choices are shown as written.
  if (DEFAULT_KEYS.includes(opt.key) || CONSENT_KEYS.includes(opt.key)) return t(`proposal.option_${opt.key}`);
  return opt.label || opt.key;
}

/** What 100 % of a bar is, per kind: points given (dot), the top of the scale (score); the
 * ballots otherwise. Options for TallyBars.apply. */
export function barScale(kind, tally) {
  if (kind === "dot") return { denominator: tally.points_cast || 0, words: (n) => t("results.points", { n }) };
  if (kind === "score") {
    const max = (tally.scale || [0, 5])[1];
    return { denominator: (tally.total || 0) * max, words: (n, key) => t("results.average_of", { avg: formatNumber((tally.averages || {})[key] ?? 0), max }) };
  }
  return {};
}

export class TallyBars {
  constructor(options, labelOf = optionLabel) {
    this.rows = new Map();
    this.turnout = h("p", { "data-testid": "turnout" });
    // Who may vote: the rule that applied, and whether the electorate was fixed at the opening.
    this.electorate = h("p", { class: "muted", "data-testid": "electorate" });
    this.hiddenNote = h("p", { class: "muted", "data-testid": "results-hidden", hidden: true, text: t("proposal.results_hidden") });
    this.bars = h(
      "div",
      { class: "bars", "data-testid": "bars", role: "list" },
      options.map((opt) => {
        const fill = h("div", { class: "bar-fill" });
        const count = h("span", { class: "count", "data-testid": `count-${opt.key}`, "data-count": "0", text: "0" });
        const bar = h("div", { class: "bar", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0", "aria-label": labelOf(opt) }, fill);
        const row = h("div", { class: "bar-row", role: "listitem", "data-testid": `option-${opt.key}` }, h("span", { class: "label", text: labelOf(opt) }), bar, count);
        this.rows.set(opt.key, { row, fill, count, bar });
        return row;
      }),
    );
  }

  /** `denominator`: what 100 % is (default: the number of ballots); `words(n, key)`: the
   * count's accessible text (default "n votes"). */
  apply(tally, { hidden, denominator = null, words = null }) {
    const counts = tally.counts || {};
    this.hiddenNote.hidden = !hidden;
    const total = tally.total ?? Object.values(counts).reduce((a, b) => a + b, 0);
    const whole = denominator ?? total;
    for (const [key, r] of this.rows) {
      const n = counts[key] ?? 0;
      const pct = whole > 0 ? (100 * n) / whole : 0;
      r.fill.style.width = `${Math.min(pct, 100).toFixed(1)}%`;
      r.count.dataset.count = String(n);
      r.count.textContent = `${formatNumber(n)} · ${formatPercent(pct / 100)}`;
      r.bar.setAttribute("aria-valuenow", Math.min(pct, 100).toFixed(0));
      r.bar.setAttribute("aria-valuetext", words ? words(n, key) : t("proposal.votes", { n }));
    }
    this.turnout.dataset.total = String(total);
    if (tally.electorate) {
      this.electorate.dataset.rule = tally.electorate.rule;
      this.electorate.textContent = t(`proposal.electorate_${tally.electorate.rule}`, { n: formatNumber(tally.electorate.size ?? 0) });
    }
    const eligible = tally.eligible;
    this.turnout.textContent =
      eligible && !tally.hidden
        ? t("proposal.turnout_pct", { total: formatNumber(total), eligible: formatNumber(eligible), pct: formatPercent(tally.turnout ?? total / eligible) })
        : t("proposal.turnout", { n: total, total: formatNumber(total) });
  }
}
