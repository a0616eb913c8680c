// The event form, shared by "new event" (commune page) and "edit" (organisers, event page).

import { field, h } from "../../dom.js";
import { DEFAULT_TIMEZONE, t } from "../../i18n.js";
import { tagField } from "../../tags.js";

/** "2025-03-01T18:30" typed in a wall clock of `timeZone` -> ISO 8601 instant. */
export function zonedToIso(local, timeZone = DEFAULT_TIMEZONE) {
  if (!local) return null;
  const asUtc = new Date(`${local}:00Z`);
  const wall = wallClock(asUtc, timeZone);
  const offsetMs = Date.parse(`${wall}:00Z`) - asUtc.getTime();
  return new Date(asUtc.getTime() - offsetMs).toISOString();
}

/** An instant as the "YYYY-MM-DDTHH:MM" a datetime-local input shows, in `timeZone`. */
export function wallClock(instant, timeZone = DEFAULT_TIMEZONE) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).formatToParts(new Date(instant));
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/**
 * The fields of an event, filled from `ev` when editing. `read()` returns the body for
 * POST /api/events or, with `changedOnly`, the fields that differ for PATCH.
 */
export function eventFields(prefix, ev = null) {
  const tz = (ev && ev.timezone) || DEFAULT_TIMEZONE;
  const input = (name, attrs) => h(attrs.tag || "input", { "data-testid": `${prefix}-${name}`, ...attrs, tag: null });
  const title = input("title", { required: true, maxlength: "200", value: ev ? ev.title : "" });
  const description = input("description", { tag: "textarea", rows: "4", maxlength: "10000", value: ev ? ev.description || "" : "" });
  const starts = input("starts", { type: "datetime-local", required: true, value: ev ? wallClock(ev.starts_at, tz) : "" });
  const ends = input("ends", { type: "datetime-local", required: true, value: ev ? wallClock(ev.ends_at, tz) : "" });
  const capacity = input("capacity", { type: "number", min: "1", inputmode: "numeric", value: ev && ev.capacity != null ? String(ev.capacity) : "" });
  const place = input("place", { maxlength: "200", value: ev ? ev.address || "" : "" });
  const inviteOnly = input("invite-only", { type: "checkbox", checked: Boolean(ev && ev.invite_only) });
  const tags = tagField(t("event.tags"), `${prefix}-tags`, ev ? ev.tags : []);
  const nodes = [
    field(t("commune.event_title"), title),
    field(t("event.description"), description),
    h("div", { class: "grid-2" }, field(t("commune.starts_at"), starts), field(t("commune.ends_at"), ends)),
    field(t("commune.capacity"), capacity),
    field(t("commune.place"), place),
    tags.node,
    h("div", { class: "field check" }, inviteOnly, h("label", { for: inviteOnly.id || (inviteOnly.id = `${prefix}-invite-only`), text: t("event.invite_only") })),
  ];
  function read({ changedOnly = false } = {}) {
    const body = {
      title: title.value.trim(),
      description: description.value,
      starts_at: zonedToIso(starts.value, tz),
      ends_at: zonedToIso(ends.value, tz),
      capacity: capacity.value ? Number(capacity.value) : null,
      address: place.value.trim(),
      invite_only: inviteOnly.checked,
      tags: tags.read(),
    };
    if (!changedOnly || !ev) return body;
    const same = (k) => {
      if (k === "tags") return body.tags.join(",") === (ev.tags || []).join(",");
      return k.endsWith("_at") ? Date.parse(body[k]) === Date.parse(ev[k]) : body[k] === (ev[k] ?? (k === "capacity" ? null : ""));
    };
    return Object.fromEntries(Object.entries(body).filter(([k]) => !same(k)));
  }
  return { nodes, read };
}
