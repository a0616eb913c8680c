// An event: details, RSVP, live attendance, ticket + QR, calendar, organiser check-in desk.

import { api, get, qs } from "../api.js";
import { field, h } from "../dom.js";
import { errorText, formatDateTime, formatNumber, t } from "../i18n.js";
import { signinPrompt } from "./auth.js";
import { debatePanel } from "./debate.js";

const RSVP_CHOICES = ["going", "interested", "declined"];

function pick(obj, ...names) {
  for (const n of names) if (obj && obj[n] !== undefined && obj[n] !== null) return obj[n];
  return undefined;
}

/** The attendance counts, whether the API nests them or puts them at the top level. */
function attendanceOf(ev) {
  const a = ev.attendance || ev.counts || ev;
  return {
    going: a.going ?? 0,
    waitlisted: a.waitlisted ?? 0,
    interested: a.interested ?? 0,
    checked_in: a.checked_in ?? 0,
    capacity: a.capacity !== undefined ? a.capacity : ev.capacity ?? null,
    seats_left: a.seats_left,
    version: a.version,
  };
}

function myRsvpOf(ev) {
  const r = ev.my_rsvp;
  if (!r) return null;
  if (typeof r === "string") return { status: r };
  return r;
}

function isOrganiser(ctx, ev) {
  if (!ctx.me) return false;
  if (ev.is_organiser || ev.is_organizer || ev.can_check_in || ev.can_checkin) return true;
  if (ev.role && ["owner", "organiser", "organizer", "admin"].includes(ev.role)) return true;
  if (Array.isArray(ev.organisers) && ev.organisers.some((o) => (typeof o === "object" ? o.username : o) === ctx.me.username)) return true;
  const org = pick(ev, "organiser", "organizer", "created_by", "owner");
  const name = org && typeof org === "object" ? org.username : org;
  return name === ctx.me.username;
}

/** An SVG given inline or by URL, as a data: URL an <img> may show under the CSP. */
async function svgDataUrl(svgOrUrl) {
  let svg = svgOrUrl;
  if (!svgOrUrl.trimStart().startsWith("<")) {
    try {
      const path = new URL(svgOrUrl, location.href).pathname.replace(/^\/api\//, "");
      svg = await (await api("GET", path, undefined, { raw: true })).text();
    } catch {
      return null;
    }
  }
  // An SVG sized in pixels without a viewBox would be cropped, not scaled, by the <img> box.
  try {
    const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
    const root = doc.documentElement;
    if (root.nodeName === "svg" && !root.getAttribute("viewBox") && root.getAttribute("width") && root.getAttribute("height")) {
      root.setAttribute("viewBox", `0 0 ${parseFloat(root.getAttribute("width"))} ${parseFloat(root.getAttribute("height"))}`);
      svg = new XMLSerializer().serializeToString(root);
    }
  } catch {
    /* shown as given */
  }
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** "Sunday 29 November 2026, 13:42 → 15:42" (same day) or both dates in full, in the event's zone. */
function whenText(ev, tz) {
  const day = (iso) => formatDateTime(iso, tz, { dateStyle: "short" });
  const sameDay = day(ev.starts_at) === day(ev.ends_at);
  const end = sameDay ? formatDateTime(ev.ends_at, tz, { timeStyle: "short" }) : formatDateTime(ev.ends_at, tz);
  return `${formatDateTime(ev.starts_at, tz)} → ${end}`;
}

function stat(labelKey, testid) {
  const value = h("dd", { "data-testid": testid, "data-value": "" });
  return { el: h("div", { class: "stat" }, h("dt", { text: t(labelKey) }), value), value };
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

function attendanceBlock() {
  const going = stat("event.going", "att-going");
  const seats = stat("event.seats_left", "att-seats-left");
  const waitlisted = stat("event.waitlisted", "att-waitlisted");
  const interested = stat("event.interested", "att-interested");
  const checked = stat("event.checked_in", "att-checked-in");
  const el = h("dl", { class: "stats", "data-testid": "attendance", "aria-live": "polite" }, going.el, seats.el, waitlisted.el, interested.el, checked.el);
  let version = -1;
  function apply(a) {
    if (a.version != null && a.version < version) return;
    if (a.version != null) version = a.version;
    const set = (s, n, text) => {
      s.value.dataset.value = String(n);
      s.value.textContent = text ?? formatNumber(n);
    };
    set(going, a.going);
    set(waitlisted, a.waitlisted);
    set(interested, a.interested);
    set(checked, a.checked_in);
    const left = a.seats_left !== undefined && a.seats_left !== null ? a.seats_left : a.capacity == null ? null : Math.max(0, a.capacity - a.going);
    if (left == null) set(seats, "unlimited", t("event.unlimited"));
    else set(seats, left, left === 0 ? `0 · ${t("event.full")}` : formatNumber(left));
  }
  return { el, apply };
}

async function renderDetails(ctx, ev, container) {
  const { socket } = ctx;
  const topic = ev.topic || `event:${ev.id}`;
  const tz = ev.timezone || ev.time_zone;
  const place = pick(ev, "place", "address", "location");
  const organisers = Array.isArray(ev.organisers) && ev.organisers.length ? ev.organisers : [pick(ev, "organiser", "organizer", "created_by", "owner")].filter(Boolean);
  const organiser = organisers.map((o) => (typeof o === "object" ? o.username : o)).join(", ");
  const attendance = attendanceBlock();
  attendance.apply(attendanceOf(ev));

  const cancelled = h("p", { class: "banner banner-bad", "data-testid": "event-cancelled", role: "alert", hidden: !(ev.cancelled || ev.status === "cancelled" || (ev.attendance && ev.attendance.status === "cancelled")), text: t("event.cancelled") });
  const title = h("h1", { "data-testid": "event-title", text: ev.title });
  const when = h("dd", { "data-testid": "event-when", text: whenText(ev, tz) });
  const description = h("p", { class: "description", "data-testid": "event-description", text: pick(ev, "description", "body") || "" });
  const details = h(
    "dl",
    { class: "details" },
    h("dt", { text: t("event.when") }),
    when,
    place ? [h("dt", { text: t("event.where") }), h("dd", { "data-testid": "event-place", text: place })] : null,
    organiser ? [h("dt", { text: t("event.organiser") }), h("dd", { "data-testid": "event-organisers", text: organiser })] : null,
  );

  const myStatus = h("p", { "data-testid": "my-status", "data-status": "" });
  const position = h("p", { class: "banner", "data-testid": "waitlist-position", hidden: true });
  const rsvpError = h("p", { class: "form-error", role: "alert", "data-testid": "rsvp-error" });
  const buttons = RSVP_CHOICES.map((status) =>
    h("button", { type: "button", "data-testid": `rsvp-${status}`, "aria-pressed": "false", text: t(`event.rsvp_${status}`), onclick: () => rsvp(status) }),
  );
  const rsvpBox = h(
    "section",
    { class: "card", "aria-labelledby": "rsvp-h" },
    h("h2", { id: "rsvp-h", text: t("event.rsvp") }),
    ctx.me ? [h("div", { class: "row wrap", role: "group", "aria-labelledby": "rsvp-h" }, buttons), myStatus, position, rsvpError] : signinPrompt(),
  );
  const ticketBox = h("section", { class: "card ticket", "data-testid": "ticket", hidden: true, "aria-labelledby": "ticket-h" });
  const calendar = h("a", { href: `/api/events/${encodeURIComponent(ev.id)}/ics`, download: `event-${ev.id}.ics`, "data-testid": "calendar-link", text: t("event.calendar") });
  const links = h("p", { class: "row wrap" }, calendar, isOrganiser(ctx, ev) ? h("a", { href: `#/event/${ev.id}/checkin`, "data-testid": "checkin-link", text: t("event.checkin_link") }) : null);

  container.replaceChildren(
    cancelled,
    title,
    details,
    description,
    h("section", { class: "card", "aria-label": t("event.going") }, attendance.el),
    rsvpBox,
    ticketBox,
    links,
  );

  let mine = myRsvpOf(ev);
  function renderMine() {
    const status = mine && mine.status;
    myStatus.dataset.status = status || "";
    const shown = status === "going" && mine.checked_in_at ? "checked_in" : status || "none";
    myStatus.textContent = t("event.my_status", { status: t(`event.status_${shown}`) });
    for (const b of buttons) {
      const s = b.dataset.testid.replace("rsvp-", "");
      b.setAttribute("aria-pressed", String(s === status || (s === "going" && (status === "waitlisted" || status === "checked_in"))));
    }
    const pos = mine && pick(mine, "waitlist_position", "position");
    if (status === "waitlisted" && pos != null) {
      position.hidden = false;
      position.dataset.position = String(pos);
      position.textContent = t("event.waitlist_position", { n: formatNumber(pos) });
    } else {
      position.hidden = true;
      position.dataset.position = "";
    }
    renderTicket();
  }

  // The ticket (code + QR) comes with the event for a going attendee; the QR is an SVG the
  // server renders, fetched with the bearer token and shown as a data: image (CSP img-src).
  let ticket = ev.ticket || null;
  let ticketShownFor = null;
  async function renderTicket() {
    const status = mine && mine.status;
    if (status !== "going") {
      ticketBox.hidden = true;
      ticketShownFor = null;
      return;
    }
    const key = ticket ? ticket.code : null;
    if (ticketShownFor !== null && ticketShownFor === key) return;
    if (!ticket) {
      try {
        ticket = await get(`events/${encodeURIComponent(ev.id)}/ticket`);
      } catch {
        return;
      }
    }
    ticketShownFor = ticket.code || "";
    const code = pick(ticket, "code", "ticket_code");
    const qr = pick(ticket, "qr_svg", "svg", "qr");
    const parts = [h("h2", { id: "ticket-h", text: t("event.ticket") })];
    if (qr) {
      const img = h("img", { class: "qr", "data-testid": "ticket-qr", alt: t("event.ticket_alt"), width: "192", height: "192" });
      parts.push(img);
      svgDataUrl(qr).then((url) => url && (img.src = url));
    }
    if (code) parts.push(h("p", { class: "code", "data-testid": "ticket-code", "data-code": code, text: t("event.ticket_code", { code }) }));
    ticketBox.replaceChildren(...parts);
    ticketBox.hidden = false;
  }

  async function refreshMine() {
    try {
      const fresh = await get(`events/${encodeURIComponent(ev.id)}`);
      mine = myRsvpOf(fresh);
      ticket = fresh.ticket || null;
      renderMine();
    } catch {
      /* the next change retries */
    }
  }

  async function rsvp(status) {
    rsvpError.textContent = "";
    try {
      const res = await socket.write({ type: "rsvp", topic, status });
      mine = { ...(mine || {}), ...res, status: res.status || status };
      renderMine();
      if (mine.status === "waitlisted" && pick(mine, "waitlist_position", "position") == null) refreshMine();
      if (mine.status === "going") refreshMine();
    } catch (err) {
      rsvpError.textContent = errorText(err);
    }
  }

  renderMine();
  let refreshTimer = null;
  const unsubscribe = socket.subscribe(topic, {
    state(frame) {
      if (frame.kind !== "attendance") return;
      attendance.apply(frame.data || {});
      if ((frame.data || {}).status === "cancelled") cancelled.hidden = false;
      // Someone leaving moves the waitlist: our own position is not in the broadcast.
      if (mine && mine.status === "waitlisted") {
        clearTimeout(refreshTimer);
        refreshTimer = setTimeout(refreshMine, 150);
      }
    },
    event(frame) {
      if (frame.kind === "event.cancelled") cancelled.hidden = false;
      if (frame.kind === "event.updated") {
        const d = frame.data || {};
        if (d.title) title.textContent = d.title;
        if (d.starts_at || d.ends_at) {
          ev = { ...ev, ...d };
          when.textContent = whenText(ev, tz);
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

async function renderCheckin(ctx, ev, container) {
  const { socket } = ctx;
  const topic = ev.topic || `event:${ev.id}`;
  const count = h("p", { class: "big", "data-testid": "checkin-count", "data-value": "0", "aria-live": "polite" });
  const setCount = (n) => {
    count.dataset.value = String(n);
    count.textContent = t("event.checkin_count", { n: formatNumber(n) });
  };
  setCount(attendanceOf(ev).checked_in);
  const code = h("input", { required: true, autocomplete: "off", autocapitalize: "characters", inputmode: "text", "data-testid": "checkin-code" });
  const result = h("p", { role: "status", "data-testid": "checkin-result" });
  const attendees = h("ul", { class: "list", "data-testid": "attendees" });
  const form = h(
    "form",
    { class: "card" },
    field(t("event.checkin_code"), code),
    h("button", { type: "submit", "data-testid": "checkin-submit", text: t("event.checkin_submit") }),
    result,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = code.value.trim();
    if (!value) return;
    result.className = "";
    try {
      const res = await socket.write({ type: "checkin", topic, code: value });
      result.textContent = t("event.checkin_ok", { user: pick(res, "username", "user") || value });
      result.className = "ok";
      code.value = "";
      loadAttendees();
    } catch (err) {
      result.textContent = errorText(err);
      result.className = "form-error";
    }
    code.focus();
  });

  async function loadAttendees() {
    try {
      const data = await get(`events/${encodeURIComponent(ev.id)}/attendees${qs({})}`);
      const items = (data && (data.items || data)) || [];
      attendees.replaceChildren();
      if (!items.length) attendees.append(h("li", { class: "muted", text: t("event.no_attendees") }));
      for (const a of items) {
        const name = typeof a === "string" ? a : pick(a, "username", "user", "name");
        const status = typeof a === "object" ? (a.checked_in || a.checked_in_at ? "checked_in" : a.status) : null;
        attendees.append(
          h("li", { "data-testid": "attendee", "data-status": status || "" }, h("span", { text: name }), status ? h("span", { class: "tag", text: t(`event.status_${status}`) }) : null),
        );
      }
    } catch (err) {
      attendees.replaceChildren(h("li", { class: "form-error", text: errorText(err) }));
    }
  }

  // A USB or Bluetooth scanner types the code and Enter into the field; a phone camera needs
  // the Barcode Detection API, offered only where the browser has it.
  let stopScan = null;
  if ("BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    const video = h("video", { class: "scan-video", muted: true, playsinline: true, hidden: true, "aria-hidden": "true" });
    const scanBtn = h("button", { type: "button", class: "secondary", "data-testid": "checkin-scan", text: t("event.checkin_scan") });
    scanBtn.addEventListener("click", async () => {
      if (stopScan) {
        stopScan();
        return;
      }
      try {
        const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
        video.srcObject = stream;
        video.hidden = false;
        await video.play();
        let active = true;
        stopScan = () => {
          active = false;
          stream.getTracks().forEach((track) => track.stop());
          video.hidden = true;
          stopScan = null;
        };
        const tick = async () => {
          if (!active) return;
          try {
            const found = await detector.detect(video);
            if (found.length) {
              code.value = found[0].rawValue.trim();
              stopScan();
              form.requestSubmit();
              return;
            }
          } catch {
            /* a frame that could not be read: try the next one */
          }
          setTimeout(tick, 250);
        };
        tick();
      } catch (err) {
        result.textContent = errorText(err);
        result.className = "form-error";
      }
    });
    form.append(scanBtn, video);
  }

  container.replaceChildren(
    h("p", {}, h("a", { href: `#/event/${ev.id}`, text: `← ${ev.title}` })),
    h("h1", { text: t("event.checkin_title") }),
    count,
    form,
    h("section", { class: "card", "aria-labelledby": "att-h" }, h("h2", { id: "att-h", text: t("event.attendees") }), attendees),
  );
  loadAttendees();
  code.focus();
  let timer = null;
  const unsubscribe = socket.subscribe(topic, {
    state(frame) {
      if (frame.kind !== "attendance") return;
      setCount((frame.data || {}).checked_in ?? 0);
      clearTimeout(timer);
      timer = setTimeout(loadAttendees, 300);
    },
  });
  return () => {
    clearTimeout(timer);
    if (stopScan) stopScan();
    unsubscribe();
  };
}
