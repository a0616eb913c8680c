// Votes on the spot: the card of the vote the debate shows, for every ballot kind — the live
// tally (proposal/tally.js's bars, proposal/results.js's blocks, averages, points and ranked
// rounds), the ballot (the `vote` buttons, or proposal/ballots.js's widget of the kind) and
// "close now" for moderators. The big screen shows the same card read-only. The moderator's
// form is in debate-quick.js.

import { get, post } from "../api.js";
import { append, h } from "../dom.js";
import { errorText, t } from "../i18n.js";
import { ballotWidget, slotLabel } from "./proposal/ballots.js";
import { KindResults, resultWords } from "./proposal/results.js";
import { barScale, optionLabel, TallyBars } from "./proposal/tally.js";

/** The live card of one proposal: {el, stop()}. `readOnly` (the big screen) shows no buttons. */
export function voteCard(ctx, proposalId, { moderator = false, readOnly = false, onClosed = null } = {}) {
  const { socket } = ctx;
  const topic = `proposal:${proposalId}`;
  const el = h("div", { class: "vote-card", "data-testid": "vote-card", "data-proposal": String(proposalId) });
  const title = h("p", { class: "vote-title", "data-testid": "vote-title" });
  const result = h("p", { class: "banner", "data-testid": "vote-result", role: "status", hidden: true });
  const buttons = h("div", { class: "row wrap", role: "group" });
  const status = h("p", { class: "muted", "data-testid": "quick-ballot-status" });
  const error = h("p", { class: "form-error", role: "alert", "data-testid": "vote-card-error" });
  const closeBtn = h("button", { type: "button", class: "secondary", "data-testid": "vote-close-now", text: t("debate.close_now"), onclick: closeNow });
  let p = null;
  let bars = null;
  let kindResults = null;
  let widget = null;
  let submit = null;
  let myVote = null;
  let myBallot = null;
  let open = false;
  let mayVote = true;
  let joinRoom = null; // a members-only vote in a room the user has not joined yet
  let electorateFixed = false; // the electorate was fixed when the vote opened: joining now gives no vote
  let stopped = false;
  let unsubscribe = null;

  function renderTally(data) {
    const hidden = Boolean(data.hidden);
    // Hidden results: no bars at all until the closing, only how many voted (the server sends no counts).
    bars.bars.hidden = hidden;
    bars.apply(data, { hidden, ...barScale(p.kind, data) });
    kindResults.apply(data);
    if (data.electorate) electorateFixed = Boolean(data.electorate.fixed);
    if (data.final || ["resolved", "archived"].includes(data.phase)) {
      const outcome = data.result && typeof data.result === "object" ? data.result : {};
      setClosed(outcome.result, outcome.reason);
    }
  }
  function setClosed(res, reason) {
    open = false;
    result.hidden = false;
    result.dataset.result = res || "";
    result.className = `banner ${res === "adopted" ? "banner-good" : res === "refused" ? "banner-bad" : ""}`;
    result.textContent = res ? resultWords(res, reason) : t("debate.vote_closed");
    renderButtons();
    if (onClosed) onClosed();
  }
  function renderButtons() {
    buttons.replaceChildren();
    status.textContent = "";
    if (readOnly) return;
    if (widget) widget.el.hidden = !(ctx.me && open && mayVote);
    if (ctx.me && open && !mayVote) {
      if (joinRoom && !electorateFixed) {
        buttons.append(h("button", { type: "button", "data-testid": "vote-join", text: t("debate.join_to_vote"), onclick: join }));
      } else {
        buttons.append(h("p", { class: "muted", "data-testid": "vote-not-eligible", text: t(electorateFixed ? "debate.electorate_fixed" : "debate.not_eligible") }));
      }
    } else if (ctx.me && open && widget) {
      const locked = myBallot != null && p.can_change === false;
      widget.setEnabled(!locked);
      submit.disabled = locked;
      buttons.append(submit);
      status.dataset.voted = String(myBallot != null);
      status.textContent = myBallot ? t("ballot.voted") : "";
    } else if (ctx.me && open) {
      for (const opt of p.options) {
        buttons.append(h("button", { type: "button", "data-testid": `quick-vote-${opt.key}`, "aria-pressed": String(myVote === opt.key), text: optionLabel(opt), onclick: () => cast({ choice: opt.key }) }));
      }
    }
    if (moderator && open) buttons.append(closeBtn);
  }
  async function cast(fields) {
    error.textContent = "";
    try {
      const reply = await socket.write({ type: "vote", topic, ...fields });
      if (fields.choice && !widget) myVote = fields.choice;
      else myBallot = (reply && reply.ballot) || fields;
      renderButtons();
      if (widget) ctx.announce(t("ballot.voted"));
    } catch (err) {
      error.textContent = errorText(err);
    }
  }
  function sendBallot() {
    let fields;
    try {
      fields = widget.ballot();
    } catch (err) {
      error.textContent = err.message;
      return;
    }
    cast(fields);
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
      setClosed(done.result, done.reason);
    } catch (err) {
      error.textContent = errorText(err);
      closeBtn.disabled = false;
    }
  }

  function build() {
    const options = p.options || [];
    bars = new TallyBars(options, slotLabel);
    kindResults = new KindResults({ ...p, options });
    const kind = p.kind || "vote";
    if (!readOnly && kind !== "vote") {
      widget = ballotWidget({ ...p, options });
      submit = h("button", { type: "button", "data-testid": "quick-ballot-submit", text: t("ballot.submit"), onclick: sendBallot });
      if (myBallot) widget.show(myBallot);
    }
    title.replaceChildren(readOnly ? h("span", { text: p.title }) : h("a", { href: `#/proposal/${p.id}`, text: p.title }));
    const kindLine = h("p", { class: "tag-line", "data-testid": "vote-kind", "data-kind": kind, text: t(`form.kind_${kind}`) });
    const hint = widget ? h("p", { class: "hint", text: t(`ballot.kind_${kind}`) }) : null;
    append(el, [title, kindLine, bars.bars, bars.hiddenNote, kindResults.el, bars.turnout, result, hint, widget ? widget.el : null, buttons, status, error]);
  }

  (async () => {
    try {
      p = await get(`proposals/${proposalId}`);
    } catch (err) {
      error.textContent = errorText(err);
      el.append(error);
      return;
    }
    if (stopped) return;
    myVote = typeof p.my_vote === "object" && p.my_vote ? p.my_vote.choice : p.my_vote;
    myBallot = p.my_ballot ?? null;
    open = p.phase === "tovote";
    mayVote = p.may_vote !== false;
    joinRoom = p.eligibility === "members" && p.room ? p.room : null;
    build();
    renderTally(p.tally || {});
    renderButtons();
    unsubscribe = socket.subscribe(topic, {
      state(frame) {
        if (frame.kind === "tally") renderTally(frame.data || {});
      },
      event(frame) {
        const d = frame.data || {};
        if (frame.kind === "proposal.closed" || frame.kind === "proposal.archived") {
          setClosed(d.result, d.reason);
          ctx.announce(d.result ? resultWords(d.result, d.reason) : t("debate.vote_closed"));
        }
      },
      revoked() {
        // The vote's room or event was closed to this reader: nothing more to show or cast.
        open = false;
        renderButtons();
        error.textContent = t("debate.access_lost");
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
