// Entry point: the shell (header, connection indicator, language), session and hash router.

import { api, get, saveAuth, storedUsername, token } from "./api.js";
import { clear, h } from "./dom.js";
import { lang, setLang, t } from "./i18n.js";
import { bellElement, bellStart } from "./bell.js";
import { LiveSocket } from "./socket.js";
import * as accountPage from "./pages/account.js";
import * as authPage from "./pages/auth.js";
import * as bigscreenPage from "./pages/bigscreen.js";
import * as communePage from "./pages/commune.js";
import * as eventPage from "./pages/event.js";
import * as inboxPage from "./pages/inbox.js";
import * as membersPage from "./pages/members.js";
import * as minePage from "./pages/mine.js";
import * as moderationPage from "./pages/moderation.js";
import * as organisationPage from "./pages/organisation.js";
import * as personPage from "./pages/person.js";
import * as tagPage from "./pages/tag.js";
import * as welcomePage from "./pages/welcome.js";
import * as proposalPage from "./pages/proposal.js";
import * as roomPage from "./pages/room.js";
import * as searchPage from "./pages/search.js";

const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/`;

const ctx = {
  socket: new LiveSocket(wsUrl, { credential: token }),
  me: null,
  navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  /** Tell screen-reader users about something that happened out of their focus. */
  announce(text) {
    const region = document.getElementById("announcer");
    const p = h("p", { text });
    region.append(p);
    while (region.childElementCount > 5) region.firstElementChild.remove();
  },
  async signedIn(tok, username) {
    saveAuth(tok, username);
    document.getElementById("site-notice").hidden = true;
    await loadMe();
    // The handshake authenticates by the session cookie the login just set.
    ctx.socket.restart();
    bellStart(ctx);
    renderNav();
  },
  async signOut() {
    signingOut = true;
    try {
      await api("POST", "auth/logout", {});
    } catch {
      /* the token is dropped locally anyway */
    }
    saveAuth(null, null);
    ctx.me = null;
    ctx.socket.restart();
    signingOut = false;
    bellStart(ctx);
    renderNav();
    ctx.navigate("#/signin");
  },
  /** This browser's sign-in ended elsewhere (`revoked`) or the account is gone (`deleted`):
   * forget it here, end the session cookie too, and say so. */
  async signedOutBy(reason) {
    saveAuth(null, null);
    ctx.me = null;
    try {
      await api("POST", "auth/logout", {}); // no token left: ends the session cookie, if any
    } catch {
      /* nothing left to end */
    }
    ctx.socket.restart();
    bellStart(ctx);
    renderNav();
    showNotice(t(`signedout.${reason}`), reason);
    ctx.navigate("#/signin");
  },
};
let signingOut = false;

function showNotice(text, reason) {
  const box = document.getElementById("site-notice");
  box.replaceChildren(
    h("span", { "data-testid": "site-notice-text", "data-reason": reason, text }),
    h("button", { type: "button", class: "link", "data-testid": "site-notice-close", text: t("signedout.dismiss"), onclick: () => (box.hidden = true) }),
  );
  box.hidden = false;
}

// A 4003 close: the sign-in this socket used was revoked or ended. A token already replaced here
// (password changed on this page) or still valid (its user's other sockets were closed) is not
// a sign-out; a token the server no longer knows is.
ctx.socket.addEventListener("revoked", async (ev) => {
  if (signingOut || !ev.detail.token || ev.detail.token !== token()) return;
  try {
    await get("auth/me");
  } catch (err) {
    if (err.status === 401 && ev.detail.token === token()) await ctx.signedOutBy("revoked");
  }
});
window.__cl = ctx; // handy in the browser console and for tests

async function loadMe() {
  if (!token()) {
    ctx.me = null;
    return;
  }
  try {
    ctx.me = await get("auth/me");
  } catch (err) {
    if (err.status === 401) {
      // The token expired or was revoked while this page was closed: end the session cookie too.
      saveAuth(null, null);
      ctx.me = null;
      await api("POST", "auth/logout", {}).catch(() => {});
    } else {
      // Server unreachable: keep the name we know so the page still says who we are.
      ctx.me = { username: storedUsername(), home_commune: null };
    }
  }
}

/** On a phone the navigation folds behind a "Menu" disclosure button (CSS shows the button
 * only on narrow screens); a link chosen, Escape or a new page closes it. */
function setMenu(open) {
  document.getElementById("nav-toggle").setAttribute("aria-expanded", String(open));
  document.getElementById("nav").classList.toggle("open", open);
}

/** The header's height as a CSS variable: on a narrow desktop its links wrap to a second line,
 * and the room's message pane (app.css, .scroller) leaves that much less room to the composer. */
function trackTopbarHeight() {
  const topbar = document.querySelector(".topbar");
  const set = () => document.documentElement.style.setProperty("--topbar-h", `${topbar.offsetHeight}px`);
  new ResizeObserver(set).observe(topbar);
  set();
}

function wireMenu() {
  const toggle = document.getElementById("nav-toggle");
  const nav = document.getElementById("nav");
  toggle.addEventListener("click", () => setMenu(toggle.getAttribute("aria-expanded") !== "true"));
  nav.addEventListener("click", (ev) => {
    if (ev.target.closest("a, button")) setMenu(false);
  });
  document.querySelector(".topbar").addEventListener("keydown", (ev) => {
    if (toggle.getAttribute("aria-expanded") !== "true") return;
    if (ev.key === "Escape") {
      setMenu(false);
      toggle.focus();
    } else if (ev.key === "Tab") {
      // While the phone's menu is open, Tab cycles through the button and the menu's links only.
      const ring = [toggle, ...nav.querySelectorAll("a[href], button:not([disabled])")].filter((el) => el.getClientRects().length);
      const at = ring.indexOf(document.activeElement);
      const next = at === -1 ? 0 : (at + (ev.shiftKey ? ring.length - 1 : 1)) % ring.length;
      ev.preventDefault();
      ring[next].focus();
    }
  });
  // Focus leaving the open menu some other way (a click elsewhere, a screen reader's jump) closes it.
  document.addEventListener("focusin", (ev) => {
    if (toggle.getAttribute("aria-expanded") === "true" && !nav.contains(ev.target) && ev.target !== toggle) setMenu(false);
  });
  window.addEventListener("hashchange", () => setMenu(false));
}

function renderNav() {
  const nav = document.getElementById("nav");
  clear(nav);
  const items = [
    h("a", { href: "#/commune", "data-testid": "nav-commune", text: t("nav.commune") }),
    h("a", { href: "#/search", "data-testid": "nav-search", text: t("nav.search") }),
  ];
  const bellSlot = document.getElementById("bell-slot");
  // The bell stays in the header row (beside the phone's menu button), not inside the menu.
  bellSlot.replaceChildren(...(ctx.me ? [bellElement()] : []));
  if (ctx.me) {
    items.push(h("a", { href: "#/mine", "data-testid": "nav-mine", text: t("nav.mine") }));
    items.push(h("a", { href: "#/me", "data-testid": "nav-profile", text: t("nav.profile") }));
    items.push(h("a", { href: "#/account", "data-testid": "nav-account", text: t("nav.account") }));
    items.push(h("span", { class: "me", "data-testid": "me", text: t("auth.signed_in_as", { user: ctx.me.username }) }));
    items.push(h("button", { type: "button", class: "link", "data-testid": "signout", onclick: () => ctx.signOut(), text: t("nav.signout") }));
  } else {
    items.push(h("a", { href: "#/signin", "data-testid": "nav-signin", text: t("nav.signin") }));
  }
  nav.append(...items);
  nav.setAttribute("aria-label", t("nav.commune"));
  document.getElementById("nav-toggle").textContent = t("nav.menu");
  document.getElementById("lang-label").textContent = t("nav.language");
  document.getElementById("skip-link").textContent = t("app.skip");
  document.getElementById("lang-select").value = lang();
  renderConn();
}

let pendingWrites = 0;
function renderConn() {
  const el = document.getElementById("conn-status");
  const state = ctx.socket.state;
  el.dataset.state = state;
  el.dataset.reconnects = String(ctx.socket.reconnects);
  el.textContent = t(`conn.${state}`) + (pendingWrites ? ` · ${t("conn.pending", { n: pendingWrites })}` : "");
}

let cleanup = null;
let routeToken = 0;
let routed = false;

async function route() {
  if (location.hash === "#main") return; // a skip link followed without script handling
  const my = ++routeToken;
  if (cleanup) {
    try {
      cleanup();
    } catch (err) {
      console.error(err);
    }
    cleanup = null;
  }
  const main = document.getElementById("main");
  clear(main);
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [name, ...params] = parts;
  let page;
  switch (name) {
    case "signin":
      page = authPage;
      break;
    case "room":
      page = roomPage;
      break;
    case "event":
      page = eventPage;
      break;
    case "proposal":
      page = proposalPage;
      break;
    case "inbox":
      page = inboxPage;
      break;
    case "members":
      page = membersPage;
      break;
    case "commune":
      page = communePage;
      break;
    case "search":
      page = searchPage;
      break;
    case "screen":
      page = bigscreenPage;
      break;
    case "mine":
      page = minePage;
      break;
    case "account":
      page = accountPage;
      break;
    case "moderation":
      page = moderationPage;
      break;
    case "organisation":
      page = organisationPage;
      break;
    case "me":
    case "person":
      page = personPage;
      break;
    case "tag":
      page = tagPage;
      break;
    case "welcome":
      page = welcomePage;
      break;
    default:
      if (!ctx.me) {
        ctx.navigate("#/welcome"); // a newcomer sees the communes first; joining is one link away
        return;
      }
      ctx.navigate(ctx.me.home_commune ? `#/commune/${ctx.me.home_commune}` : "#/commune");
      return;
  }
  const container = h("div", { class: `page page-${name}` });
  main.append(container);
  const result = page.render(ctx, params, container);
  const done = result && typeof result.then === "function" ? await result : result;
  if (my !== routeToken) {
    if (typeof done === "function") done();
    return;
  }
  cleanup = typeof done === "function" ? done : null;
  // The link followed went away with the old page: the keyboard (and a screen reader) would
  // carry on from where it was. Start them at the new page's content instead, unless the page
  // focused a field itself. The first page of a load leaves focus alone (Tab: the skip link).
  if (routed && (!document.activeElement || document.activeElement === document.body)) main.focus({ preventScroll: true });
  routed = true;
}

async function boot() {
  document.documentElement.lang = lang();
  const select = document.getElementById("lang-select");
  select.value = lang();
  select.addEventListener("change", () => setLang(select.value));
  ctx.socket.addEventListener("status", renderConn);
  ctx.socket.addEventListener("pending", (ev) => {
    pendingWrites = ev.detail.count;
    renderConn();
  });
  window.addEventListener("langchange", () => {
    renderNav();
    route();
  });
  window.addEventListener("hashchange", route);
  // The skip link moves focus to the page's content; as a plain "#main" link the hash router
  // would take it for a route and leave the page.
  document.getElementById("skip-link").addEventListener("click", (ev) => {
    ev.preventDefault();
    document.getElementById("main").focus();
  });
  wireMenu();
  trackTopbarHeight();
  await loadMe();
  renderNav();
  ctx.socket.start();
  bellStart(ctx);
  route();
}

boot();

// The service worker keeps the shell for offline starts; the app works without it.
if ("serviceWorker" in navigator && window.isSecureContext) {
  navigator.serviceWorker.register("/sw.js").catch((err) => console.warn("service worker not installed", err));
}
