// The ballot of each kind other than `vote`: consent (answer + reason), approval and meeting
// (checkboxes), ranked (reorder by keyboard or drag), score (labelled sliders), dot (steppers).
// Each builds the `vote` command's fields (docs/PROTOCOL.md §B.5) and shows one's own ballot.

import { h } from "../../dom.js";
import { formatDateTime, formatNumber, t } from "../../i18n.js";
import { optionLabel } from "./tally.js";

let widgetCounter = 0;

/** `{el, ballot(), show(myBallot), setEnabled(bool)}` for proposal `p`; `ballot()` returns the
 * fields to send or throws an Error whose message is already worded. */
export function ballotWidget(p) {
  const builders = { consent, approval: choices, meeting: choices, ranked, score, dot };
  return builders[p.kind](p, ++widgetCounter);
}

function consent(p, n) {
  let choice = null;
  const reason = h("textarea", { rows: "3", maxlength: "1000", id: `reason-${n}`, "data-testid": "consent-reason" });
  const reasonHint = h("small", { id: `reason-${n}-hint`, class: "hint", text: t("ballot.reason_hint") });
  reason.setAttribute("aria-describedby", reasonHint.id);
  const buttons = p.options.map((o) =>
    h("button", {
      type: "button",
      "data-testid": `consent-${o.key}`,
      "aria-pressed": "false",
      class: o.key === "block" ? "danger" : "",
      text: optionLabel(o),
      onclick: () => pick(o.key),
    }),
  );
  function pick(key) {
    choice = key;
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.testid === `consent-${key}`));
    reason.required = key === "block";
    if (key === "block") reason.focus();
  }
  const el = h(
    "div",
    { class: "ballot" },
    h("div", { class: "row wrap", role: "group", "aria-label": t("ballot.consent_group") }, buttons),
    h("div", { class: "field" }, h("label", { for: reason.id, text: t("ballot.reason") }), reason, reasonHint),
  );
  return {
    el,
    ballot() {
      if (!choice) throw new Error(t("ballot.pick_one"));
      if (choice === "block" && !reason.value.trim()) {
        reason.focus();
        throw new Error(t("ballot.block_needs_reason"));
      }
      return reason.value.trim() ? { choice, reason: reason.value.trim() } : { choice };
    },
    show(mine) {
      if (!mine) return;
      pick(mine.choice);
      reason.value = mine.reason || "";
    },
    setEnabled(on) {
      for (const b of buttons) b.disabled = !on;
      reason.disabled = !on;
    },
  };
}

export function slotLabel(o) {
  if (!o.starts_at) return optionLabel(o);
  const end = new Date(o.ends_at).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", timeZone: "Indian/Reunion" });
  return `${formatDateTime(o.starts_at, undefined, { dateStyle: "medium", timeStyle: "short" })} – ${end}`;
}

function choices(p, n) {
  const rules = p.ballot_rules || {};
  const boxes = p.options.map((o) => h("input", { type: "checkbox", id: `pick-${n}-${o.key}`, "data-testid": `pick-${o.key}`, value: o.key }));
  const el = h(
    "fieldset",
    { class: "ballot" },
    h("legend", { text: t("ballot.choose_between", { min: rules.min_choices ?? 1, max: rules.max_choices ?? p.options.length }) }),
    p.options.map((o, i) => h("div", { class: "check" }, boxes[i], h("label", { for: boxes[i].id, text: slotLabel(o) }))),
  );
  return {
    el,
    ballot() {
      const picked = boxes.filter((b) => b.checked).map((b) => b.value);
      const min = rules.min_choices ?? 1;
      const max = rules.max_choices ?? p.options.length;
      if (picked.length < min || picked.length > max) throw new Error(t("ballot.choose_between", { min, max }));
      return { choices: picked };
    },
    show(mine) {
      if (mine && mine.choices) for (const b of boxes) b.checked = mine.choices.includes(b.value);
    },
    setEnabled(on) {
      for (const b of boxes) b.disabled = !on;
    },
  };
}

function ranked(p, n) {
  // Every option is in the list; those above the line are ranked, in order. Move with the
  // buttons, with Alt+↑/↓ on a focused item, or by dragging.
  let order = p.options.map((o) => o.key);
  let rankedCount = order.length;
  const labels = Object.fromEntries(p.options.map((o) => [o.key, optionLabel(o)]));
  const list = h("ol", { class: "ranking", "data-testid": "ranking", "aria-describedby": `rank-${n}-hint` });
  const status = h("p", { class: "visually-hidden", "aria-live": "polite", "data-testid": "ranking-status" });
  let dragged = null;
  let enabled = true;

  function move(key, delta) {
    const from = order.indexOf(key);
    const to = from + delta;
    if (to < 0 || to >= order.length) return;
    order.splice(from, 1);
    order.splice(to, 0, key);
    render(key);
    status.textContent = t("ballot.moved", { option: labels[key], rank: to + 1 });
  }
  function toggle(key) {
    const at = order.indexOf(key);
    if (at < rankedCount) {
      order.splice(at, 1);
      order.push(key);
      rankedCount -= 1;
    } else {
      order.splice(at, 1);
      order.splice(rankedCount, 0, key);
      rankedCount += 1;
    }
    render(key);
  }
  function render(focusKey) {
    list.replaceChildren(
      ...order.map((key, i) => {
        const isRanked = i < rankedCount;
        const up = h("button", { type: "button", class: "icon", "aria-label": t("ballot.move_up", { option: labels[key] }), "data-testid": `up-${key}`, text: "↑", disabled: !enabled || i === 0, onclick: () => move(key, -1) });
        const down = h("button", { type: "button", class: "icon", "aria-label": t("ballot.move_down", { option: labels[key] }), "data-testid": `down-${key}`, text: "↓", disabled: !enabled || i === order.length - 1, onclick: () => move(key, 1) });
        const include = h("button", {
          type: "button",
          class: "link",
          "data-testid": `rank-toggle-${key}`,
          text: isRanked ? t("ballot.unrank") : t("ballot.rank"),
          disabled: !enabled,
          onclick: () => toggle(key),
        });
        const item = h(
          "li",
          {
            class: isRanked ? "rank-item" : "rank-item unranked",
            draggable: enabled ? "true" : "false",
            tabindex: "0",
            "data-key": key,
            "data-testid": `rank-${key}`,
            "aria-label": isRanked ? t("ballot.ranked_as", { option: labels[key], rank: i + 1 }) : t("ballot.not_ranked", { option: labels[key] }),
            onkeydown: (ev) => {
              if (!enabled || !ev.altKey) return;
              if (ev.key === "ArrowUp") (ev.preventDefault(), move(key, -1));
              if (ev.key === "ArrowDown") (ev.preventDefault(), move(key, 1));
            },
            ondragstart: (ev) => {
              dragged = key;
              ev.dataTransfer.effectAllowed = "move";
              ev.dataTransfer.setData("text/plain", key);
            },
            ondragover: (ev) => ev.preventDefault(),
            ondrop: (ev) => {
              ev.preventDefault();
              const source = dragged || ev.dataTransfer.getData("text/plain");
              dragged = null;
              if (!source || source === key) return;
              move(source, order.indexOf(key) - order.indexOf(source));
            },
          },
          h("span", { class: "rank-no", "aria-hidden": "true", text: isRanked ? String(i + 1) : "–" }),
          h("span", { class: "rank-label", text: labels[key] }),
          h("span", { class: "row" }, up, down, include),
        );
        return item;
      }),
    );
    if (focusKey) list.querySelector(`[data-key="${CSS.escape(focusKey)}"]`)?.focus();
  }
  render();
  const el = h("div", { class: "ballot" }, h("p", { id: `rank-${n}-hint`, class: "hint", text: t("ballot.rank_hint") }), list, status);
  return {
    el,
    ballot() {
      if (rankedCount < 1) throw new Error(t("ballot.rank_one"));
      return { ranking: order.slice(0, rankedCount) };
    },
    show(mine) {
      if (!mine || !mine.ranking) return;
      order = [...mine.ranking, ...order.filter((k) => !mine.ranking.includes(k))];
      rankedCount = mine.ranking.length;
      render();
    },
    setEnabled(on) {
      enabled = on;
      render();
    },
  };
}

function score(p, n) {
  const rules = p.ballot_rules || {};
  const min = rules.scale_min ?? 0;
  const max = rules.scale_max ?? 5;
  const ticks = h("datalist", { id: `ticks-${n}` }, Array.from({ length: max - min + 1 }, (_, i) => h("option", { value: String(min + i), label: String(min + i) })));
  const rows = p.options.map((o) => {
    const start = Math.round((min + max) / 2);
    const output = h("output", { "data-testid": `score-value-${o.key}`, text: String(start) });
    const slider = h("input", {
      type: "range",
      min: String(min),
      max: String(max),
      step: "1",
      value: String(start),
      list: ticks.id,
      id: `score-${n}-${o.key}`,
      "data-testid": `score-${o.key}`,
      "aria-valuetext": t("ballot.score_of", { n: start, max }),
      oninput: () => {
        output.textContent = slider.value;
        slider.setAttribute("aria-valuetext", t("ballot.score_of", { n: Number(slider.value), max }));
      },
    });
    output.setAttribute("for", slider.id);
    const row = h(
      "div",
      { class: "score-row" },
      h("label", { for: slider.id, text: optionLabel(o) }),
      h("div", { class: "score-scale" }, h("span", { class: "hint", "aria-hidden": "true", text: String(min) }), slider, h("span", { class: "hint", "aria-hidden": "true", text: String(max) })),
      output,
    );
    return { key: o.key, slider, output, row };
  });
  const el = h("div", { class: "ballot" }, h("p", { class: "hint", text: t("ballot.score_hint", { min, max }) }), ticks, rows.map((r) => r.row));
  return {
    el,
    ballot() {
      return { scores: Object.fromEntries(rows.map((r) => [r.key, Number(r.slider.value)])) };
    },
    show(mine) {
      if (!mine || !mine.scores) return;
      for (const r of rows) {
        if (mine.scores[r.key] == null) continue;
        r.slider.value = String(mine.scores[r.key]);
        r.slider.dispatchEvent(new Event("input"));
      }
    },
    setEnabled(on) {
      for (const r of rows) r.slider.disabled = !on;
    },
  };
}

function dot(p) {
  const budget = (p.ballot_rules || {}).points ?? 10;
  const given = Object.fromEntries(p.options.map((o) => [o.key, 0]));
  const left = h("p", { "data-testid": "dots-left", "aria-live": "polite" });
  let enabled = true;
  const rows = p.options.map((o) => {
    const value = h("output", { class: "dots", "data-testid": `dots-${o.key}`, text: "0" });
    const minus = h("button", { type: "button", class: "icon", "data-testid": `dot-minus-${o.key}`, "aria-label": t("ballot.dot_minus", { option: optionLabel(o) }), text: "−", onclick: () => step(o.key, -1) });
    const plus = h("button", { type: "button", class: "icon", "data-testid": `dot-plus-${o.key}`, "aria-label": t("ballot.dot_plus", { option: optionLabel(o) }), text: "+", onclick: () => step(o.key, 1) });
    return { key: o.key, value, minus, plus, row: h("div", { class: "dot-row", role: "group", "aria-label": optionLabel(o) }, h("span", { class: "rank-label", text: optionLabel(o) }), minus, value, plus) };
  });
  function spent() {
    return Object.values(given).reduce((a, b) => a + b, 0);
  }
  function step(key, delta) {
    const next = given[key] + delta;
    if (next < 0 || spent() + delta > budget) return;
    given[key] = next;
    render();
  }
  function render() {
    const remaining = budget - spent();
    for (const r of rows) {
      r.value.textContent = formatNumber(given[r.key]);
      r.value.dataset.points = String(given[r.key]);
      r.minus.disabled = !enabled || given[r.key] === 0;
      r.plus.disabled = !enabled || remaining === 0;
    }
    left.dataset.left = String(remaining);
    left.textContent = t("ballot.dots_left", { n: remaining, budget });
  }
  render();
  return {
    el: h("div", { class: "ballot" }, left, rows.map((r) => r.row)),
    ballot() {
      if (spent() === 0) throw new Error(t("ballot.dots_one"));
      return { points: Object.fromEntries(Object.entries(given).filter(([, v]) => v > 0)) };
    },
    show(mine) {
      if (!mine || !mine.points) return;
      for (const key of Object.keys(given)) given[key] = mine.points[key] || 0;
      render();
    },
    setEnabled(on) {
      enabled = on;
      render();
    },
  };
}
