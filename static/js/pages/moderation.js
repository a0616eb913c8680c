// Co-moderation of a scope. A room's (#/moderation/<room>): the queue of hidden items with their
// secret vote (moderators and trusted members), and for moderators mute/ban, trusted members, the
// thresholds and the audit log. A commune's (#/moderation/commune/<insee>): its commune-wide
// proposals hidden by reports, voted on by its referents, and their audit log. Queue and log
// follow the scope's topic live (`moderation:<room>`, `communemod:<insee>`).

import { get, patch, post } from "../api.js";
import { field, h } from "../dom.js";
import { errorText, formatDateTime, t } from "../i18n.js";

const when = (iso) => formatDateTime(iso, undefined, { dateStyle: "medium", timeStyle: "short" });

function card(id, title, ...children) {
  return h("section", { class: "card", "aria-labelledby": id, "data-testid": id }, h("h2", { id, text: title }), ...children);
}

export async function render(ctx, params, container) {
  if (params[0] === "commune") return renderCommune(ctx, params[1] || "", container);
  const roomId = params[0];
  container.append(h("p", { class: "muted", text: t("common.loading") }));
  let room;
  let roles;
  try {
    room = await get(`rooms/${encodeURIComponent(roomId)}`);
    roles = await get(`moderation/rooms/${encodeURIComponent(roomId)}/me`);
  } catch (err) {
    container.replaceChildren(h("p", { class: "form-error", role: "alert", text: errorText(err) }));
    return null;
  }
  if (!roles.judge) {
    container.replaceChildren(h("p", { class: "form-error", role: "alert", "data-testid": "moderation-forbidden", text: t("moderation.not_judge") }));
    return null;
  }
  const base = `moderation/rooms/${room.id}`;
  const queue = queueCards(ctx, base, roles, { room: true });
  container.replaceChildren(
    h("h1", { text: t("moderation.title", { room: room.name }) }),
    h("p", {}, h("a", { href: `#/room/${room.id}`, "data-testid": "back-to-room", text: t("moderation.back") })),
    ...queue.cards,
  );
  const stops = [];
  if (roles.moderator) {
    const tools = moderatorTools(ctx, room, base);
    stops.push(followScope(ctx, `moderation:${room.id}`, queue.load, tools.refresh));
    container.append(...tools.cards);
  }
  return () => stops.forEach((stop) => stop());
}

/** The scope's topic: a case opened or decided reloads the queue; any audit entry (a decision, a
 * mute, a trusted member) reloads the log, so both stay live. */
function followScope(ctx, topic, loadQueue, refreshLog) {
  return ctx.socket.subscribe(topic, {
    event(frame) {
      if (frame.kind === "case.opened" || frame.kind === "case.decided") loadQueue();
      if (frame.kind === "audit.added" || frame.kind === "case.decided") refreshLog();
    },
  });
}

/** A commune's moderation: its referents judge the commune-wide proposals reported. */
async function renderCommune(ctx, insee, container) {
  container.append(h("p", { class: "muted", text: t("common.loading") }));
  let commune;
  let roles;
  try {
    commune = await get(`communes/${encodeURIComponent(insee)}`);
    roles = await get(`moderation/communes/${encodeURIComponent(insee)}/me`);
  } catch (err) {
    container.replaceChildren(h("p", { class: "form-error", role: "alert", text: errorText(err) }));
    return null;
  }
  const heading = h("h1", { "data-testid": "moderation-title", text: t("moderation.commune_title", { commune: commune.name }) });
  const back = h("p", {}, h("a", { href: `#/commune/${encodeURIComponent(insee)}`, "data-testid": "back-to-commune", text: t("moderation.commune_back") }));
  if (!roles.judge) {
    container.replaceChildren(heading, back, h("p", { class: "form-error", role: "alert", "data-testid": "moderation-forbidden", text: t("moderation.commune_not_judge") }));
    return null;
  }
  const base = `moderation/communes/${encodeURIComponent(insee)}`;
  const queue = queueCards(ctx, base, roles, { room: false });
  const log = auditCard(base, { commune: true });
  const cards = [...queue.cards];
  if (roles.moderator) cards.push(policyCard(base, log.refresh, { load: true }).card);
  container.replaceChildren(heading, back, h("p", { class: "muted", "data-testid": "commune-rule", text: t("moderation.commune_rule", { n: roles.judges }) }), ...cards, log.card);
  log.refresh();
  const stop = followScope(ctx, `communemod:${insee}`, queue.load, log.refresh);
  return () => stop();
}

/** The queue (open cases, each with its secret vote) and the decided cases of a scope. */
function queueCards(ctx, base, roles, { room }) {
  const queueList = h("ul", { class: "list cases", "data-testid": "queue", "aria-live": "polite" });
  const decidedList = h("ul", { class: "list", "data-testid": "decided" });
  const cards = [
    card("h-queue", t("moderation.queue"), h("p", { class: "muted", text: t(room ? "moderation.queue_hint" : "moderation.commune_hint") }), queueList),
    card("h-decided", t("moderation.decided"), decidedList),
  ];

  function caseItem(c) {
    const note = h("p", { class: "muted", role: "status", "data-testid": "case-note" });
    const vote = (choice) => async () => {
      try {
        await ctx.socket.write({ type: "vote", topic: c.topic, choice });
        note.textContent = t("moderation.voted");
      } catch (err) {
        note.textContent = errorText(err);
      }
    };
    const buttons = [
      h("button", { type: "button", "data-testid": "case-remove", text: t("moderation.vote_remove"), onclick: vote("up") }),
      h("button", { type: "button", class: "secondary", "data-testid": "case-keep", text: t("moderation.vote_keep"), onclick: vote("down") }),
    ];
    // Closing early: a room's moderators, a commune's referents.
    if (roles.moderator) {
      buttons.push(
        h("button", {
          type: "button",
          class: "secondary",
          "data-testid": "case-close",
          text: t("moderation.close_now"),
          onclick: async () => {
            try {
              await ctx.socket.write({ type: "close", topic: c.topic });
              load();
            } catch (err) {
              note.textContent = errorText(err);
            }
          },
        }),
      );
    }
    return h(
      "li",
      { "data-testid": "case", "data-case": String(c.id), "data-kind": c.kind },
      h("strong", { text: t(`moderation.kind_${c.kind}`, { author: c.author || "?" }) }),
      h("blockquote", { class: "reply-ref", "data-testid": "case-text", text: c.text }),
      // A reported proposal: its moderators (not trusted members) may still open its page.
      c.kind === "proposal" && roles.moderator && room ? h("p", {}, h("a", { href: `#/proposal/${c.item}`, "data-testid": "case-open", text: t("moderation.open_proposal") })) : null,
      h("small", { class: "muted block", "data-testid": "case-reports", text: t("moderation.reports", { n: c.reports }) }),
      h("ul", { class: "reasons" }, c.reasons.map((r) => h("li", { text: r }))),
      h("small", { class: "muted block", text: t("moderation.closes", { date: when(c.closes_at) }) }),
      h("div", { class: "row wrap", role: "group", "aria-label": t("moderation.your_vote") }, buttons),
      note,
    );
  }

  async function load() {
    try {
      const [open, kept, removed] = await Promise.all(["open", "kept", "removed"].map((status) => get(`${base}/queue?status=${status}`)));
      queueList.replaceChildren(...(open.items.length ? open.items.map(caseItem) : [h("li", { class: "muted", "data-testid": "queue-empty", text: t("moderation.queue_empty") })]));
      const decided = [...kept.items, ...removed.items].sort((a, b) => (b.decided_at || "").localeCompare(a.decided_at || ""));
      decidedList.replaceChildren(
        ...(decided.length
          ? decided.map((c) =>
              h(
                "li",
                { "data-testid": "decided-case", "data-status": c.status },
                h("span", { class: `badge result-${c.status === "removed" ? "refused" : "adopted"}`, text: t(`moderation.status_${c.status}`) }),
                " ",
                h("span", { text: t(`moderation.kind_${c.kind}`, { author: c.author || "?" }) }),
                h("small", { class: "muted block", text: when(c.decided_at) }),
              ),
            )
          : [h("li", { class: "muted", text: t("moderation.none") })]),
      );
    } catch (err) {
      queueList.replaceChildren(h("li", { class: "form-error", text: errorText(err) }));
    }
  }
  load();
  return { cards, load };
}

/** The entry's why in the page's language from its structured details (the server's English
 * `reason` only for entries without them: a moderator's own words, older entries). */
function auditReason(a, commune = false) {
  const d = a.details || {};
  if (typeof d.reports === "number") return t("moderation.audit_reports", { n: d.reports });
  if (d.verdict) {
    const share = d.share === null || d.share === undefined ? t("moderation.audit_no_votes") : t("moderation.audit_share", { share: d.share });
    const reasons = (d.reasons || []).join(" ; ");
    return t(`moderation.audit_decision_${d.verdict}${commune ? "_commune" : ""}`, { share, majority: d.majority, reasons });
  }
  return a.reason;
}

/** The scope's audit log, newest first (moderators, referents); `refresh` fetches it again. */
function auditCard(base, { commune = false } = {}) {
  const auditList = h("ol", { class: "list", "data-testid": "audit", "aria-live": "polite" });
  async function refresh() {
    try {
      const audit = await get(`${base}/audit`);
      auditList.replaceChildren(
        ...(audit.items.length
          ? audit.items.map((a) =>
              h(
                "li",
                { "data-testid": "audit-entry", "data-action": a.action },
                h("span", { class: "badge", text: t(`moderation.audit_${a.action}`) }),
                " ",
                h("span", { "data-testid": "audit-text", text: [a.actor || t("moderation.the_vote"), a.subject, auditReason(a, commune)].filter(Boolean).join(" · ") }),
                h("small", { class: "muted block", text: when(a.at) }),
              ),
            )
          : [h("li", { class: "muted", text: t("moderation.none") })]),
      );
    } catch (err) {
      auditList.replaceChildren(h("li", { class: "form-error", text: errorText(err) }));
    }
  }
  return { card: card("h-audit", t("moderation.audit"), auditList), refresh };
}

/** The scope's rule (a room's moderators, a commune's referents): the distinct reports that hide
 * an item, the share of For that removes it, how long the vote lasts. `show` fills it from the
 * scope's settings; with `load` (a commune's page, which reads no other settings) it reads them itself. */
function policyCard(base, saved, { load = false } = {}) {
  const input = (name, min, max) => h("input", { type: "number", min, max, required: true, inputmode: "numeric", "data-testid": name.replace("_", "-") });
  const inputs = { report_threshold: input("report_threshold", 1, 50), vote_threshold: input("vote_threshold", 50, 100), vote_hours: input("vote_hours", 1, 720) };
  const note = h("p", { class: "muted", role: "status", "data-testid": "settings-note" });
  const show = (settings) => Object.entries(inputs).forEach(([name, el]) => (el.value = settings[name]));
  const form = h(
    "form",
    {
      "data-testid": "settings-form",
      onsubmit: async (e) => {
        e.preventDefault();
        note.textContent = "";
        try {
          show(await patch(`${base}/settings`, Object.fromEntries(Object.entries(inputs).map(([name, el]) => [name, Number(el.value)]))));
          note.textContent = t("moderation.saved");
          saved();
        } catch (err) {
          note.textContent = errorText(err);
        }
      },
    },
    field(t("moderation.report_threshold"), inputs.report_threshold),
    field(t("moderation.vote_threshold"), inputs.vote_threshold),
    field(t("moderation.vote_hours"), inputs.vote_hours),
    h("button", { type: "submit", "data-testid": "settings-submit", text: t("moderation.save") }),
    note,
  );
  if (load) get(`${base}/settings`).then(show, (err) => (note.textContent = errorText(err)));
  return { card: card("h-settings", t("moderation.settings"), h("p", { class: "muted", text: t("moderation.settings_hint") }), form), show };
}

/** Mute and ban, trusted members, thresholds, the audit log: moderators only. */
function moderatorTools(ctx, room, base) {
  const sanctionsList = h("ul", { class: "list", "data-testid": "sanctions" });
  const trustedList = h("ul", { class: "list", "data-testid": "trusted" });
  const log = auditCard(base);
  const policy = policyCard(base, () => refresh());

  async function refresh() {
    try {
      log.refresh();
      const settings = await get(`${base}/settings`);
      policy.show(settings);
      sanctionsList.replaceChildren(
        ...(settings.sanctions.length
          ? settings.sanctions.map((s) =>
              h(
                "li",
                { "data-testid": "sanction", "data-user": s.user, "data-kind": s.kind },
                h("strong", { text: t(`moderation.sanction_${s.kind}`, { user: s.user }) }),
                " — ",
                h("span", { text: s.reason }),
                " ",
                h("button", { type: "button", class: "link", "data-testid": "sanction-lift", text: t("moderation.lift"), onclick: () => sanction(s.user, s.kind, "", true) }),
              ),
            )
          : [h("li", { class: "muted", text: t("moderation.none") })]),
      );
      trustedList.replaceChildren(
        ...(settings.trusted.length
          ? settings.trusted.map((name) =>
              h("li", { "data-testid": "trusted-member" }, h("span", { text: name }), " ", h("button", { type: "button", class: "link", text: t("moderation.untrust"), onclick: () => trust(name, false) })),
            )
          : [h("li", { class: "muted", text: t("moderation.none") })]),
      );
    } catch (err) {
      sanctionsList.replaceChildren(h("li", { class: "form-error", text: errorText(err) }));
    }
  }

  const who = h("input", { type: "text", autocomplete: "off", required: true, "data-testid": "sanction-user" });
  const kind = h("select", { "data-testid": "sanction-kind" }, h("option", { value: "mute", text: t("moderation.mute") }), h("option", { value: "ban", text: t("moderation.ban") }));
  const reason = h("input", { type: "text", maxlength: 500, "data-testid": "sanction-reason" });
  const sanctionError = h("p", { class: "form-error", role: "alert", "data-testid": "sanction-error" });
  async function sanction(user, k, why, lift) {
    sanctionError.textContent = "";
    try {
      await ctx.socket.write({ type: "sanction", topic: room.topic || `room:${room.id}`, user, kind: k, reason: why, lift });
      who.value = reason.value = "";
      refresh();
    } catch (err) {
      sanctionError.textContent = errorText(err);
    }
  }
  const trustWho = h("input", { type: "text", autocomplete: "off", required: true, "data-testid": "trust-user" });
  const trustError = h("p", { class: "form-error", role: "alert", "data-testid": "trust-error" });
  async function trust(user, trusted) {
    trustError.textContent = "";
    try {
      await post(`${base}/trusted`, { user, trusted });
      trustWho.value = "";
      refresh();
    } catch (err) {
      trustError.textContent = errorText(err);
    }
  }
  refresh();
  const cards = [
    card(
      "h-sanctions",
      t("moderation.sanctions"),
      h(
        "form",
        {
          "data-testid": "sanction-form",
          onsubmit: (e) => {
            e.preventDefault();
            sanction(who.value.trim(), kind.value, reason.value, false);
          },
        },
        field(t("moderation.user"), who),
        field(t("moderation.sanction_kind"), kind),
        field(t("moderation.reason"), reason),
        h("button", { type: "submit", "data-testid": "sanction-submit", text: t("moderation.apply") }),
        sanctionError,
      ),
      sanctionsList,
    ),
    card(
      "h-trusted",
      t("moderation.trusted"),
      h("p", { class: "muted", text: t("moderation.trusted_hint") }),
      h(
        "form",
        {
          "data-testid": "trust-form",
          onsubmit: (e) => {
            e.preventDefault();
            trust(trustWho.value.trim(), true);
          },
        },
        field(t("moderation.user"), trustWho),
        h("button", { type: "submit", "data-testid": "trust-submit", text: t("moderation.trust") }),
        trustError,
      ),
      trustedList,
    ),
    policy.card,
    log.card,
  ];
  return { cards, refresh: log.refresh };
}
