// The organisers' check-in desk. Codes typed (or scanned) while offline wait in localStorage,
// each with the `ref` it will be sent with, and are sent once the socket is back: the server
// applies a ref once, so a code sent twice across a reload is never checked in twice.

import { avatar } from "../../avatars.js";
import { get } from "../../api.js";
import "../account-messages.js";
import { field, h } from "../../dom.js";
import { errorText, formatNumber, t } from "../../i18n.js";
import { attendanceOf, isOrganiser, pick } from "./parts.js";
import { scanButton } from "./scan.js";

const QUEUE_KEY = (id) => `cl.checkin.${id}`;

function loadQueue(id) {
  try {
    return JSON.parse(localStorage.getItem(QUEUE_KEY(id)) || "[]");
  } catch {
    return [];
  }
}

function saveQueue(id, items) {
  if (items.length) localStorage.setItem(QUEUE_KEY(id), JSON.stringify(items));
  else localStorage.removeItem(QUEUE_KEY(id));
}

function newRef() {
  return `checkin-${crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`}`;
}

export async function renderCheckin(ctx, ev, container) {
  const back = h("p", {}, h("a", { href: `#/event/${ev.id}`, text: `← ${ev.title}` }));
  if (!isOrganiser(ctx, ev)) {
    // Say so at once rather than show a form whose every use would be refused.
    container.replaceChildren(back, h("h1", { text: t("event.checkin_title") }), h("p", { class: "banner banner-bad", role: "alert", "data-testid": "checkin-refused", text: t(ctx.me ? "event.checkin_refused" : "event.checkin_signin") }));
    return null;
  }
  const { socket } = ctx;
  const topic = ev.topic || `event:${ev.id}`;
  const count = h("p", { class: "big", "data-testid": "checkin-count", "data-value": "0", "aria-live": "polite" });
  const setCount = (n) => {
    count.dataset.value = String(n);
    count.textContent = t("event.checkin_count", { n, count: formatNumber(n) });
  };
  setCount(attendanceOf(ev).checked_in);
  const code = h("input", { required: true, autocomplete: "off", autocapitalize: "characters", inputmode: "text", "data-testid": "checkin-code" });
  const result = h("p", { role: "status", "data-testid": "checkin-result" });
  const pendingNote = h("p", { class: "notice", "data-testid": "checkin-pending-count", hidden: true });
  const pendingList = h("ul", { class: "list", "data-testid": "checkin-pending" });
  const attendees = h("ul", { class: "list", "data-testid": "attendees" });
  // A referent of the event's commune may verify residents as they come in (PROTOCOL.md, `checkin`).
  const referent = Boolean(ev.commune && ctx.me && (ctx.me.referent_of || []).includes(ev.commune));
  const verify = referent ? h("input", { type: "checkbox", id: "checkin-verify", "data-testid": "checkin-verify" }) : null;
  const verifyLabel = h("label", { for: "checkin-verify", class: "inline", text: t("checkin.verify", { name: ev.commune }) });
  if (referent) {
    get(`communes/${encodeURIComponent(ev.commune)}`)
      .then((c) => (verifyLabel.textContent = t("checkin.verify", { name: c.name })))
      .catch(() => {});
  }
  const form = h(
    "form",
    { class: "card" },
    field(t("event.checkin_code"), code),
    referent ? h("div", { class: "field row" }, verify, verifyLabel) : null,
    referent ? h("p", { class: "hint", text: t("checkin.verify_hint") }) : null,
    h("button", { type: "submit", "data-testid": "checkin-submit", text: t("event.checkin_submit") }),
    result,
  );

  let queue = loadQueue(ev.id);
  function renderQueue() {
    pendingNote.hidden = !queue.length;
    pendingNote.textContent = t("event.checkin_pending", { n: queue.length });
    pendingList.replaceChildren(...queue.map((item) => h("li", { "data-testid": "checkin-pending-item", "data-ref": item.ref }, h("span", { class: "code", text: item.code }), h("span", { class: "tag", text: t("room.pending") }))));
  }

  function show(text, kind) {
    result.textContent = text;
    result.className = kind;
  }

  async function send(item) {
    try {
      const frame = { type: "checkin", topic, code: item.code };
      if (item.verify) frame.verify_resident = true;
      const res = await socket.write(frame, item.ref);
      const user = pick(res, "username", "user") || item.code;
      show(t("event.checkin_ok", { user }), "ok");
      result.dataset.resident = res.resident || "";
      if (item.verify && res.resident === "verified") result.append(" ", t("checkin.verified", { user }));
      else if (res.resident) result.append(" ", t(`checkin.resident_${res.resident}`, { user }));
      addUndo(item.code);
    } catch (err) {
      show(`${item.code} : ${errorText(err)}`, "form-error");
      if (item.verify && (err.code === "conflict" || err.code === "forbidden") && !/already checked in/.test(err.message || "")) {
        // The verification was refused, so nothing was written: offer the plain check-in.
        result.append(" ", h("button", { type: "button", class: "link", "data-testid": "checkin-without-verify", text: t("checkin.without_verify"), onclick: () => enqueue(item.code, false) }));
      }
    }
    queue = queue.filter((q) => q.ref !== item.ref);
    saveQueue(ev.id, queue);
    renderQueue();
    loadAttendees();
  }

  function addUndo(value) {
    result.append(" ", h("button", { type: "button", class: "link", "data-testid": "checkin-undo", text: t("event.checkin_undo"), onclick: () => undo(value) }));
  }

  async function undo(value) {
    try {
      await socket.write({ type: "checkin", topic, code: value, undo: true });
      show(t("event.checkin_undone", { code: value }), "ok");
      loadAttendees();
    } catch (err) {
      show(errorText(err), "form-error");
    }
  }

  function enqueue(value, withVerify) {
    const item = { code: value, ref: newRef(), verify: withVerify };
    queue.push(item);
    saveQueue(ev.id, queue);
    renderQueue();
    if (socket.state !== "online") show(t("event.checkin_queued", { code: value }), "");
    code.value = "";
    code.focus();
    send(item);
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const value = code.value.trim();
    if (!value) return;
    enqueue(value, Boolean(verify && verify.checked));
  });

  async function loadAttendees() {
    try {
      const data = await get(`events/${encodeURIComponent(ev.id)}/attendees`);
      const items = (data && (data.items || data)) || [];
      attendees.replaceChildren();
      if (!items.length) attendees.append(h("li", { class: "muted", text: t("event.no_attendees") }));
      for (const a of items) {
        const status = a.checked_in_at ? "checked_in" : a.status;
        attendees.append(h("li", { "data-testid": "attendee", "data-status": status || "" }, avatar(a.username, 20), h("span", { text: a.name || a.username }), " ", h("span", { class: "tag", text: t(`event.status_${status}`) })));
      }
    } catch (err) {
      // Offline: keep the last list shown.
      if (!attendees.childElementCount) attendees.append(h("li", { class: "form-error", text: errorText(err) }));
    }
  }

  const scan = scanButton((value) => {
    code.value = value;
    form.requestSubmit();
  }, (err) => show(errorText(err), "form-error"));
  if (scan) form.append(scan.el);

  container.replaceChildren(
    back,
    h("h1", { text: t("event.checkin_title") }),
    count,
    h("p", { class: "muted", text: t("event.checkin_offline_hint") }),
    form,
    pendingNote,
    pendingList,
    h("section", { class: "card", "aria-labelledby": "att-h" }, h("h2", { id: "att-h", text: t("event.attendees") }), attendees),
  );
  renderQueue();
  for (const item of queue) send(item); // left from an earlier visit: same refs, applied once
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
    if (scan) scan.stop();
    unsubscribe();
  };
}
