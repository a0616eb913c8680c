// A proposal: live bars per option, turnout, countdown, your vote, result, amendments.

import { get } from "../api.js";
import { append, clear, h } from "../dom.js";
import { errorText, formatDateTime, formatDuration, t } from "../i18n.js";
import { outcomePanel } from "./actions.js";
import { signinPrompt } from "./auth.js";
import { ReportPanel } from "./room/report.js";
import { Amendments } from "./proposal/amendments.js";
import { ballotWidget, slotLabel } from "./proposal/ballots.js";
import { Manage } from "./proposal/manage.js";
import { KindResults, resultWords } from "./proposal/results.js";
import { barScale, DEFAULT_KEYS, optionLabel, TallyBars } from "./proposal/tally.js";

/** The server's phases (amendable, tovote, resolved, archived) as the three the page shows. */
function phaseOf(serverPhase) {
  if (serverPhase === "amendable") return "amendable";
  if (["resolved", "archived", "closed"].includes(serverPhase)) return "closed";
  return "open";
}

export async function render(ctx, params, container) {
  const [proposalId] = params;
  container.append(h("p", { class: "muted", text: t("common.loading") }));
  let p;
  try {
    p = await get(`proposals/${encodeURIComponent(proposalId)}`);
  } catch (err) {
    container.replaceChildren(h("p", { class: "form-error", role: "alert", "data-testid": "proposal-error", text: errorText(err) }));
    return null;
  }
  const { socket } = ctx;
  const topic = p.topic || `proposal:${p.id}`;
  const options = (p.options && p.options.length ? p.options : DEFAULT_KEYS.map((key) => ({ key, label: key }))).map((o) =>
    typeof o === "string" ? { key: o, label: o } : o,
  );

  let phase = phaseOf(p.phase);
  let myVote = p.my_vote ?? null;
  if (myVote && typeof myVote === "object") myVote = myVote.choice ?? myVote.key ?? null;
  let canChange = p.can_change;
  let result = p.result ?? null;
  let resultReason = p.tally && p.tally.final && p.tally.result ? p.tally.result.reason : null;
  let tallyVersion = -1;
  const kind = p.kind || "vote";
  // Kinds other than `vote` send a whole ballot (proposal/ballots.js); `vote` keeps its buttons.
  const widget = kind === "vote" ? null : ballotWidget(p);
  let myBallot = p.my_ballot ?? null;

  // --- layout ----------------------------------------------------------------------------
  const banner = h("p", { class: "banner", "data-testid": "result-banner", role: "status", hidden: true });
  const phaseEl = h("p", { class: "tag-line", "data-testid": "phase" });
  const countdown = h("p", { class: "countdown", "data-testid": "countdown", "aria-live": "off" });
  const tallyBars = new TallyBars(options, slotLabel);
  const kindResults = new KindResults({ ...p, options });
  const submit = widget && h("button", { type: "button", "data-testid": "ballot-submit", text: t("ballot.submit"), onclick: () => sendBallot() });
  const voteButtons = options.map((opt) =>
    h("button", { type: "button", "data-testid": `vote-${opt.key}`, "data-choice": opt.key, "aria-pressed": "false", text: optionLabel(opt), onclick: () => vote(opt.key) }),
  );
  const myVoteEl = h("p", { "data-testid": "my-vote" });
  const canChangeEl = h("p", { class: "muted", "data-testid": "can-change" });
  const voteError = h("p", { class: "form-error", role: "alert", "data-testid": "vote-error" });
  const voteBox = h(
    "section",
    { class: "card", "aria-labelledby": "vote-h" },
    h("h2", { id: "vote-h", text: t("proposal.vote") }),
    !ctx.me
      ? signinPrompt()
      : widget
        ? [h("p", { class: "hint", "data-testid": "kind-hint", text: t(`ballot.kind_${kind}`) }), widget.el, submit, myVoteEl, canChangeEl, voteError]
        : [h("div", { class: "row wrap", role: "group", "aria-labelledby": "vote-h" }, voteButtons), myVoteEl, canChangeEl, voteError],
  );
  const amendments = new Amendments({ ctx, socket, topic, phase: () => phase });
  const bodyEl = h("p", { class: "description", "data-testid": "proposal-body", text: p.body || "" });
  const manage = new Manage({ ctx, socket, topic, p, refresh: () => refresh() });
  const outcome = outcomePanel(ctx, p);
  // Co-moderation (PROTOCOL.md B.16): anyone signed in but its author may report it; while it
  // is hidden only the room's moderators still read it (everyone else loses the page live).
  const hiddenNote = h("p", { class: "banner banner-bad", role: "status", "data-testid": "proposal-hidden", hidden: !p.hidden, text: p.hidden ? t("proposal.hidden_moderators") : "" });
  const mayReport = ctx.me && p.author !== ctx.me.username && !p.hidden && p.eligibility !== "electors";
  const report = mayReport ? new ReportPanel({ socket, topic, kind: "proposal" }) : null;
  const reportButton = report && h("button", { type: "button", class: "link", "data-testid": "report-proposal", text: t("proposal.report"), onclick: () => report.open(p.id, { author: p.author || "", body: p.title }) });

  // dom.js's append skips the parts that are null here; the native replaceChildren would print "null".
  append(clear(container), [
    banner,
    hiddenNote,
    h("h1", { "data-testid": "proposal-title", text: p.title }),
    phaseEl,
    bodyEl,
    reportButton ? h("p", {}, reportButton) : null,
    report ? report.el : null,
    h("section", { class: "card", "aria-label": t("proposal.title") }, countdown, tallyBars.bars, tallyBars.hiddenNote, kindResults.el, tallyBars.turnout, tallyBars.electorate),
    outcome.el,
    voteBox,
    manage.el,
    amendments.el,
  ]);

  // --- rendering -------------------------------------------------------------------------
  function applyTally(tally) {
    if (!tally) return;
    if (tally.version != null) {
      if (tally.version < tallyVersion) return;
      tallyVersion = tally.version;
    }
    const counts = tally.counts || {};
    // The tally carries the phase and, once final, the outcome: one frame is enough to catch up.
    if (tally.phase) {
      const next = phaseOf(tally.phase);
      if (next !== phase) {
        phase = next;
        queueMicrotask(renderPhase);
      }
    }
    if (tally.closes_at && tally.closes_at !== p.closes_at) {
      p.closes_at = tally.closes_at;
      queueMicrotask(renderCountdown);
    }
    if (tally.spawned_event !== undefined && tally.spawned_event !== p.spawned_event) {
      p.spawned_event = tally.spawned_event;
      queueMicrotask(() => manage.render(phase));
    }
    if (!tally.final && phase === "open" && result) {
      result = null; // reopened: the result is withdrawn
      resultReason = null;
      queueMicrotask(renderPhase);
    }
    if (tally.final && tally.result) {
      const r = typeof tally.result === "object" ? tally.result.result : tally.result;
      if (typeof tally.result === "object") resultReason = tally.result.reason;
      if (r && r !== result) {
        result = r;
        phase = "closed";
        queueMicrotask(renderPhase);
      }
    }
    if (Array.isArray(tally.amendments)) amendments.counts(tally.amendments);
    const hidden = Boolean(tally.hidden || (p.hide_results && phase !== "closed" && !Object.keys(counts).length));
    tallyBars.apply(tally, { hidden, ...barScale(kind, tally) });
    kindResults.apply(tally);
  }

  function renderPhase() {
    phaseEl.dataset.phase = phase;
    phaseEl.textContent = t("proposal.phase", { phase: t(`proposal.phase_${phase}`) });
    const closed = phase === "closed";
    const votingOpen = phase === "open";
    const locked = myVote != null && canChange === false;
    if (widget) {
      widget.setEnabled(votingOpen && !locked);
      submit.disabled = !votingOpen || locked;
    }
    for (const b of voteButtons) {
      b.setAttribute("aria-pressed", String(b.dataset.choice === myVote));
      b.disabled = !votingOpen || (locked && b.dataset.choice !== myVote);
    }
    if (widget && myBallot) {
      myVoteEl.dataset.choice = myVote ?? "";
      myVoteEl.textContent = t("ballot.voted");
    } else if (myVote != null) {
      const opt = options.find((o) => o.key === myVote);
      myVoteEl.dataset.choice = myVote;
      myVoteEl.textContent = t("proposal.your_vote", { choice: opt ? optionLabel(opt) : myVote });
    } else {
      myVoteEl.dataset.choice = "";
      myVoteEl.textContent = t("proposal.not_voted");
    }
    canChangeEl.dataset.canChange = String(canChange !== false);
    canChangeEl.textContent = closed ? "" : t(canChange === false ? "proposal.cannot_change" : "proposal.can_change");
    banner.hidden = !(closed && result);
    if (closed && result) {
      banner.hidden = false;
      banner.dataset.result = result;
      banner.className = `banner ${result === "adopted" ? "banner-good" : result === "refused" ? "banner-bad" : ""}`;
      banner.textContent = resultWords(result, resultReason);
    }
    manage.render(phase);
    amendments.render();
    renderCountdown();
  }

  let closingPoll = null;
  function renderCountdown() {
    const target = phase === "amendable" ? p.amendable_until : p.closes_at;
    if (phase === "closed" || !target) {
      countdown.textContent = phase === "closed" || !p.closes_at ? "" : t("proposal.closes_at", { date: formatDateTime(p.closes_at) });
      countdown.dataset.remaining = "";
      return;
    }
    const left = new Date(target).getTime() - Date.now();
    countdown.dataset.remaining = String(Math.max(0, Math.round(left / 1000)));
    if (left > 0) {
      const key = phase === "amendable" ? "proposal.opens_in" : "proposal.closes_in";
      countdown.textContent = `${t(key, { time: formatDuration(left) })} — ${formatDateTime(target, undefined, { dateStyle: "medium", timeStyle: "short" })}`;
    } else {
      countdown.textContent = t("proposal.closing");
      // The closing event normally arrives on the socket; poll as a fallback.
      if (!closingPoll) closingPoll = setTimeout(refresh, 3000);
    }
  }
  const ticker = setInterval(renderCountdown, 1000);

  async function refresh() {
    try {
      const fresh = await get(`proposals/${encodeURIComponent(p.id)}`);
      Object.assign(p, fresh); // same object: the panels hold it
      phase = phaseOf(fresh.phase || p.phase);
      result = fresh.result ?? null;
      if (fresh.tally && fresh.tally.final && fresh.tally.result) resultReason = fresh.tally.result.reason;
      canChange = fresh.can_change ?? canChange;
      applyTally(fresh.tally);
      renderPhase();
    } catch {
      /* retried on the next tick */
    } finally {
      closingPoll = null;
    }
  }

  async function vote(choice) {
    voteError.textContent = "";
    try {
      await socket.write({ type: "vote", topic, choice });
      myVote = choice;
      renderPhase();
      refreshMine();
    } catch (err) {
      voteError.textContent = errorText(err);
    }
  }

  async function sendBallot() {
    voteError.textContent = "";
    let fields;
    try {
      fields = widget.ballot();
    } catch (err) {
      voteError.textContent = err.message;
      return;
    }
    try {
      const reply = await socket.write({ type: "vote", topic, ...fields });
      myBallot = (reply && reply.ballot) || fields;
      myVote = (reply && reply.choice) ?? myVote ?? "";
      renderPhase();
      refreshMine();
    } catch (err) {
      voteError.textContent = errorText(err);
    }
  }

  async function refreshMine() {
    try {
      const fresh = await get(`proposals/${encodeURIComponent(p.id)}`);
      if (fresh.can_change !== undefined) canChange = fresh.can_change;
      if (fresh.my_vote !== undefined && fresh.my_vote !== null) myVote = typeof fresh.my_vote === "object" ? fresh.my_vote.choice : fresh.my_vote;
      if (fresh.my_ballot) myBallot = fresh.my_ballot;
      renderPhase();
    } catch {
      /* keep what we know */
    }
  }

  if (widget && myBallot) widget.show(myBallot);
  for (const a of p.amendments || []) amendments.upsert(a);
  applyTally(p.tally || (p.counts ? { counts: p.counts, total: p.total, eligible: p.eligible, version: p.version } : null));
  renderPhase();

  /** Hidden or removed for those who may no longer read it: the page keeps only why. */
  let isGone = false;
  function gone(key) {
    if (isGone) return;
    isGone = true;
    clearInterval(ticker);
    container.replaceChildren(h("p", { class: "banner banner-bad", role: "status", "data-testid": "proposal-hidden", "data-state": key, text: t(`proposal.${key}`) }));
  }

  const unsubscribe = socket.subscribe(topic, {
    state(frame) {
      if (frame.kind === "tally") applyTally(frame.data);
    },
    revoked() {
      gone("revoked"); // reported and hidden (the event may come after), or the room's access changed
    },
    event(frame) {
      const d = frame.data || {};
      if ((frame.kind === "proposal.hidden" || frame.kind === "proposal.removed") && !p.may_moderate) {
        gone("hidden"); // only the room's moderators still read it; the subscription ends next
      } else if (frame.kind === "proposal.hidden" || frame.kind === "proposal.removed") {
        hiddenNote.hidden = false;
        hiddenNote.textContent = t(frame.kind === "proposal.removed" ? "proposal.removed" : "proposal.hidden_moderators");
        if (reportButton) reportButton.hidden = true;
        if (frame.kind === "proposal.removed") refresh();
      } else if (frame.kind === "proposal.restored") {
        hiddenNote.hidden = false;
        hiddenNote.className = "banner";
        hiddenNote.textContent = t("proposal.restored");
        refresh();
      } else if (frame.kind === "proposal.closed") {
        phase = "closed";
        result = d.result ?? result;
        resultReason = d.reason ?? resultReason;
        if (d.counts) applyTally({ ...d, version: undefined });
        renderPhase();
        if (!result) refresh();
      } else if (frame.kind === "proposal.opened") {
        phase = phaseOf(d.phase || "tovote");
        if (d.closes_at) p.closes_at = d.closes_at;
        for (const a of d.amendments || []) amendments.upsert(a);
        renderPhase();
      } else if (["proposal.extended", "proposal.reopened", "proposal.scheduled", "proposal.revised"].includes(frame.kind)) {
        if (frame.kind === "proposal.revised") {
          bodyEl.textContent = d.body;
          if (myBallot && myBallot.choice === "block") {
            myBallot = null; // lifted: vote again on the new text
            myVote = null;
          }
        }
        manage.announce(frame.kind, d);
        refresh();
      } else if (frame.kind.startsWith("amendment.") && d.id != null) {
        amendments.upsert(d);
      }
    },
  });
  return () => {
    clearInterval(ticker);
    clearTimeout(closingPoll);
    unsubscribe();
    outcome.stop();
  };
}
