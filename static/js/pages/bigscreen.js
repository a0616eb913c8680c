// The big screen (#/screen/<room>): read-only, for the projector in the hall. Current
// speaker and countdown, the next three, the top questions, the open vote's live tally and a
// QR code to the room. No sign-in needed for a public room; live across reconnects like
// every page (the socket resubscribes with `since`, state frames carry everything).

import { get } from "../api.js";
import { h } from "../dom.js";
import { errorText, t } from "../i18n.js";
import { countdown } from "./debate-clock.js";
import "./debate-messages.js";
import { voteCard } from "./debate-vote.js";

const TOP_QUESTIONS = 5;
const NEXT_SPEAKERS = 3;

export async function render(ctx, params, container) {
  const roomId = params[0];
  const { socket } = ctx;
  let room;
  let info;
  try {
    [room, info] = await Promise.all([get(`rooms/${encodeURIComponent(roomId)}`), get(`debates/${encodeURIComponent(roomId)}`)]);
  } catch (err) {
    container.replaceChildren(h("p", { class: "form-error", role: "alert", "data-testid": "screen-error", text: errorText(err) }));
    return null;
  }
  document.body.classList.add("bigscreen");

  const speaker = h("p", { class: "screen-speaker", "data-testid": "screen-speaker" });
  const timer = countdown(socket, { testid: "screen-countdown" });
  const nextList = h("ol", { class: "screen-next", "data-testid": "screen-next" });
  const questionList = h("ol", { class: "screen-questions", "data-testid": "screen-questions" });
  const voteBox = h("div", { class: "screen-vote", "data-testid": "screen-vote" });
  const roomUrl = `${location.origin}/#/room/${room.id}`;
  const fullBtn = h("button", {
    type: "button",
    class: "secondary",
    "data-testid": "screen-fullscreen",
    text: t("screen.fullscreen"),
    onclick: () => (document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen()).catch(() => {}),
  });

  container.replaceChildren(
    h(
      "div",
      { class: "screen", "data-testid": "bigscreen" },
      h("header", { class: "screen-head" }, h("h1", { text: room.name }), h("a", { href: `#/room/${room.id}`, class: "screen-back", text: t("screen.back") }), fullBtn),
      h(
        "div",
        { class: "screen-grid" },
        h("section", { class: "screen-floor", "aria-label": t("debate.floor") }, h("h2", { text: t("debate.floor") }), speaker, h("h3", { text: t("screen.next") }), nextList),
        h("section", { "aria-label": t("debate.questions") }, h("h2", { text: t("screen.top_questions") }), questionList),
        h("section", { "aria-label": t("debate.votes") }, h("h2", { text: t("debate.votes") }), voteBox),
        h(
          "section",
          { class: "screen-join" },
          h("h2", { text: t("screen.join") }),
          h("img", { src: `/api/debates/${room.id}/qr.svg`, alt: t("screen.qr_alt", { url: roomUrl }), class: "screen-qr", "data-testid": "screen-qr" }),
          h("p", { class: "screen-url", text: roomUrl }),
        ),
      ),
    ),
  );

  function renderQueue(data) {
    const current = data.current;
    speaker.dataset.user = current ? current.user : "";
    speaker.replaceChildren(current ? h("span", { text: current.user }) : h("span", { class: "muted", text: t("debate.nobody") }));
    if (current) speaker.append(" ", timer.el);
    timer.set(current);
    const next = (data.hands || []).slice(0, NEXT_SPEAKERS);
    nextList.replaceChildren(...next.map((hand) => h("li", { "data-testid": "screen-next-item", text: hand.user })));
    if (!next.length) nextList.append(h("li", { class: "muted", text: t("debate.queue_empty") }));
  }
  function renderQuestions(data) {
    const top = (data.items || []).filter((q) => !q.answered).slice(0, TOP_QUESTIONS);
    questionList.replaceChildren(
      ...top.map((q) => h("li", { "data-testid": "screen-question", "data-id": String(q.id), "data-upvotes": String(q.upvotes) }, h("span", { class: "screen-votes", text: `▲ ${q.upvotes}` }), h("span", { text: q.body }))),
    );
    if (!top.length) questionList.append(h("li", { class: "muted", text: t("debate.no_questions") }));
  }
  let vote = null;
  function showVote(proposalId) {
    if (vote) vote.stop();
    vote = proposalId ? voteCard(ctx, proposalId, { readOnly: true }) : null;
    voteBox.replaceChildren(...(vote ? [vote.el] : [h("p", { class: "muted", text: t("screen.no_vote") })]));
  }
  renderQueue({ hands: [] });
  renderQuestions({ items: [] });
  showVote(info.current_vote);

  // The room turned private, or this reader lost it: the server cut the topics; so does the screen.
  function revoked() {
    if (container.querySelector("[data-testid=screen-revoked]")) return;
    for (const stop of stops.splice(0)) stop();
    if (vote) vote.stop();
    timer.stop();
    container.querySelector(".screen-grid").replaceChildren(h("p", { class: "banner banner-bad", role: "alert", "data-testid": "screen-revoked", text: t("screen.revoked") }));
  }
  const stops = [
    socket.subscribe(`floor:${room.id}`, {
      state(frame) {
        if (frame.kind === "queue") renderQueue(frame.data || {});
      },
      revoked,
    }),
    socket.subscribe(`debate:${room.id}`, {
      state(frame) {
        if (frame.kind === "questions") renderQuestions(frame.data || {});
      },
      event(frame) {
        if (frame.kind === "vote.opened") showVote(frame.data.proposal);
      },
      revoked,
    }),
  ];
  return () => {
    document.body.classList.remove("bigscreen");
    timer.stop();
    if (vote) vote.stop();
    for (const stop of stops) stop();
  };
}
