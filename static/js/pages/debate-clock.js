// The floor's countdown, on the server clock (socket.serverNow): the room's debate panel and
// the big screen show the same remaining time whatever the device's own clock says.

import { h } from "../dom.js";

/** "1:05" from milliseconds (negative: the overrun, shown with a sign). */
export function clockText(ms) {
  const sign = ms < 0 ? "+" : "";
  const s = Math.floor(Math.abs(ms) / 1000);
  return `${sign}${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** A countdown element ticking on the server clock; returns {el, set(turn), stop()}. */
export function countdown(socket, { testid = "floor-countdown", onOverrun = null } = {}) {
  const el = h("span", { class: "countdown", "data-testid": testid, role: "timer", "aria-live": "off" });
  let turn = null;
  let overrun = false;
  function tick() {
    if (!turn) {
      el.textContent = "";
      el.dataset.remaining = "";
      return;
    }
    const now = socket.serverNow();
    if (turn.ends_at) {
      // Never more than the whole turn: the offset is measured to within the network's latency.
      const left = Math.min(Date.parse(turn.ends_at) - now, Date.parse(turn.ends_at) - Date.parse(turn.started_at));
      el.dataset.remaining = String(Math.ceil(left / 1000));
      el.textContent = clockText(left > 0 ? left + 999 : left);
      el.classList.toggle("overrun", left < 0);
      if (left < 0 && !overrun) {
        overrun = true;
        if (onOverrun) onOverrun(turn);
      }
    } else {
      const spoken = now - Date.parse(turn.started_at);
      el.dataset.remaining = "";
      el.textContent = clockText(Math.max(0, spoken));
    }
  }
  const timer = setInterval(tick, 250);
  return {
    el,
    set(next) {
      if (!next || !turn || next.id !== turn.id) overrun = false;
      turn = next;
      tick();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
