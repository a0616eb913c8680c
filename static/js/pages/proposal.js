// A proposal: live bars per option, turnout, countdown, your vote, result, amendments.

import { get } from "../api.js";
import { h } from "../dom.js";
import { errorText, formatDateTime, formatDuration, t } from "../i18n.js";
import { outcomePanel } from "./actions.js";
import { signinPrompt } from "./auth.js";
import { Amendments } from "./proposal/amendments.js";
import { DEFAULT_KEYS, optionLabel, TallyBars } from "./proposal/tally.js";

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
  let tallyVersion = -1;

  // --- layout ----------------------------------------------------------------------------
  const banner = h("p", { class: "banner", "data-testid": "result-banner", role: "status", hidden: true });
  const phaseEl = h("p", { class: "tag-line", "data-testid": "phase" });
  const countdown = h("p", { class: "countdown", "data-testid": "countdown", "aria-live": "off" });
  const tallyBars = new TallyBars(options);
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
      : p.kind && p.kind !== "vote"
        ? h("p", { class: "muted", "data-testid": "kind-unsupported", text: t("proposal.kind_unsupported") })
        : [h("div", { class: "row wrap", role: "group", "aria-labelledby": "vote-h" }, voteButtons), myVoteEl, canChangeEl, voteError],
  );
  const amendments = new Amendments({ ctx, socket, topic, phase: () => phase });
  const outcome = outcomePanel(ctx, p);

  container.replaceChildren(
    banner,
    h("h1", { "data-testid": "proposal-title", text: p.title }),
    phaseEl,
    h("p", { class: "description", "data-testid": "proposal-body", text: p.body || "" }),
    h("section", { class: "card", "aria-label": t("proposal.title") }, countdown, tallyBars.bars, tallyBars.hiddenNote, tallyBars.turnout, tallyBars.electorate),
    outcome.el,
    voteBox,
    amendments.el,
  );

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
    if (tally.final && tally.result) {
      const r = typeof tally.result === "object" ? tally.result.result : tally.result;
      if (r && r !== result) {
        result = r;
        phase = "closed";
        queueMicrotask(renderPhase);
      }
    }
    if (Array.isArray(tally.amendments)) amendments.counts(tally.amendments);
    const hidden = Boolean(tally.hidden || (p.hide_results && phase !== "closed" && !Object.keys(counts).length));
    tallyBars.apply(tally, { hidden });
  }

  function renderPhase() {
    phaseEl.dataset.phase = phase;
    phaseEl.textContent = t("proposal.phase", { phase: t(`proposal.phase_${phase}`) });
    const closed = phase === "closed";
    const votingOpen = phase === "open";
    const locked = myVote != null && canChange === false;
    for (const b of voteButtons) {
      b.setAttribute("aria-pressed", String(b.dataset.choice === myVote));
      b.disabled = !votingOpen || (locked && b.dataset.choice !== myVote);
    }
    if (myVote != null) {
      const opt = options.find((o) => o.key === myVote);
      myVoteEl.dataset.choice = myVote;
      myVoteEl.textContent = t("proposal.your_vote", { choice: opt ? optionLabel(opt) : myVote });
    } else {
      myVoteEl.dataset.choice = "";
      myVoteEl.textContent = t("proposal.not_voted");
    }
    canChangeEl.dataset.canChange = String(canChange !== false);
    canChangeEl.textContent = closed ? "" : t(canChange === false ? "proposal.cannot_change" : "proposal.can_change");
    if (closed && result) {
      banner.hidden = false;
      banner.dataset.result = result;
      banner.className = `banner ${result === "adopted" ? "banner-good" : result === "refused" ? "banner-bad" : ""}`;
      banner.textContent = ["adopted", "refused"].includes(result) ? t(`proposal.result_${result}`) : t("proposal.result_other", { result });
    }
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
      p = fresh;
      phase = phaseOf(fresh.phase || p.phase);
      result = fresh.result ?? result;
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

  async function refreshMine() {
    try {
      const fresh = await get(`proposals/${encodeURIComponent(p.id)}`);
      if (fresh.can_change !== undefined) canChange = fresh.can_change;
      if (fresh.my_vote !== undefined && fresh.my_vote !== null) myVote = typeof fresh.my_vote === "object" ? fresh.my_vote.choice : fresh.my_vote;
      renderPhase();
    } catch {
      /* keep what we know */
    }
  }

  for (const a of p.amendments || []) amendments.upsert(a);
  applyTally(p.tally || (p.counts ? { counts: p.counts, total: p.total, eligible: p.eligible, version: p.version } : null));
  renderPhase();

  const unsubscribe = socket.subscribe(topic, {
    state(frame) {
      if (frame.kind === "tally") applyTally(frame.data);
    },
    event(frame) {
      const d = frame.data || {};
      if (frame.kind === "proposal.closed") {
        phase = "closed";
        result = d.result ?? result;
        if (d.counts) applyTally({ ...d, version: undefined });
        renderPhase();
        if (!result) refresh();
      } else if (frame.kind === "proposal.opened") {
        phase = phaseOf(d.phase || "tovote");
        if (d.closes_at) p.closes_at = d.closes_at;
        for (const a of d.amendments || []) amendments.upsert(a);
        renderPhase();
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
