// A room running a debate, on a phone: "Discussion" and "Débat" tabs, so the composer stays in
// view; the debate tab carries badges (new questions, an open vote, the floor given to you), and
// "You have the floor" shows above the tabs whichever is open. On wider screens the tabs go away
// and both parts show one above the other, as before.

import { h } from "../../dom.js";
import { t } from "../../i18n.js";

const NARROW = "(max-width: 47.99rem)";

function badge(testid) {
  return h("span", { class: "count-badge", "data-testid": testid, hidden: true });
}

/** `discussion` and `debate` are the two parts; `seenAtOpen`, the ids of the questions that are not
 * news (default: those of the first update); `open`, the tab shown first; returns {el, floorBanner,
 * panels, update(status), messageArrived(), stop()}. */
export function roomTabs(discussion, debate, { onShow = null, seenAtOpen = null, open = "discussion" } = {}) {
  const names = ["discussion", "debate"];
  const parts = { discussion, debate };
  const newQuestions = badge("tab-debate-questions");
  const voteBadge = badge("tab-debate-vote");
  const floorBadge = badge("tab-debate-floor");
  const newMessages = badge("tab-discussion-new");
  const labels = { discussion: [t("room.tab_discussion"), newMessages], debate: [t("room.tab_debate"), newQuestions, voteBadge, floorBadge] };
  const tabs = {};
  const panels = {};
  for (const name of names) {
    tabs[name] = h("button", { type: "button", role: "tab", id: `room-tab-${name}`, "data-testid": `tab-${name}`, "aria-controls": `room-panel-${name}`, onclick: () => select(name, false) }, ...labels[name]);
    panels[name] = h("div", { id: `room-panel-${name}`, class: "room-panel", "data-testid": `panel-${name}` }, parts[name]);
  }
  const list = h("div", { class: "room-tabs", role: "tablist", "aria-label": t("room.tabs"), "data-testid": "room-tabs" }, tabs.discussion, tabs.debate);
  const floorBanner = h("p", { class: "banner banner-good", "data-testid": "floor-banner", hidden: true });
  const media = window.matchMedia(NARROW);
  let current = open;
  let seenQuestions = seenAtOpen ? new Set(seenAtOpen) : null;
  let lastStatus = { questionIds: [], vote: null, floorMine: false };
  let unseenMessages = 0;

  list.addEventListener("keydown", (ev) => {
    const index = names.indexOf(current);
    const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: names.length - 1 }[ev.key];
    if (next === undefined) return;
    ev.preventDefault();
    select(names[(next + names.length) % names.length], true);
  });

  function select(name, focus) {
    current = name;
    if (name === "debate") seenQuestions = new Set(lastStatus.questionIds);
    else unseenMessages = 0;
    apply();
    if (onShow) onShow(name);
    if (focus) tabs[name].focus();
  }

  function apply() {
    const narrow = media.matches;
    list.hidden = !narrow;
    for (const name of names) {
      const on = name === current;
      tabs[name].setAttribute("aria-selected", String(on));
      tabs[name].tabIndex = on ? 0 : -1;
      // Wide screens: plain sections, both shown (the debate first, as before the tabs).
      if (narrow) {
        panels[name].setAttribute("role", "tabpanel");
        panels[name].setAttribute("aria-labelledby", tabs[name].id);
      } else {
        panels[name].removeAttribute("role");
        panels[name].removeAttribute("aria-labelledby");
      }
      panels[name].hidden = narrow && !on;
    }
    renderBadges();
  }

  function renderBadges() {
    const debateOpen = current === "debate" || !media.matches;
    if (debateOpen) seenQuestions = new Set(lastStatus.questionIds);
    const fresh = seenQuestions ? lastStatus.questionIds.filter((id) => !seenQuestions.has(id)).length : 0;
    show(newQuestions, fresh, String(fresh), t("room.tab_new_questions", { n: fresh }));
    show(voteBadge, lastStatus.vote && !debateOpen, t("room.tab_vote_open"));
    show(floorBadge, lastStatus.floorMine && !debateOpen, t("room.tab_your_floor"));
    show(newMessages, current === "debate" && media.matches && unseenMessages, String(unseenMessages), t("room.tab_new_messages", { n: unseenMessages }));
    floorBanner.hidden = !lastStatus.floorMine;
    floorBanner.textContent = t("debate.your_floor");
  }

  /** A badge: its short text, and for a count the words screen readers say after it. */
  function show(el, on, text, words = "") {
    el.hidden = !on;
    el.replaceChildren(...(on ? [text, words ? h("span", { class: "visually-hidden", text: ` ${words}` }) : ""] : []));
  }

  media.addEventListener("change", apply);
  apply();
  return {
    el: list,
    floorBanner,
    panels,
    /** The debate panel's news: ids of the questions shown, the open vote, whether I have the floor. */
    update(status) {
      const questionIds = status.questionIds ?? lastStatus.questionIds;
      // The questions there when the page opened are not news; those asked after are.
      if (seenQuestions === null && status.questionIds) seenQuestions = new Set(questionIds);
      lastStatus = { ...status, questionIds };
      renderBadges();
    },
    messageArrived() {
      if (current === "debate" && media.matches) unseenMessages += 1;
      renderBadges();
    },
    stop() {
      media.removeEventListener("change", apply);
    },
  };
}
