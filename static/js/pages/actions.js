// What a decision leads to: the outcome statement (proposal page) and the actions, listed on
// the proposal, the room and the commune pages, kept live by `action.created` / `action.updated`
// events on whichever topic the page follows (each action carries a `version`: newest wins).

import { get, qs } from "../api.js";
import { field, h } from "../dom.js";
import { errorText, formatDateTime, t } from "../i18n.js";

const STATUSES = ["todo", "doing", "done"];

function dueText(due) {
  return due ? t("actions.due", { date: formatDateTime(`${due}T12:00:00`, undefined, { dateStyle: "medium" }) }) : "";
}

/**
 * The actions list. `query` picks them (`{proposal}`, `{room}` or `{commune}`); `topic` brings the
 * live changes; `linkProposals` names each action's proposal (room and commune pages);
 * `hideWhenEmpty` keeps a room without decisions uncluttered.
 */
export function actionsSection(ctx, { query, topic, linkProposals = false, hideWhenEmpty = false, maySteer = () => false }) {
  const me = ctx.me && ctx.me.username;
  const actions = new Map();
  const list = h("ul", { class: "list actions", "data-testid": "actions", "aria-live": "polite" });
  const error = h("p", { class: "form-error", role: "alert", "data-testid": "actions-error" });
  const section = h(
    "section",
    { class: "card", "aria-labelledby": `h-actions-${topic}`, "data-testid": "actions-section", hidden: hideWhenEmpty },
    h("h2", { id: `h-actions-${topic}`, text: t("actions.title") }),
    list,
    error,
  );

  async function write(frame) {
    error.textContent = "";
    try {
      const data = await ctx.socket.write(frame);
      upsert(data);
    } catch (err) {
      error.textContent = errorText(err);
    }
  }

  function item(a) {
    const mine = a.assignees.some((x) => x.user === me);
    const who = a.assignees.length
      ? t("actions.assignees", { names: a.assignees.map((x) => x.user).join(", ") })
      : t("actions.nobody");
    const proposalTopic = `proposal:${a.proposal}`;
    const controls = [];
    if (me && (mine || maySteer(a))) {
      const select = h(
        "select",
        {
          "data-testid": "action-status-select",
          "aria-label": t("actions.status_of", { title: a.title }),
          onchange: () => write({ type: "action_update", topic: proposalTopic, action: a.id, status: select.value }),
        },
        STATUSES.map((s) => h("option", { value: s, text: t(`actions.status_${s}`) })),
      );
      select.value = a.status;
      controls.push(select);
    }
    if (me && (mine || a.status !== "done")) {
      controls.push(
        h("button", {
          type: "button",
          class: mine ? "secondary" : "",
          "data-testid": mine ? "action-withdraw" : "action-volunteer",
          "aria-label": t(mine ? "actions.withdraw_from" : "actions.volunteer_for", { title: a.title }),
          text: t(mine ? "actions.withdraw" : "actions.volunteer"),
          onclick: () => write({ type: "action_volunteer", topic: proposalTopic, action: a.id, withdraw: mine }),
        }),
      );
    }
    return h(
      "li",
      { "data-testid": "action", "data-action": String(a.id), "data-status": a.status, "data-version": String(a.version) },
      h("span", { class: `badge status-${a.status}`, "data-testid": "action-status", text: t(`actions.status_${a.status}`) }),
      " ",
      h("strong", { "data-testid": "action-title", text: a.title }),
      linkProposals ? h("small", { class: "block" }, h("a", { href: `#/proposal/${a.proposal}`, text: a.proposal_title })) : null,
      h("small", { class: "muted block", "data-testid": "action-assignees", text: [who, dueText(a.due)].filter(Boolean).join(" · ") }),
      controls.length ? h("div", { class: "row wrap action-controls" }, controls) : null,
    );
  }

  function render() {
    const sorted = [...actions.values()].sort((x, y) => STATUSES.indexOf(x.status) - STATUSES.indexOf(y.status) || x.id - y.id);
    list.replaceChildren(...(sorted.length ? sorted.map(item) : [h("li", { class: "muted", "data-testid": "actions-none", text: t("actions.none") })]));
    if (hideWhenEmpty) section.hidden = sorted.length === 0;
  }

  function upsert(a) {
    if (!a || a.id == null) return;
    const known = actions.get(a.id);
    if (known && known.version >= a.version) return;
    actions.set(a.id, a);
    render();
  }

  const stop = ctx.socket.subscribe(topic, {
    event(frame) {
      if (frame.kind === "action.created" || frame.kind === "action.updated") upsert(frame.data);
    },
  });
  get(`actions${qs({ ...query, limit: 200 })}`)
    .then((data) => {
      for (const a of data.items) upsert(a);
      render();
    })
    .catch((err) => {
      error.textContent = errorText(err);
    });
  render();
  return { section, stop, upsert };
}

/** The proposal page's part once the vote closed: the outcome statement, the actions, and for
 * steerers (author, room moderators) the forms that write them. */
export function outcomePanel(ctx, proposal) {
  const topic = proposal.topic || `proposal:${proposal.id}`;
  let steer = false;
  const el = h("div", { "data-testid": "outcome-panel", hidden: true });
  const statement = h("p", { class: "description", "data-testid": "outcome-statement" });
  const byline = h("small", { class: "muted block", "data-testid": "outcome-byline" });
  const formSlot = h("div");
  const outcomeCard = h(
    "section",
    { class: "card", "aria-labelledby": "h-outcome" },
    h("h2", { id: "h-outcome", text: t("outcome.title") }),
    statement,
    byline,
    formSlot,
  );
  const list = actionsSection(ctx, { query: { proposal: proposal.id }, topic, maySteer: () => steer });
  const newSlot = h("div");
  list.section.append(newSlot);
  el.append(outcomeCard, list.section);

  function showOutcome(o) {
    statement.textContent = o ? o.statement : t("outcome.none");
    statement.dataset.stated = String(Boolean(o));
    byline.textContent = o ? t("outcome.by", { user: o.author, date: formatDateTime(o.stated_at, undefined, { dateStyle: "medium", timeStyle: "short" }) }) : "";
    if (o && steer) formSlot.querySelector("textarea").value = o.statement;
  }

  function steerForms() {
    const text = h("textarea", { rows: 3, maxlength: 4000, "data-testid": "outcome-input", required: true });
    const err = h("p", { class: "form-error", role: "alert", "data-testid": "outcome-error" });
    formSlot.replaceChildren(
      h(
        "form",
        {
          "data-testid": "outcome-form",
          onsubmit: async (e) => {
            e.preventDefault();
            err.textContent = "";
            try {
              showOutcome(await ctx.socket.write({ type: "outcome_state", topic, statement: text.value }));
            } catch (x) {
              err.textContent = errorText(x);
            }
          },
        },
        field(t("outcome.write"), text),
        h("button", { type: "submit", "data-testid": "outcome-submit", text: t("outcome.save") }),
        err,
      ),
    );
    const title = h("input", { type: "text", maxlength: 200, required: true, "data-testid": "action-title-input" });
    const due = h("input", { type: "date", "data-testid": "action-due-input" });
    const who = h("input", { type: "text", autocomplete: "off", "data-testid": "action-assignees-input" });
    const aerr = h("p", { class: "form-error", role: "alert", "data-testid": "action-error" });
    newSlot.replaceChildren(
      h(
        "form",
        {
          class: "action-form",
          "data-testid": "action-form",
          onsubmit: async (e) => {
            e.preventDefault();
            aerr.textContent = "";
            const assignees = who.value.split(",").map((s) => s.trim()).filter(Boolean);
            try {
              const made = await ctx.socket.write({ type: "action_create", topic, title: title.value, due: due.value || null, assignees });
              list.upsert(made);
              title.value = due.value = who.value = "";
              title.focus();
            } catch (x) {
              aerr.textContent = errorText(x);
            }
          },
        },
        h("h3", { text: t("actions.new") }),
        field(t("actions.field_title"), title),
        field(t("actions.field_due"), due),
        field(t("actions.field_assignees"), who, t("actions.assignees_hint")),
        h("button", { type: "submit", "data-testid": "action-submit", text: t("actions.create") }),
        aerr,
      ),
    );
  }

  async function load() {
    try {
      const data = await get(`outcomes/${encodeURIComponent(proposal.id)}`);
      if (data.phase !== "resolved") return;
      steer = data.may_steer;
      el.hidden = false;
      if (steer && !formSlot.firstChild) steerForms();
      showOutcome(data.outcome);
      for (const a of data.actions) list.upsert(a);
    } catch {
      /* the proposal page shows its own errors */
    }
  }

  const stop = ctx.socket.subscribe(topic, {
    event(frame) {
      if (frame.kind === "proposal.closed") load();
      else if (frame.kind === "outcome.stated") showOutcome(frame.data);
    },
  });
  load();
  return {
    el,
    stop() {
      stop();
      list.stop();
    },
  };
}
