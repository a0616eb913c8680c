// Pieces of the event pages: reading the API's event, dates, the live attendance block.

import { api } from "../../api.js";
import { h } from "../../dom.js";
import { formatDateTime, formatNumber, t } from "../../i18n.js";

export function pick(obj, ...names) {
  for (const n of names) if (obj && obj[n] !== undefined && obj[n] !== null) return obj[n];
  return undefined;
}

/** The attendance counts, whether the API nests them or puts them at the top level. */
export function attendanceOf(ev) {
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

export function myRsvpOf(ev) {
  const r = ev.my_rsvp;
  if (!r) return null;
  if (typeof r === "string") return { status: r };
  return r;
}

export function isOrganiser(ctx, ev) {
  if (!ctx.me) return false;
  if (ev.is_organiser) return true;
  return Array.isArray(ev.organisers) && ev.organisers.some((o) => (typeof o === "object" ? o.username : o) === ctx.me.username);
}

export function isCancelled(ev) {
  return Boolean(ev.cancelled || ev.status === "cancelled" || (ev.attendance && ev.attendance.status === "cancelled"));
}

/** An SVG given inline or by URL, as a data: URL an <img> may show under the CSP. */
export async function svgDataUrl(svgOrUrl) {
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
export function whenText(ev, tz) {
  const day = (iso) => formatDateTime(iso, tz, { dateStyle: "short" });
  const sameDay = day(ev.starts_at) === day(ev.ends_at);
  const end = sameDay ? formatDateTime(ev.ends_at, tz, { timeStyle: "short" }) : formatDateTime(ev.ends_at, tz);
  return `${formatDateTime(ev.starts_at, tz)} → ${end}`;
}

function stat(labelKey, testid) {
  const value = h("dd", { "data-testid": testid, "data-value": "" });
  return { el: h("div", { class: "stat" }, h("dt", { text: t(labelKey) }), value), value };
}

/** The live counters; `apply` ignores a snapshot older than the one shown. */
export function attendanceBlock() {
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
