// Debate mode in a room (or an event's room): questions with upvotes, the floor, quick votes.
//
// Participants follow `debate:<room>` (questions as everyone sees them) and `floor:<room>`;
// moderators also follow `moderation:<room>`, whose `questions` state carries pending and
// hidden questions and every author. Countdowns run on the server clock (socket.serverNow).

import { get, patch, post } from "../api.js";
import { field, h } from "../dom.js";
import { errorText, t } from "../i18n.js";
import "./debate-messages.js";
import { countdown } from "./debate-clock.js";
import { quickVoteForm } from "./debate-quick.js";
import { voteCard } from "./debate-vote.js";
import { ReportPanel } from "./room/report.js";

const QUESTION_MAX = 500;

/** The debate panel of a room; `onActive` is called once when the room runs a debate (when the
 * page opens, or live when one starts), so the page can move the panel first or behind a tab
 * (phones in the hall), with `{live: true}` in the second case; `onStatus` hears what a
 * tab's badges show ({questionIds, vote, floorMine}). Returns {el, stop()}. */
export function debatePanel(ctx, roomId, { onActive = null, onStatus = null } = {}) {
  const { socket } = ctx;
  const me = ctx.me && ctx.me.username;
  const root = h("section", { class: "card debate", "data-testid": "debate", "aria-labelledby": "debate-h" });
  const stops = [];
  let info = { moderator: false, mine: [], upvoted: [], current_vote: null };
  let voteOpen = false;
  let upvoted = new Set();
  let mineIds = new Set();
  let queue = { current: null, hands: [] };
  let questions = null; // until the topic's first `questions` state
  function status() {
    if (onStatus) onStatus({ questionIds: questions ? questions.items.map((q) => q.id) : null, vote: voteOpen ? info.current_vote : null, floorMine: Boolean(me && queue.current && queue.current.user === me) });
  }

  // --- floor -----------------------------------------------------------------------------
  const speaker = h("p", { class: "speaker", "data-testid": "floor-current" });
  const timer = countdown(socket, {
    onOverrun: () => {
      if (info.moderator) overrunNote.hidden = false;
    },
  });
  stops.push(() => timer.stop());
  const overrunNote = h("p", { class: "banner banner-bad", "data-testid": "floor-overrun", hidden: true, text: t("debate.overrun") });
  const queueList = h("ol", { class: "list queue", "data-testid": "queue", "aria-label": t("debate.queue") });
  const handBtn = h("button", { type: "button", "data-testid": "hand-toggle", "aria-pressed": "false", text: t("debate.raise"), onclick: toggleHand });
  const floorError = h("p", { class: "form-error", role: "alert", "data-testid": "floor-error" });
  const nextBtn = h("button", { type: "button", "data-testid": "floor-next", text: t("debate.next"), onclick: () => floorWrite({ type: "floor_next", current: queue.current ? queue.current.id : 0 }) });
  const endBtn = h("button", { type: "button", class: "secondary", "data-testid": "floor-end", text: t("debate.end"), onclick: () => floorWrite({ type: "floor_end" }) });
  const modFloor = h("div", { class: "row wrap", hidden: true, "data-testid": "floor-moderation" }, nextBtn, endBtn);
  const settingsBox = h("div", { hidden: true });
  const floorTopic = `floor:${roomId}`;
  const questionsTopic = `debate:${roomId}`;
  const moderationTopic = `moderation:${roomId}`;

  async function floorWrite(command) {
    floorError.textContent = "";
    try {
      return await socket.write({ ...command, topic: floorTopic });
    } catch (err) {
      floorError.textContent = errorText(err);
      return null;
    }
  }
  function toggleHand() {
    const raised = queue.hands.some((hand) => hand.user === me);
    floorWrite({ type: raised ? "lower_hand" : "raise_hand" });
  }

  function renderQueue() {
    const current = queue.current;
    speaker.dataset.user = current ? current.user : "";
    speaker.textContent = current ? t("debate.speaking", { user: current.user }) : t("debate.nobody");
    if (current) speaker.append(" ", timer.el);
    timer.set(current);
    if (!current || !current.ends_at || Date.parse(current.ends_at) > socket.serverNow()) overrunNote.hidden = true;
    queueList.replaceChildren(
      ...queue.hands.map((hand, index) =>
        h(
          "li",
          { "data-testid": "queue-item", "data-user": hand.user },
          h("span", { text: `${index + 1}. ${hand.user}` }),
          h("span", { class: "muted", text: ` ${t("debate.turns", { n: hand.turns })}` }),
          info.moderator
            ? h("button", { type: "button", class: "link", "data-testid": "floor-give", text: t("debate.give"), "aria-label": t("debate.give_to", { user: hand.user }), onclick: () => floorWrite({ type: "floor_give", user: hand.user, current: current ? current.id : 0 }) })
            : null,
        ),
      ),
    );
    if (!queue.hands.length) queueList.append(h("li", { class: "muted", text: t("debate.queue_empty") }));
    const raised = queue.hands.some((hand) => hand.user === me);
    handBtn.setAttribute("aria-pressed", String(raised));
    handBtn.textContent = raised ? t("debate.lower") : t("debate.raise");
    handBtn.disabled = Boolean(current && current.user === me);
    nextBtn.disabled = !queue.hands.length;
    endBtn.disabled = !current;
    status();
  }

  // --- questions -------------------------------------------------------------------------
  const askBody = h("textarea", { rows: "2", maxlength: String(QUESTION_MAX), "data-testid": "ask-body" });
  const askAnon = h("input", { type: "checkbox", "data-testid": "ask-anonymous" });
  const askError = h("p", { class: "form-error", role: "alert", "data-testid": "ask-error" });
  const askForm = h(
    "form",
    { class: "ask", "data-testid": "ask-form" },
    field(t("debate.ask_label"), askBody, t("debate.ask_hint", { n: QUESTION_MAX })),
    h("label", { class: "check" }, askAnon, ` ${t("debate.anonymous")}`),
    h("button", { type: "submit", "data-testid": "ask-submit", text: t("debate.ask") }),
    askError,
  );
  askForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    askError.textContent = "";
    const body = askBody.value.trim();
    if (!body) {
      askError.textContent = t("debate.ask_empty");
      return;
    }
    try {
      const done = await socket.write({ type: "ask", topic: questionsTopic, body, anonymous: askAnon.checked });
      mineIds.add(done.id);
      askBody.value = "";
      askAnon.checked = false;
      ctx.announce(done.status === "pending" ? t("debate.asked_pending") : t("debate.asked"));
      refreshMine();
    } catch (err) {
      askError.textContent = errorText(err);
    }
  });
  const questionList = h("ol", { class: "list questions", "data-testid": "questions", "aria-label": t("debate.questions") });
  const questionError = h("p", { class: "form-error", role: "alert", "data-testid": "question-error" });
  const mineList = h("ul", { class: "list", "data-testid": "my-questions" });
  const report = me ? new ReportPanel({ socket, topic: questionsTopic, kind: "question" }) : null;

  async function questionWrite(command) {
    questionError.textContent = "";
    try {
      return await socket.write({ ...command, topic: questionsTopic });
    } catch (err) {
      questionError.textContent = errorText(err);
      return null;
    }
  }
  async function toggleUpvote(q) {
    const had = upvoted.has(q.id);
    const done = await questionWrite({ type: had ? "unvote" : "upvote", question: q.id });
    if (done) {
      if (done.upvoted) upvoted.add(q.id);
      else upvoted.delete(q.id);
      renderQuestions();
    }
  }
  function moderate(q, action, extra = {}) {
    return questionWrite({ type: "moderate", question: q.id, action, ...extra });
  }
  function hideQuestion(q, row) {
    const reason = h("input", { maxlength: "300", "data-testid": "hide-reason", "aria-label": t("debate.hide_reason") });
    const form = h("form", { class: "row" }, reason, h("button", { type: "submit", "data-testid": "hide-confirm", text: t("debate.hide") }));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (reason.value.trim()) moderate(q, "hide", { reason: reason.value.trim() });
    });
    row.append(form);
    reason.focus();
  }
  function mergeQuestion(q, row) {
    const others = questions.items.filter((o) => o.id !== q.id && o.status !== "hidden");
    const select = h("select", { "data-testid": "merge-into", "aria-label": t("debate.merge_into") }, others.map((o) => h("option", { value: String(o.id), text: o.body.slice(0, 60) })));
    const form = h("form", { class: "row" }, select, h("button", { type: "submit", text: t("debate.merge") }));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      moderate(q, "merge", { into: Number(select.value) });
    });
    row.append(form);
    select.focus();
  }

  function questionRow(q) {
    const row = h("li", { class: `question${q.pinned ? " pinned" : ""}${q.answered ? " answered" : ""}`, "data-testid": "question", "data-id": String(q.id), "data-upvotes": String(q.upvotes) });
    const mark = upvoted.has(q.id);
    const upBtn = h("button", { type: "button", class: "upvote", "data-testid": "upvote", "aria-pressed": String(mark), "aria-label": t("debate.upvote_label", { n: q.upvotes }), disabled: !me || q.status === "pending" || q.status === "hidden", onclick: () => toggleUpvote(q) }, h("span", { "aria-hidden": "true", text: "▲ " }), h("span", { "data-testid": "upvote-count", text: String(q.upvotes) }));
    const tags = [
      q.pinned ? h("span", { class: "tag", text: t("debate.pinned") }) : null,
      q.answered ? h("span", { class: "tag", "data-testid": "answered-tag", text: t("debate.answered") }) : null,
      q.status && q.status !== "visible" ? h("span", { class: "tag", "data-testid": "status-tag", text: t(`debate.status_${q.status}`) }) : null,
    ];
    const who = q.author ? q.author : t("debate.anonymous_author");
    row.append(upBtn, h("div", { class: "q-main" }, h("p", { class: "body", "data-testid": "question-body", text: q.body }), h("p", { class: "muted meta" }, h("span", { "data-testid": "question-author", text: who }), q.anonymous && info.moderator ? ` (${t("debate.anonymous")})` : "", ...tags)));
    if (info.moderator) {
      const actions = h("div", { class: "actions row wrap" });
      const act = (action, label) => h("button", { type: "button", class: "link", "data-testid": `moderate-${action}`, text: label, onclick: () => moderate(q, action) });
      if (q.status === "pending") actions.append(act("approve", t("debate.approve")));
      if (q.status !== "hidden") {
        actions.append(q.pinned ? act("unpin", t("debate.unpin")) : act("pin", t("debate.pin")));
        if (!q.answered) actions.append(act("answer", t("debate.mark_answered")));
        actions.append(h("button", { type: "button", class: "link", "data-testid": "moderate-hide", text: t("debate.hide"), onclick: () => hideQuestion(q, row) }));
        actions.append(h("button", { type: "button", class: "link", "data-testid": "moderate-merge", text: t("debate.merge"), onclick: () => mergeQuestion(q, row) }));
      } else if (q.hidden_reason) {
        actions.append(h("span", { class: "muted", text: t("debate.hidden_because", { reason: q.hidden_reason }) }));
      }
      row.querySelector(".q-main").append(actions);
    } else if (report && !mineIds.has(q.id) && (!q.author || q.author !== me)) {
      const flag = h("button", { type: "button", class: "link", "data-testid": "report-question", text: t("report.action"), onclick: () => report.open(q.id, { author: who, body: q.body }) });
      row.querySelector(".q-main").append(h("div", { class: "actions row wrap" }, flag));
    }
    return row;
  }

  function renderQuestions() {
    const items = questions ? questions.items : [];
    questionList.replaceChildren(...items.map(questionRow));
    if (!items.length) questionList.append(h("li", { class: "muted", text: t("debate.no_questions") }));
    status();
  }

  async function refreshMine() {
    if (!me) return;
    try {
      const fresh = await get(`debates/${roomId}`);
      info = { ...info, mine: fresh.mine, upvoted: fresh.upvoted };
      upvoted = new Set(fresh.upvoted);
      mineIds = new Set(fresh.mine.map((q) => q.id));
      renderMine();
    } catch {
      /* the list stays as it was */
    }
  }
  function renderMine() {
    const notable = info.mine.filter((q) => q.status !== "visible");
    mineList.replaceChildren(
      ...notable.map((q) =>
        h("li", { "data-testid": "my-question", "data-status": q.status }, h("span", { text: q.body }), " ", h("span", { class: "tag", text: q.status === "hidden" ? t("debate.hidden_because", { reason: q.hidden_reason }) : t(`debate.status_${q.status}`) })),
      ),
    );
  }

  // --- settings (moderators) -------------------------------------------------------------
  function renderSettings() {
    const limit = h("input", { type: "number", min: "1", max: "3600", "data-testid": "setting-limit", value: info.turn_limit ?? "" });
    const autoEnd = h("input", { type: "checkbox", "data-testid": "setting-auto-end", checked: info.auto_end });
    const premod = h("input", { type: "checkbox", "data-testid": "setting-premoderation", checked: info.premoderation });
    const fairness = h("select", { "data-testid": "setting-fairness" }, ["arrival", "not_spoken", "least_time"].map((f) => h("option", { value: f, text: t(`debate.fairness_${f}`) })));
    fairness.value = info.fairness || "arrival";
    const msg = h("p", { class: "form-error", role: "alert", "data-testid": "settings-error" });
    const form = h(
      "form",
      { "data-testid": "debate-settings" },
      field(t("debate.turn_limit"), limit, t("debate.turn_limit_hint")),
      h("label", { class: "check" }, autoEnd, ` ${t("debate.auto_end")}`),
      h("label", { class: "check" }, premod, ` ${t("debate.premoderation")}`),
      field(t("debate.fairness"), fairness),
      h("button", { type: "submit", "data-testid": "settings-save", text: t("common.save") }),
      msg,
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      msg.textContent = "";
      const value = limit.value.trim();
      try {
        const saved = await patch(`debates/${roomId}`, {
          turn_limit: value ? Number(value) : null,
          clear_turn_limit: !value,
          auto_end: autoEnd.checked,
          premoderation: premod.checked,
          fairness: fairness.value,
        });
        info = { ...info, ...saved };
        ctx.announce(t("debate.settings_saved"));
      } catch (err) {
        msg.textContent = errorText(err);
      }
    });
    const csv = h("a", { href: `/api/debates/${roomId}/speaking.csv`, download: `speaking-room-${roomId}.csv`, "data-testid": "speaking-csv", text: t("debate.export") });
    settingsBox.replaceChildren(h("details", {}, h("summary", { text: t("debate.settings") }), form), h("p", {}, csv));
  }

  // --- live ------------------------------------------------------------------------------
  const voteBox = h("div", { "data-testid": "debate-vote" });
  let vote = null;
  function showVote(proposalId) {
    if (vote) vote.stop();
    voteOpen = Boolean(proposalId); // until its card hears it closed (the phone's "vote open" badge)
    const onClosed = () => {
      voteOpen = false;
      status();
    };
    vote = proposalId ? voteCard(ctx, proposalId, { moderator: info.moderator, onClosed }) : null;
    voteBox.replaceChildren(...(vote ? [vote.el] : []));
    status();
  }
  stops.push(() => vote && vote.stop());

  // Access withdrawn live (`unsubscribed`, code `forbidden`, docs/PROTOCOL.md B.1): the server
  // cut the topics; the panel stops showing what this reader may no longer see.
  const revokedNote = h("p", { class: "banner banner-bad", role: "alert", "data-testid": "debate-revoked", text: t("debate.revoked") });
  let quickForm = null;
  let publicQuestions = null;
  function revoked(frame) {
    if (frame.topic === moderationTopic) return demoted();
    if (root.dataset.revoked) return;
    root.dataset.revoked = "true";
    for (const stop of stops.splice(0)) stop();
    root.replaceChildren(h("h2", { id: "debate-h", text: t("debate.title") }), revokedNote);
  }
  function demoted() {
    // No longer a moderator (the room's other topics stay): back to the participants' view.
    info.moderator = false;
    modFloor.hidden = true;
    settingsBox.hidden = true;
    if (quickForm) quickForm.remove();
    if (publicQuestions) questions = publicQuestions;
    renderQuestions();
    renderQueue();
    if (info.current_vote) showVote(info.current_vote);
    ctx.announce(t("debate.moderation_lost"));
  }

  // A debate that starts while the page is open (a first question, a hand raised, a vote, the
  // floor's settings): ask the server again whether the room runs one, by the same rule as when
  // the page opened, so the phone's tabs appear live. One request at a time; a frame heard
  // meanwhile asks once more after it (its change may be newer than that answer).
  let activeCheck = null;
  let activeCheckAgain = false;
  function activityHeard(frame) {
    if (info.active || !onActive || root.dataset.revoked) return;
    if (frame.type === "state" && !(frame.data && frame.data.version > 0)) return; // an empty debate
    if (activeCheck) {
      activeCheckAgain = true;
      return;
    }
    activeCheck = get(`debates/${roomId}`)
      .then((fresh) => {
        if (fresh.active && !info.active) {
          info.active = true;
          onActive(root, { live: true });
          status();
        }
      })
      .catch(() => {}) // the next frame asks again
      .finally(() => {
        activeCheck = null;
        if (activeCheckAgain) {
          activeCheckAgain = false;
          activityHeard({ type: "event" });
        }
      });
  }

  const questionsListener = {
    state(frame) {
      activityHeard(frame);
      if (frame.kind !== "questions") return;
      if (frame.topic === questionsTopic) publicQuestions = frame.data;
      if (!info.moderator || frame.topic === moderationTopic) {
        questions = frame.data;
        renderQuestions();
      }
    },
    revoked,
    event(frame) {
      activityHeard(frame);
      const d = frame.data || {};
      if (frame.kind === "question.answered" && mineIds.has(d.id) && frame.topic === questionsTopic) ctx.announce(t("debate.your_answered"));
      if (frame.kind === "question.hidden" && mineIds.has(d.id)) refreshMine();
      if (frame.kind === "question.asked" && mineIds.has(d.id)) refreshMine();
      if (frame.kind === "vote.opened") {
        info.current_vote = d.proposal;
        showVote(d.proposal);
        ctx.announce(t("debate.vote_opened", { title: d.title }));
      }
    },
  };
  const floorListener = {
    state(frame) {
      activityHeard(frame);
      if (frame.kind !== "queue") return;
      queue = frame.data;
      renderQueue();
    },
    event(frame) {
      activityHeard(frame);
      const d = frame.data || {};
      if (frame.kind === "floor.given" && d.user === me) ctx.announce(t("debate.your_floor"));
      if (frame.kind === "floor.ended" && d.user === me) ctx.announce(t("debate.your_floor_ended"));
    },
    revoked,
  };

  root.append(
    h("div", { class: "row wrap between" }, h("h2", { id: "debate-h", text: t("debate.title") }), h("a", { href: `#/screen/${roomId}`, "data-testid": "bigscreen-link", text: t("debate.bigscreen") })),
    h(
      "div",
      { class: "grid-2" },
      h("div", { class: "debate-floor", role: "region", "aria-labelledby": "floor-h" }, h("h3", { id: "floor-h", text: t("debate.floor") }), speaker, overrunNote, me ? h("div", { class: "row wrap" }, handBtn) : null, modFloor, floorError, h("h4", { text: t("debate.queue") }), queueList, settingsBox),
      h("div", { class: "debate-questions", role: "region", "aria-labelledby": "questions-h" }, h("h3", { id: "questions-h", text: t("debate.questions") }), me ? askForm : null, mineList, questionError, questionList, report ? report.el : null),
    ),
    h("div", { class: "debate-votes" }, h("h3", { text: t("debate.votes") }), voteBox),
  );

  async function start() {
    try {
      info = await get(`debates/${roomId}`);
    } catch (err) {
      root.replaceChildren(h("p", { class: "form-error", role: "alert", text: errorText(err) }));
      return;
    }
    if (info.active && onActive) onActive(root);
    upvoted = new Set(info.upvoted);
    mineIds = new Set(info.mine.map((q) => q.id));
    renderMine();
    renderQueue();
    renderQuestions();
    if (info.moderator) {
      modFloor.hidden = false;
      settingsBox.hidden = false;
      renderSettings();
      quickForm = quickVoteForm(ctx, roomId);
      voteBox.after(quickForm);
      stops.push(socket.subscribe(moderationTopic, questionsListener));
    }
    stops.push(socket.subscribe(questionsTopic, questionsListener));
    stops.push(socket.subscribe(floorTopic, floorListener));
    if (info.current_vote) showVote(info.current_vote);
  }
  start();
  return {
    el: root,
    stop() {
      for (const stop of stops.splice(0)) stop();
    },
  };
}
