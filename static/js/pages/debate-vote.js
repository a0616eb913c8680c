// Votes on the spot: the quick proposal form (every field of POST /api/proposals) and the
// card of the vote the debate shows — live tally, vote buttons, "close now" for moderators.

import { get, post } from "../api.js";
import { field, h } from "../dom.js";
import { errorText, formatNumber, t } from "../i18n.js";

const DEFAULT_KEYS = ["up", "down", "white", "uncomplet"];

function optionLabel(opt) {
  return DEFAULT_KEYS.includes(opt.key) ? t(`proposal.option_${opt.key}`) : opt.label || opt.key;
}

function resultText(result) {
  if (!result) return "";
  return result === "adopted" || result === "refused" ? t(`proposal.result_${result}`) : t("proposal.result_other", { result });
}

/** The live card of one proposal: {el, stop()}. `readOnly` (the big screen) shows no buttons. */
export function voteCard(ctx, proposalId, { moderator = false, readOnly = false } = {}) {
  const { socket } = ctx;
  const topic = `proposal:${proposalId}`;
  const el = h("div", { class: "vote-card", "data-testid": "vote-card", "data-proposal": String(proposalId) });
  const title = h("p", { class: "vote-title", "data-testid": "vote-title" });
  const bars = h("ul", { class: "list vote-counts", "data-testid": "vote-counts" });
  const total = h("p", { class: "muted", "data-testid": "vote-total" });
  const result = h("p", { class: "banner", "data-testid": "vote-result", role: "status", hidden: true });
  const buttons = h("div", { class: "row wrap", role: "group" });
  const error = h("p", { class: "form-error", role: "alert", "data-testid": "vote-card-error" });
  const closeBtn = h("button", { type: "button", class: "secondary", "data-testid": "vote-close-now", text: t("debate.close_now"), onclick: closeNow });
  let options = [];
  let myVote = null;
  let open = false;
  let mayVote = true;
  let joinRoom = null; // a members-only vote in a room the user has not joined yet
  let electorateFixed = false; // the electorate was fixed when the vote opened: joining now gives no vote
  let stopped = false;
  let unsubscribe = null;

  function renderTally(data) {
    const counts = data.counts;
    bars.replaceChildren(
      ...options.map((opt) =>
        h("li", { "data-testid": "vote-count", "data-choice": opt.key, "data-count": counts ? String(counts[opt.key] ?? 0) : "" }, h("span", { text: optionLabel(opt) }), " ", h("strong", { text: counts ? formatNumber(counts[opt.key] ?? 0) : "—" })),
      ),
    );
    total.textContent = t("proposal.votes", { n: data.total ?? 0 });
    total.dataset.total = String(data.total ?? 0);
    if (data.electorate) electorateFixed = Boolean(data.electorate.fixed);
    if (data.final || ["resolved", "archived"].includes(data.phase)) setClosed(data.result);
  }
  function setClosed(outcome) {
    // The tally's `result` is the outcome object ({result, reason, …}); events carry the string.
    const res = outcome && typeof outcome === "object" ? outcome.result : outcome;
    open = false;
    result.hidden = false;
    result.dataset.result = res || "";
    result.textContent = resultText(res) || t("debate.vote_closed");
    renderButtons();
  }
  function renderButtons() {
    buttons.replaceChildren();
    if (readOnly) return;
    if (ctx.me && open && !mayVote) {
      if (joinRoom && !electorateFixed) {
        buttons.append(h("button", { type: "button", "data-testid": "vote-join", text: t("debate.join_to_vote"), onclick: join }));
      } else {
        buttons.append(h("p", { class: "muted", "data-testid": "vote-not-eligible", text: t(electorateFixed ? "debate.electorate_fixed" : "debate.not_eligible") }));
      }
    } else if (ctx.me && open) {
      for (const opt of options) {
        buttons.append(h("button", { type: "button", "data-testid": `quick-vote-${opt.key}`, "aria-pressed": String(myVote === opt.key), text: optionLabel(opt), onclick: () => cast(opt.key) }));
      }
    }
    if (moderator && open) buttons.append(closeBtn);
  }
  async function cast(choice) {
    error.textContent = "";
    try {
      await socket.write({ type: "vote", topic, choice });
      myVote = choice;
      renderButtons();
    } catch (err) {
      error.textContent = errorText(err);
    }
  }
  async function join() {
    error.textContent = "";
    try {
      await post(`rooms/${joinRoom}/join`, {});
      const fresh = await get(`proposals/${proposalId}`);
      mayVote = fresh.may_vote !== false;
      renderButtons();
    } catch (err) {
      error.textContent = errorText(err);
    }
  }
  async function closeNow() {
    error.textContent = "";
    closeBtn.disabled = true;
    try {
      const done = await socket.write({ type: "close", topic });
      setClosed(done.result);
    } catch (err) {
      error.textContent = errorText(err);
      closeBtn.disabled = false;
    }
  }

  (async () => {
    let p;
    try {
      p = await get(`proposals/${proposalId}`);
    } catch (err) {
      error.textContent = errorText(err);
      el.append(error);
      return;
    }
    if (stopped) return;
    options = p.options || [];
    myVote = typeof p.my_vote === "object" && p.my_vote ? p.my_vote.choice : p.my_vote;
    open = p.phase === "tovote";
    mayVote = p.may_vote !== false;
    joinRoom = p.eligibility === "members" && p.room ? p.room : null;
    title.replaceChildren(readOnly ? h("span", { text: p.title }) : h("a", { href: `#/proposal/${p.id}`, text: p.title }));
    el.append(title, bars, total, result, buttons, error);
    renderTally(p.tally || {});
    renderButtons();
    unsubscribe = socket.subscribe(topic, {
      state(frame) {
        if (frame.kind === "tally") renderTally(frame.data || {});
      },
      event(frame) {
        if (frame.kind === "proposal.closed" || frame.kind === "proposal.archived") {
          setClosed((frame.data || {}).result);
          ctx.announce(resultText((frame.data || {}).result) || t("debate.vote_closed"));
        }
      },
    });
  })();
  return {
    el,
    stop() {
      stopped = true;
      if (unsubscribe) unsubscribe();
    },
  };
}

/** Moderators: open a vote in one step, with every field the proposals API takes. */
export function quickVoteForm(ctx, roomId) {
  const title = h("input", { required: true, maxlength: "200", "data-testid": "quick-title" });
  const body = h("textarea", { rows: "2", "data-testid": "quick-body" });
  const choices = h("textarea", { rows: "3", "data-testid": "quick-choices" });
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
    field(t("debate.quick_choices"), choices, t("debate.quick_choices_hint")),
    field(t("debate.quick_eligibility"), eligibility),
    h(
      "details",
      {},
      h("summary", { text: t("debate.quick_more") }),
      field(t("debate.quick_majority"), majority),
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
  const asDate = (input) => (input.value ? new Date(input.value).toISOString() : null);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    const labels = choices.value.split("\n").map((s) => s.trim()).filter(Boolean);
    const q = quorum.value.trim();
    try {
      await post(`debates/${roomId}/votes`, {
        title: title.value.trim(),
        body: body.value.trim() || title.value.trim(),
        choices: labels.length ? labels : null,
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
      ctx.announce(t("debate.quick_opened"));
    } catch (err) {
      error.textContent = errorText(err);
    }
  });
  return h("details", { class: "quick-vote" }, h("summary", { "data-testid": "quick-vote-toggle", text: t("debate.quick_new") }), form);
}
