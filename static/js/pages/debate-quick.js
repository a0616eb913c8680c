// Votes on the spot, the moderator's side: open a quick proposal in one step, with every field
// of POST /api/proposals — the ballot kind and its settings (proposal/form.js's kindFields),
// who votes, majority, quorum, closing, secret ballot, hidden results, changing one's vote.

import { post } from "../api.js";
import { field, h } from "../dom.js";
import { errorText, t } from "../i18n.js";
import { zonedToIso } from "./event/form.js";
import { kindFields } from "./proposal/form.js";

/** Every ballot kind, a meeting time too: a meeting fixes its next date on the spot, among slots. */
export const QUICK_KINDS = ["vote", "consent", "approval", "ranked", "score", "dot", "meeting"];

/** Moderators: open a vote in one step; the debate then shows it to everyone and on the big screen. */
export function quickVoteForm(ctx, roomId) {
  const title = h("input", { required: true, maxlength: "200", "data-testid": "quick-title" });
  const body = h("textarea", { rows: "2", "data-testid": "quick-body" });
  const kinds = kindFields({ prefix: "quick", kinds: QUICK_KINDS });
  const eligibility = h("select", { "data-testid": "quick-eligibility" }, ["members", "present", "signed_in", "residents"].map((e) => h("option", { value: e, text: t(`debate.eligibility_${e}`) })));
  const majority = h("input", { type: "number", min: "50", max: "100", value: "50", "data-testid": "quick-majority" });
  const quorum = h("input", { "data-testid": "quick-quorum", placeholder: "20 / 25%" });
  const closes = h("input", { type: "datetime-local", "data-testid": "quick-closes" });
  const amendable = h("input", { type: "datetime-local", "data-testid": "quick-amendable" });
  const forArgs = h("textarea", { rows: "2", "data-testid": "quick-for" });
  const againstArgs = h("textarea", { rows: "2", "data-testid": "quick-against" });
  const secret = h("input", { type: "checkbox", "data-testid": "quick-secret" });
  const hidden = h("input", { type: "checkbox", "data-testid": "quick-hidden" });
  const canChange = h("input", { type: "checkbox", "data-testid": "quick-can-change", checked: true });
  const error = h("p", { class: "form-error", role: "alert", "data-testid": "quick-error" });
  const form = h(
    "form",
    { "data-testid": "quick-vote-form" },
    field(t("debate.quick_title"), title),
    field(t("debate.quick_body"), body),
    kinds.nodes,
    field(t("debate.quick_eligibility"), eligibility),
    h(
      "details",
      {},
      h("summary", { "data-testid": "quick-more", text: t("debate.quick_more") }),
      field(t("debate.quick_majority"), majority, t("debate.quick_majority_hint")),
      field(t("debate.quick_quorum"), quorum, t("debate.quick_quorum_hint")),
      field(t("debate.quick_closes"), closes, t("debate.quick_closes_hint")),
      field(t("debate.quick_amendable"), amendable),
      field(t("debate.quick_for"), forArgs),
      field(t("debate.quick_against"), againstArgs),
      h("label", { class: "check" }, secret, ` ${t("debate.quick_secret")}`),
      h("label", { class: "check" }, hidden, ` ${t("debate.quick_hidden")}`),
      h("label", { class: "check" }, canChange, ` ${t("debate.quick_can_change")}`),
    ),
    h("button", { type: "submit", "data-testid": "quick-open", text: t("debate.quick_open") }),
    error,
  );
  // Dates are typed on the island's wall clock, like every form of the site.
  const asDate = (input) => zonedToIso(input.value);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    const q = quorum.value.trim();
    try {
      await post(`debates/${roomId}/votes`, {
        title: title.value.trim(),
        body: body.value.trim() || title.value.trim(),
        ...kinds.fields(),
        eligibility: eligibility.value,
        majority: Number(majority.value || 50),
        quorum: q ? (/%$/.test(q) ? q : Number(q)) : null,
        closes_at: asDate(closes),
        amendable_until: asDate(amendable),
        arguments_for: forArgs.value.trim(),
        arguments_against: againstArgs.value.trim(),
        anonymous: secret.checked,
        hide_results: hidden.checked,
        can_change: canChange.checked,
      });
      form.reset();
      kinds.reset();
      ctx.announce(t("debate.quick_opened"));
    } catch (err) {
      error.textContent = errorText(err);
    }
  });
  return h("details", { class: "quick-vote" }, h("summary", { "data-testid": "quick-vote-toggle", text: t("debate.quick_new") }), form);
}
