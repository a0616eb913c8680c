// One WebSocket per tab, multiplexing every topic the page listens to (PROTOCOL.md).
//
// The promises this module keeps for the pages:
// - sequenced events reach a topic's listeners exactly once and in seq order, across
//   reconnections (resubscribe with `since` = last seq seen, drop seq <= last seen);
// - a `state` frame older than the one already applied (lower data.version) is dropped;
// - a write is sent with a ref and resent with the SAME ref after a reconnection until the
//   server answers ok/error, so the server's idempotency makes it apply once.

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 15000;
const HEARTBEAT_MS = 15000;
// No frame at all for this long (pings included) means the connection is dead.
const DEAD_AFTER_MS = 8000;

export function newRef() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // randomUUID needs a secure context; getRandomValues does not (plain http on a LAN address).
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Rebuild a `state` snapshot from the one held and a delta (PROTOCOL.md, "State deltas"):
 * `order` lists the ids of the snapshot's list (`items`, or the one `list` names), `changed` the
 * new items and the changed keys of the others; every other key is the snapshot's own. Null when
 * the held snapshot cannot be the base.
 */
export function applyStateDelta(held, delta) {
  const key = delta.list || "items";
  if (held == null || !Array.isArray(held[key])) return null;
  const byId = new Map(held[key].map((item) => [item.id, item]));
  for (const change of delta.changed) byId.set(change.id, { ...(byId.get(change.id) || {}), ...change });
  const items = [];
  for (const id of delta.order) {
    const item = byId.get(id);
    if (item == null) return null;
    items.push(item);
  }
  const { order, changed, list, ...rest } = delta;
  return { ...rest, [key]: items };
}

export class WriteError extends Error {
  constructor(frame) {
    super(frame.message || frame.code);
    this.code = frame.code;
    this.frame = frame;
    this.retry_after = frame.retry_after;
  }
}

export class LiveSocket extends EventTarget {
  /** `credential()` returns the token to open the socket with (subprotocols ["bearer", token]), or null for the session cookie. */
  constructor(url, { credential = () => null } = {}) {
    super();
    this.url = url;
    this.credential = credential;
    this.openedWith = null;
    this.ws = null;
    this.state = "connecting";
    this.attempt = 0;
    this.reconnects = 0;
    this.timer = null;
    this.heartbeat = null;
    this.lastFrameAt = 0;
    // topic -> {lastSeq, listeners:Set, versions:{kind: version}, subscribed:boolean}
    this.topics = new Map();
    // ref -> {frame, resolve, reject, sent}
    this.pending = new Map();
    // ref of a `subscribe` in flight -> its topic: a refused subscribe (`rate_limited` under a
    // burst of joins) is asked again after `retry_after`, like a write.
    this.subscribing = new Map();
    this.stopped = false;
    // Server clock minus this device's clock (ms), from the `now` of `subscribed` and `pong`:
    // countdowns to a server time agree on every device whatever its own clock says.
    this.clockOffset = 0;
    window.addEventListener("offline", () => this._drop("offline"));
    window.addEventListener("online", () => this._reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && this.state !== "online") this._reconnectNow();
    });
  }

  start() {
    this.stopped = false;
    this._open();
  }

  /** Close and reopen, e.g. after signing in so the handshake carries the new session. */
  restart() {
    this._detach();
    this.attempt = 0;
    this._open();
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("status", { detail: { state, reconnects: this.reconnects } }));
  }

  _open() {
    clearTimeout(this.timer);
    this.timer = null;
    // navigator.onLine is only a hint (a loopback-only machine may claim to be offline while
    // 127.0.0.1 answers): attempts go on regardless, the indicator just says "offline".
    if (!navigator.onLine) this._setState("offline");
    else this._setState(this.attempt === 0 && !this.everOpened ? "connecting" : "reconnecting");
    let ws;
    // With the token the socket closes (4003) when that very sign-in is revoked, from any device.
    const tok = this.credential();
    try {
      ws = tok ? new WebSocket(this.url, ["bearer", tok]) : new WebSocket(this.url);
      this.openedWith = tok || null;
    } catch (err) {
      this._schedule();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      if (this.everOpened) this.reconnects += 1;
      this.everOpened = true;
      this.attempt = 0;
      this.lastFrameAt = Date.now();
      this._setState("online");
      for (const [topic, sub] of this.topics) this._sendSubscribe(topic, sub);
      for (const [ref, p] of this.pending) this._rawSend(p.frame);
      this._startHeartbeat();
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.lastFrameAt = Date.now();
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      this._dispatch(frame);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      const openedWith = this.openedWith;
      this._detach();
      // 4003: this sign-in was revoked or ended (PROTOCOL.md B.1); the app decides what it means.
      if (ev.code === 4003) this.dispatchEvent(new CustomEvent("revoked", { detail: { token: openedWith } }));
      this._schedule();
    };
    ws.onerror = () => {
      // onclose follows and handles the retry.
    };
  }

  _detach() {
    const ws = this.ws;
    this.ws = null;
    clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const sub of this.topics.values()) sub.subscribed = false;
    this.subscribing.clear();
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close();
      } catch {
        /* already closed */
      }
    }
  }

  _drop(reason) {
    this._detach();
    this._schedule();
  }

  _reconnectNow() {
    if (this.stopped) return;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) return;
    // A handshake started while offline may hang: start a fresh one.
    this._detach();
    this.attempt = 0;
    this._open();
  }

  _schedule() {
    if (this.stopped) return;
    this._setState(navigator.onLine ? "reconnecting" : "offline");
    // Exponential backoff with full jitter over the upper half, so a server restart does not
    // see every tab come back in the same instant.
    const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    const delay = cap / 2 + Math.random() * (cap / 2);
    this.attempt += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this._open(), delay);
  }

  _startHeartbeat() {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this.lastFrameAt > HEARTBEAT_MS + DEAD_AFTER_MS) {
        this._drop("dead");
        return;
      }
      this._rawSend({ type: "ping" });
    }, HEARTBEAT_MS);
  }

  _rawSend(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  _sendSubscribe(topic, sub) {
    const ref = `sub-${newRef()}`;
    // deltas: the server may send a `state` as what changed since the last one (applyStateDelta).
    const frame = { type: "subscribe", topic, ref, deltas: true };
    if (sub.lastSeq != null) frame.since = sub.lastSeq;
    this.subscribing.set(ref, topic);
    if (!this._rawSend(frame)) this.subscribing.delete(ref); // resent by the reconnect
  }

  /** A `subscribe` refused: `rate_limited` asks again after `retry_after` (from the then
   * `lastSeq`, if the topic is still wanted and not yet subscribed); other codes reach the
   * topic's listeners as `error(frame)`. */
  _subscribeRefused(topic, frame) {
    const sub = this.topics.get(topic);
    if (!sub) return;
    if (frame.code === "rate_limited") {
      const wait = Math.max(0.2, Number(frame.retry_after) || 1) * 1000;
      const ws = this.ws; // a reconnect in between subscribes everything again by itself
      setTimeout(() => {
        if (this.ws === ws && this.topics.get(topic) === sub && !sub.subscribed) this._sendSubscribe(topic, sub);
      }, wait);
      return;
    }
    this.dispatchEvent(new CustomEvent("servererror", { detail: { ...frame, topic } }));
    this._emit(sub, "error", { ...frame, topic });
  }

  /**
   * Listen to a topic. `since` is the last seq the caller already holds (e.g. the `head`
   * of an HTTP history load). Listener: {event(frame), state(frame), typing(frame),
   * subscribed(frame), reset(frame), revoked(frame)}. Returns a function that stops listening.
   */
  subscribe(topic, listener, { since = null } = {}) {
    let sub = this.topics.get(topic);
    if (!sub) {
      sub = { lastSeq: since, listeners: new Set(), versions: {}, states: {}, subscribed: false };
      this.topics.set(topic, sub);
      sub.listeners.add(listener);
      this._sendSubscribe(topic, sub);
    } else {
      sub.listeners.add(listener);
      if (since != null && (sub.lastSeq == null || since > sub.lastSeq)) sub.lastSeq = since;
    }
    return () => {
      sub.listeners.delete(listener);
      if (sub.listeners.size === 0 && this.topics.get(topic) === sub) {
        this.topics.delete(topic);
        this._rawSend({ type: "unsubscribe", topic });
      }
    };
  }

  lastSeq(topic) {
    const sub = this.topics.get(topic);
    return sub ? sub.lastSeq : null;
  }

  _emit(sub, method, frame) {
    for (const l of [...sub.listeners]) {
      if (typeof l[method] === "function") {
        try {
          l[method](frame);
        } catch (err) {
          console.error(err);
        }
      }
    }
  }

  /** The server's current time (ms since the epoch), corrected by the last measured offset. */
  serverNow() {
    return Date.now() + this.clockOffset;
  }

  _dispatch(frame) {
    if ((frame.type === "subscribed" || frame.type === "pong") && typeof frame.now === "number") {
      this.clockOffset = frame.now - Date.now();
    }
    switch (frame.type) {
      case "event": {
        const sub = this.topics.get(frame.topic);
        if (!sub) return;
        if (sub.lastSeq != null && frame.seq <= sub.lastSeq) return; // already delivered
        sub.lastSeq = frame.seq;
        this._emit(sub, "event", frame);
        return;
      }
      case "state": {
        const sub = this.topics.get(frame.topic);
        if (!sub) return;
        const version = frame.data && frame.data.version;
        const held = sub.versions[frame.kind];
        if (held != null && version != null && version < held) return; // stale snapshot
        let whole = frame;
        if (frame.delta) {
          const data = applyStateDelta(sub.states[frame.kind], frame.data);
          if (data == null) {
            // Cannot happen while the server keeps its promise; start the topic over rather than guess.
            delete sub.states[frame.kind];
            this._sendSubscribe(frame.topic, sub);
            return;
          }
          whole = { type: "state", topic: frame.topic, kind: frame.kind, data };
        }
        if (version != null) sub.versions[frame.kind] = version;
        // Our own copy: the next delta builds on it, whatever the pages do with theirs.
        sub.states[frame.kind] = whole.data;
        this._emit(sub, "state", { ...whole, data: structuredClone(whole.data) });
        return;
      }
      case "typing": {
        const sub = this.topics.get(frame.topic);
        if (sub) this._emit(sub, "typing", frame);
        return;
      }
      case "subscribed": {
        if (frame.ref != null) this.subscribing.delete(frame.ref);
        const sub = this.topics.get(frame.topic);
        if (!sub) return;
        sub.subscribed = true;
        if (frame.reset) {
          // The server no longer replays from our seq: the page reloads over HTTP.
          sub.lastSeq = frame.seq;
          this._emit(sub, "reset", frame);
        } else if (sub.lastSeq == null) {
          sub.lastSeq = frame.seq;
        }
        this._emit(sub, "subscribed", frame);
        return;
      }
      case "unsubscribed": {
        // Unasked (no ref, `code: forbidden`): access was withdrawn; forget the topic so a
        // reconnect does not ask for it again. Listeners may show it with `revoked(frame)`.
        const sub = this.topics.get(frame.topic);
        if (!sub || !frame.code) return;
        this.topics.delete(frame.topic);
        this._emit(sub, "revoked", frame);
        return;
      }
      case "ok":
      case "error": {
        if (frame.type === "error" && this.subscribing.has(frame.ref)) {
          const topic = this.subscribing.get(frame.ref);
          this.subscribing.delete(frame.ref);
          this._subscribeRefused(topic, frame);
          return;
        }
        const p = frame.ref != null ? this.pending.get(frame.ref) : null;
        if (frame.type === "error" && frame.code === "rate_limited" && p) {
          const wait = Math.max(0.2, Number(frame.retry_after) || 1) * 1000;
          setTimeout(() => this.pending.has(frame.ref) && this._rawSend(p.frame), wait);
          return;
        }
        if (frame.type === "error" && !p) {
          const sub = frame.topic && this.topics.get(frame.topic);
          this.dispatchEvent(new CustomEvent("servererror", { detail: frame }));
          if (sub) this._emit(sub, "error", frame);
          return;
        }
        if (!p) return;
        this.pending.delete(frame.ref);
        if (frame.type === "ok") p.resolve(frame.data || {});
        else p.reject(new WriteError(frame));
        this.dispatchEvent(new CustomEvent("pending", { detail: { count: this.pending.size } }));
        return;
      }
      default:
        return;
    }
  }

  /**
   * Send a write command. Resolves with the ok frame's data, rejects with WriteError.
   * The command is kept until answered and resent with the same ref after reconnecting.
   */
  write(command, ref = newRef()) {
    const frame = { ...command, ref };
    return new Promise((resolve, reject) => {
      this.pending.set(ref, { frame, resolve, reject });
      this.dispatchEvent(new CustomEvent("pending", { detail: { count: this.pending.size } }));
      this._rawSend(frame);
    });
  }

  /** Ephemeral commands (typing): sent if connected, never queued. */
  send(command) {
    return this._rawSend(command);
  }
}
