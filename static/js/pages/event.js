// An event: details, RSVP, live attendance, ticket + QR, calendar, discussion room, organisers'
// tools. The pieces live in event/: parts, form, organiser tools, ticket, check-in desk.

import { avatar } from "../avatars.js";
import { tagLinks } from "../tags.js";
import { get } from "../api.js";
import { append, clear, h } from "../dom.js";
import { errorText, formatNumber, t } from "../i18n.js";
import { signinPrompt } from "./auth.js";
import { debatePanel } from "./debate.js";
import { renderCheckin } from "./event/checkin.js";
import { organiserPanel } from "./event/organiser.js";
import { attendanceBlock, attendanceOf, isCancelled, isOrganiser, myRsvpOf, pick, whenText } from "./event/parts.js";
import { TicketBox } from "./event/ticket.js";

const RSVP_CHOICES = ["going", "interested", "declined"];

/** Who is going, with their avatars, when the event shows its participants. */
function participantsCard(ev) {
  const list = h("ul", { class: "list", "data-testid": "participants" });
  get(`events/${encodeURIComponent(ev.id)}/attendees`)
    .then((data) => {
      const going = (data.items || []).filter((a) => a.status === "going");
      list.replaceChildren(...going.map((a) => h("li", { "data-testid": "participant", "data-user": a.username }, avatar(a.username, 24), h("a", { href: `#/person/${encodeURIComponent(a.username)}`, text: a.name || a.username }))));
      if (!going.length) list.append(h("li", { class: "muted", text: t("event.no_attendees") }));
    })
    .catch((err) => list.replaceChildren(h("li", { class: "form-error", text: errorText(err) })));
  return h("section", { class: "card", "aria-labelledby": "h-participants" }, h("h2", { id: "h-participants", text: t("event.attendees") }), list);
}

export async function render(ctx, params, container) {
  const [eventId, sub] = params;
  container.append(h("p", { class: "muted", text: t("common.loading") }));
  let ev;
  try {
    ev = await get(`events/${encodeURIComponent(eventId)}`);
  } catch (err) {
    container.replaceChildren(h("p", { class: "form-error", role: "alert", "data-testid": "event-error", text: errorText(err) }));
    return null;
  }
  if (sub === "checkin") return renderCheckin(ctx, ev, container);
  return renderDetails(ctx, ev, container);
}

function detailsList(ev, tz) {
  const organisers = (ev.organisers || []).map((o) => (typeof o === "object" ? o.username : o)).join(", ");
  const when = h("dd", { "data-testid": "event-when", text: whenText(ev, tz) });
  const el = h(
    "dl",
    { class: "details" },
    h("dt", { text: t("event.when") }),
    when,
    ev.address ? [h("dt", { text: t("event.where") }), h("dd", { "data-testid": "event-place", text: ev.address })] : null,
    organisers ? [h("dt", { text: t("event.organiser") }), h("dd", { "data-testid": "event-organisers", text: organisers })] : null,
    ev.capacity != null ? [h("dt", { text: t("event.capacity") }), h("dd", { "data-testid": "event-capacity", text: formatNumber(ev.capacity) })] : null,
    ev.invite_only ? [h("dt", { text: t("event.access") }), h("dd", { "data-testid": "event-invite-only", text: t("event.invite_only") })] : null,
  );
  return { el, when };
}

function rsvpSection(ctx, onChoose) {
  const myStatus = h("p", { "data-testid": "my-status", "data-status": "" });
  const position = h("p", { class: "banner", "data-testid": "waitlist-position", hidden: true });
  const error = h("p", { class: "form-error", role: "alert", "data-testid": "rsvp-error" });
  const buttons = RSVP_CHOICES.map((status) =>
    h("button", { type: "button", "data-testid": `rsvp-${status}`, "aria-pressed": "false", text: t(`event.rsvp_${status}`), onclick: () => onChoose(status) }),
  );
  const el = h(
    "section",
    { class: "card", "aria-labelledby": "rsvp-h" },
    h("h2", { id: "rsvp-h", text: t("event.rsvp") }),
    ctx.me ? [h("div", { class: "row wrap", role: "group", "aria-labelledby": "rsvp-h" }, buttons), myStatus, position, error] : signinPrompt(),
  );
  function render(mine) {
    const status = mine && mine.status;
    myStatus.dataset.status = status === "going" && mine.checked_in_at ? "checked_in" : status || "";
    const shown = status === "going" && mine.checked_in_at ? "checked_in" : status || "none";
    myStatus.textContent = t("event.my_status", { status: t(`event.status_${shown}`) });
    for (const b of buttons) {
      const s = b.dataset.testid.replace("rsvp-", "");
      b.setAttribute("aria-pressed", String(s === status || (s === "going" && status === "waitlisted")));
    }
    const pos = mine && pick(mine, "waitlist_position", "position");
    position.hidden = !(status === "waitlisted" && pos != null);
    position.dataset.position = position.hidden ? "" : String(pos);
    position.textContent = position.hidden ? "" : t("event.waitlist_position", { n: formatNumber(pos) });
  }
  return { el, render, error };
}

async function renderDetails(ctx, ev, container) {
  const { socket } = ctx;
  const topic = ev.topic || `event:${ev.id}`;
  const tz = ev.timezone;
  const attendance = attendanceBlock();
  attendance.apply(attendanceOf(ev));
  const cancelled = h("p", { class: "banner banner-bad", "data-testid": "event-cancelled", role: "alert", hidden: !isCancelled(ev), text: t("event.cancelled") });
  const title = h("h1", { "data-testid": "event-title", text: ev.title });
  const details = detailsList(ev, tz);
  const description = h("p", { class: "description", "data-testid": "event-description", text: ev.description || "" });
  const rsvpBox = rsvpSection(ctx, rsvp);
  const ticket = new TicketBox(ev);
  const links = h(
    "p",
    { class: "row wrap" },
    h("a", { href: `/api/events/${encodeURIComponent(ev.id)}/ics`, download: `event-${ev.id}.ics`, "data-testid": "calendar-link", text: t("event.calendar") }),
    ev.room ? h("a", { href: `#/room/${ev.room.id}`, "data-testid": "event-room-link", text: t("event.room") }) : null,
  );
  // dom.js's append skips the parts that are null here; the native replaceChildren would print "null".
  append(clear(container), [
    cancelled,
    title,
    details.el,
    description,
    ev.tags && ev.tags.length ? tagLinks(ev.tags, "event-tags") : null,
    h("section", { class: "card", "aria-label": t("event.going") }, attendance.el),
    rsvpBox.el,
    ticket.el,
    links,
    ev.show_participants ? participantsCard(ev) : null,
    isOrganiser(ctx, ev) ? organiserPanel(ctx, ev) : null,
  ]);

  let mine = myRsvpOf(ev);
  function renderMine() {
    rsvpBox.render(mine);
    ticket.render(mine && mine.status);
  }

  async function refreshMine() {
    try {
      const fresh = await get(`events/${encodeURIComponent(ev.id)}`);
      mine = myRsvpOf(fresh);
      ticket.set(fresh.ticket);
      renderMine();
    } catch {
      /* the next change retries */
    }
  }

  async function rsvp(status) {
    rsvpBox.error.textContent = "";
    try {
      const res = await socket.write({ type: "rsvp", topic, status });
      mine = { ...(mine || {}), ...res, status: res.status || status };
      renderMine();
      if (mine.status === "waitlisted" || mine.status === "going") refreshMine();
    } catch (err) {
      rsvpBox.error.textContent = errorText(err);
    }
  }

  renderMine();
  let refreshTimer = null;
  let checkedIn = attendanceOf(ev).checked_in;
  const unsubscribe = socket.subscribe(topic, {
    state(frame) {
      if (frame.kind !== "attendance") return;
      const data = frame.data || {};
      attendance.apply(data);
      if (data.status === "cancelled") cancelled.hidden = false;
      // Our own waitlist position and check-in are not in the broadcast (it names nobody):
      // when the counts that could concern us move, ask for our RSVP again.
      const mayConcernUs = (mine && mine.status === "waitlisted") || (mine && mine.status === "going" && data.checked_in !== checkedIn);
      checkedIn = data.checked_in ?? checkedIn;
      if (mayConcernUs) {
        clearTimeout(refreshTimer);
        refreshTimer = setTimeout(refreshMine, 150);
      }
    },
    event(frame) {
      if (frame.kind === "event.cancelled") cancelled.hidden = false;
      if (frame.kind === "event.updated") {
        const d = (frame.data || {}).changed || frame.data || {};
        if (d.title) title.textContent = d.title;
        if (d.description !== undefined) description.textContent = d.description;
        if (d.starts_at || d.ends_at) {
          ev = { ...ev, ...d };
          details.when.textContent = whenText(ev, tz);
        }
      }
    },
  });
  // The event's room runs its debate (questions, floor, votes on the spot) on the event page too.
  const debate = ev.room ? debatePanel(ctx, ev.room.id) : null;
  if (debate) container.append(debate.el);
  return () => {
    clearTimeout(refreshTimer);
    unsubscribe();
    if (debate) debate.stop();
  };
}
