// A proposal: live bars per option, turnout, countdown, your vote, result, amendments.

import { get } from "../api.js";
import { field, h } from "../dom.js";
import { errorText, formatDateTime, formatDuration, formatNumber, formatPercent, t } from "../i18n.js";
import { signinPrompt } from "./auth.js";

const DEFAULT_KEYS = ["up", "down", "white", "uncomplet"];
const AMENDMENT_CHOICES = ["up", "down", "white"];

/** The server's phases (amendable, tovote, resolved, archived) as the three the page shows. */
function phaseOf(serverPhase) {
  if (serverPhase === "amendable") return "amendable";
  if (["resolved", "archived", "closed"].includes(serverPhase)) return "closed";
  return "open";
}

function optionLabel(opt) {
  // The default ballot's keys have translated labels; custom choices are shown as written.
  if (DEFAULT_KEYS.includes(opt.key)) return t(`proposal.option_${opt.key}`);
  return opt.label || opt.key;
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
  const turnout = h("p", { "data-testid": "turnout" });
  // Who may vote: the rule that applied, and whether the electorate was fixed at the opening.
  const electorateEl = h("p", { class: "muted", "data-testid": "electorate" });
  const hiddenNote = h("p", { class: "muted", "data-testid": "results-hidden", hidden: true, text: t("proposal.results_hidden") });
  const rows = new Map();
  const bars = h(
    "div",
    { class: "bars", "data-testid": "bars", role: "list" },
    options.map((opt) => {
      const fill = h("div", { class: "bar-fill" });
      const count = h("span", { class: "count", "data-testid": `count-${opt.key}`, "data-count": "0", text: "0" });
      const bar = h("div", { class: "bar", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0", "aria-label": optionLabel(opt) }, fill);
      const row = h("div", { class: "bar-row", role: "listitem", "data-testid": `option-${opt.key}` }, h("span", { class: "label", text: optionLabel(opt) }), bar, count);
      rows.set(opt.key, { row, fill, count, bar });
      return row;
    }),
  );
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
    ctx.me ? [h("div", { class: "row wrap", role: "group", "aria-labelledby": "vote-h" }, voteButtons), myVoteEl, canChangeEl, voteError] : signinPrompt(),
  );
  const amendList = h("ul", { class: "list", "data-testid": "amendments" });
  const amendBox = h("section", { class: "card", "aria-labelledby": "amend-h", hidden: true }, h("h2", { id: "amend-h", text: t("proposal.amendments") }), amendList);

  container.replaceChildren(
    banner,
    h("h1", { "data-testid": "proposal-title", text: p.title }),
    phaseEl,
    h("p", { class: "description", "data-testid": "proposal-body", text: p.body || "" }),
    h("section", { class: "card", "aria-label": t("proposal.title") }, countdown, bars, hiddenNote, turnout, electorateEl),
    voteBox,
    amendBox,
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
    if (Array.isArray(tally.amendments)) {
      for (const a of tally.amendments) {
        const entry = amendments.get(a.id);
        if (entry) {
          entry.a = { ...entry.a, counts: a.counts ?? entry.a.counts, total: a.total ?? entry.a.total, status: a.status ?? entry.a.status };
          renderAmendment(entry);
        }
      }
    }
    if (tally.hidden || (p.hide_results && phase !== "closed" && !Object.keys(counts).length)) {
      hiddenNote.hidden = false;
    } else {
      hiddenNote.hidden = true;
    }
    const total = tally.total ?? Object.values(counts).reduce((a, b) => a + b, 0);
    for (const [key, r] of rows) {
      const n = counts[key] ?? 0;
      const pct = total > 0 ? (100 * n) / total : 0;
      r.fill.style.width = `${pct.toFixed(1)}%`;
      r.count.dataset.count = String(n);
      r.count.textContent = `${formatNumber(n)} · ${formatPercent(pct / 100)}`;
      r.bar.setAttribute("aria-valuenow", pct.toFixed(0));
      r.bar.setAttribute("aria-valuetext", t("proposal.votes", { n }));
    }
    turnout.dataset.total = String(total);
    const electorate = tally.electorate;
    if (electorate) {
      electorateEl.dataset.rule = electorate.rule;
      electorateEl.textContent = t(`proposal.electorate_${electorate.rule}`, { n: formatNumber(electorate.size ?? 0) });
    }
    const eligible = tally.eligible;
    turnout.textContent = eligible && !tally.hidden
      ? t("proposal.turnout_pct", { total: formatNumber(total), eligible: formatNumber(eligible), pct: formatPercent(tally.turnout ?? total / eligible) })
      : t("proposal.turnout", { total: formatNumber(total) });
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
    amendBox.hidden = !(phase === "amendable" || amendments.size > 0);
    renderAmendForm();
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

  // --- amendments ---------------------------------------------------------------------------
  const amendments = new Map(); // id -> {a, el}
  function renderAmendment(entry) {
    const { a, el } = entry;
    const author = (a.author && (a.author.username || a.author)) || "";
    const counts = a.counts || {};
    const parts = [h("p", {}, h("strong", { text: author }), " ", h("span", { "data-testid": "amendment-body", text: a.body || "" }))];
    if (a.status && a.status !== "pending") parts.push(h("span", { class: "tag", text: a.status }));
    const canVote = ctx.me && (phase === "amendable" || phase === "open") && (!a.status || a.status === "pending");
    parts.push(
      h(
        "div",
        { class: "row wrap", role: "group", "aria-label": t("proposal.amendment_vote") },
        AMENDMENT_CHOICES.map((key) =>
          h("button", {
            type: "button",
            class: "secondary",
            "data-testid": `amendment-vote-${key}`,
            "aria-pressed": String(a.my_vote === key),
            disabled: !canVote,
            text: `${t(`proposal.option_${key}`)} (${formatNumber(counts[key] ?? 0)})`,
            onclick: () => amendmentVote(entry, key),
          }),
        ),
      ),
    );
    el.replaceChildren(...parts);
  }
  function upsertAmendment(a) {
    let entry = amendments.get(a.id);
    if (entry) entry.a = { ...entry.a, ...a };
    else {
      entry = { a, el: h("li", { "data-testid": "amendment", "data-id": String(a.id) }) };
      amendments.set(a.id, entry);
      amendList.append(entry.el);
    }
    amendEmpty.hidden = amendments.size > 0;
    renderAmendment(entry);
  }
  async function amendmentVote(entry, choice) {
    amendError.textContent = "";
    try {
      await socket.write({ type: "vote", topic, amendment: entry.a.id, choice });
      entry.a.my_vote = choice;
      renderAmendment(entry);
    } catch (err) {
      amendError.textContent = errorText(err);
    }
  }
  const amendEmpty = h("p", { class: "muted", text: t("proposal.no_amendments") });
  const amendError = h("p", { class: "form-error", role: "alert" });
  amendList.before(amendEmpty);
  amendList.after(amendError);
  for (const a of p.amendments || []) upsertAmendment(a);
  if (ctx.me) {
    const body = h("textarea", { rows: "3", required: true, "data-testid": "amend-body" });
    const submit = h("button", { type: "submit", "data-testid": "amend-submit", text: t("proposal.amend") });
    const form = h("form", { "data-testid": "amend-form" }, field(t("proposal.amend_body"), body), submit);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const text = body.value.trim();
      if (!text) return;
      amendError.textContent = "";
      try {
        await socket.write({ type: "amend", topic, body: text });
        body.value = "";
      } catch (x) {
        amendError.textContent = errorText(x);
      }
    });
    amendBox.append(form);
  }
  function renderAmendForm() {
    const form = amendBox.querySelector("form");
    if (form) form.hidden = phase !== "amendable";
    for (const entry of amendments.values()) renderAmendment(entry);
  }

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
        for (const a of d.amendments || []) upsertAmendment(a);
        renderPhase();
      } else if (frame.kind.startsWith("amendment.") && d.id != null) {
        upsertAmendment(d);
      }
    },
  });
  return () => {
    clearInterval(ticker);
    clearTimeout(closingPoll);
    unsubscribe();
  };
}
