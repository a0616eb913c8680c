// "New proposal": title, text, closing date and the ballot kind with its settings — choices,
// approvals min/max, score scale, points to distribute, or meeting slots.

import { post } from "../../api.js";
import { field, h } from "../../dom.js";
import { errorText, t } from "../../i18n.js";
import { zonedToIso } from "../event/form.js";
import { tagField } from "../../tags.js";

export const KINDS = ["vote", "consent", "approval", "ranked", "score", "dot", "meeting"];
const NEEDS_CHOICES = ["approval", "ranked", "score", "dot"];

function numberInput(testid, attrs = {}) {
  return h("input", { type: "number", inputmode: "numeric", "data-testid": testid, ...attrs });
}

/** The ballot kind and its settings — choices, approvals min/max, score scale, points to
 * distribute, meeting slots — shown for the kind chosen. `prefix` names the test ids
 * (`<prefix>-kind`, `<prefix>-choices`, …); `kinds` the kinds offered; `choicesHint` the hint
 * under the choices. Returns {nodes, kind, fields(), reset()}: `fields()` is what the kind adds
 * to POST /api/proposals (`kind`, `choices`, `min_choices`, …). */
export function kindFields({ prefix, kinds = KINDS, choicesHint = t("form.choices_hint") }) {
  const kind = h("select", { "data-testid": `${prefix}-kind` }, kinds.map((k) => h("option", { value: k, text: t(`form.kind_${k}`) })));
  const kindHint = h("small", { class: "hint", "data-testid": `${prefix}-kind-hint`, "aria-live": "polite" });
  const choices = h("textarea", { rows: "3", "data-testid": `${prefix}-choices` });
  const minChoices = numberInput(`${prefix}-min`, { min: "0", max: "20" });
  const maxChoices = numberInput(`${prefix}-max`, { min: "1", max: "20" });
  const scaleMin = numberInput(`${prefix}-scale-min`, { min: "0", max: "10", value: "0" });
  const scaleMax = numberInput(`${prefix}-scale-max`, { min: "0", max: "10", value: "5" });
  const points = numberInput(`${prefix}-points`, { min: "1", max: "1000", value: "10" });
  const slotList = h("div", { class: "slots", "data-testid": `${prefix}-slots` });

  function addSlot() {
    const n = slotList.children.length + 1;
    const start = h("input", { type: "datetime-local", "data-testid": `slot-start-${n}` });
    const end = h("input", { type: "datetime-local", "data-testid": `slot-end-${n}` });
    slotList.append(h("fieldset", { class: "slot" }, h("legend", { text: t("form.slot_n", { n }) }), field(t("form.slot_start"), start), field(t("form.slot_end"), end)));
  }
  if (kinds.includes("meeting")) {
    addSlot();
    addSlot();
  }

  const sections = {
    choices: field(t("commune.choices"), choices, choicesHint),
    approval: h("div", { class: "row wrap" }, field(t("form.min_choices"), minChoices), field(t("form.max_choices"), maxChoices)),
    score: h("div", { class: "row wrap" }, field(t("form.scale_min"), scaleMin), field(t("form.scale_max"), scaleMax)),
    dot: field(t("form.points"), points),
    meeting: h("div", {}, slotList, h("button", { type: "button", class: "link", "data-testid": "add-slot", text: t("form.add_slot"), onclick: addSlot })),
  };
  function showKind() {
    const k = kind.value;
    kindHint.textContent = t(`ballot.kind_${k}`);
    sections.choices.hidden = !(k === "vote" || NEEDS_CHOICES.includes(k));
    sections.approval.hidden = !(k === "approval" || k === "meeting");
    sections.score.hidden = k !== "score";
    sections.dot.hidden = k !== "dot";
    sections.meeting.hidden = k !== "meeting";
  }
  kind.addEventListener("change", showKind);
  showKind();

  function fields() {
    const k = kind.value;
    const out = { kind: k };
    const list = choices.value.split("\n").map((s) => s.trim()).filter(Boolean);
    if ((k === "vote" && list.length) || NEEDS_CHOICES.includes(k)) out.choices = list;
    if (k === "approval" || k === "meeting") {
      if (minChoices.value) out.min_choices = Number(minChoices.value);
      if (maxChoices.value) out.max_choices = Number(maxChoices.value);
    }
    if (k === "score") Object.assign(out, { scale_min: Number(scaleMin.value), scale_max: Number(scaleMax.value) });
    if (k === "dot") out.points = Number(points.value);
    if (k === "meeting") {
      out.slots = [...slotList.querySelectorAll("fieldset")]
        .map((fs) => fs.querySelectorAll("input"))
        .filter(([s, e]) => s.value && e.value)
        .map(([s, e]) => ({ starts_at: zonedToIso(s.value), ends_at: zonedToIso(e.value) }));
    }
    return out;
  }
  function reset() {
    kind.value = kinds[0];
    showKind();
  }
  const nodes = [field(t("form.kind"), kind), kindHint, sections.choices, sections.approval, sections.score, sections.dot];
  if (kinds.includes("meeting")) nodes.push(sections.meeting);
  return { nodes, kind, fields, reset };
}

/** `where`: {commune: insee} or {room: id}; on success goes to the new proposal's page. */
export function proposalForm(ctx, where) {
  const title = h("input", { required: true, maxlength: "200", "data-testid": "new-proposal-title" });
  const body = h("textarea", { rows: "4", "data-testid": "new-proposal-body" });
  const closes = h("input", { type: "datetime-local", "data-testid": "new-proposal-closes" });
  const tags = tagField(t("event.tags"), "new-proposal-tags");
  const kinds = kindFields({ prefix: "new-proposal" });
  const anonymous = h("input", { type: "checkbox", id: `anon-${where.commune || where.room}`, "data-testid": "new-proposal-secret" });
  const err = h("p", { class: "form-error", role: "alert", "data-testid": "new-proposal-error" });

  function payload() {
    const out = { title: title.value.trim(), body: body.value, ...where, ...kinds.fields(), anonymous: anonymous.checked, tags: tags.read() };
    if (closes.value) out.closes_at = zonedToIso(closes.value);
    return out;
  }

  return h(
    "details",
    { "data-testid": "new-proposal" },
    h("summary", { text: t("commune.new_proposal") }),
    h(
      "form",
      {
        onsubmit: async (ev) => {
          ev.preventDefault();
          err.textContent = "";
          try {
            const created = await post("proposals", payload());
            ctx.navigate(`#/proposal/${created.id}`);
          } catch (e) {
            err.textContent = errorText(e);
          }
        },
      },
      field(t("commune.proposal_title"), title),
      field(t("commune.proposal_body"), body),
      kinds.nodes,
      field(t("commune.closes_at"), closes),
      tags.node,
      h("div", { class: "check" }, anonymous, h("label", { for: anonymous.id, text: t("form.secret") })),
      h("button", { type: "submit", "data-testid": "new-proposal-submit", text: t("common.create") }),
      err,
    ),
  );
}
