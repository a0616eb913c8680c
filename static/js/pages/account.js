// My account: home commune (and when it may change again), signed-in devices with revoke,
// password change, account deletion. Profile details (avatar, bio) live on the profile page.

import { api, get, patch, post, qs, saveAuth } from "../api.js";
import { field, h } from "../dom.js";
import { errorText, formatDateTime, t } from "../i18n.js";
import "./account-messages.js";
import { signinPrompt } from "./auth.js";

const communeNames = new Map();

async function communeName(insee) {
  if (!insee) return "";
  if (!communeNames.has(insee)) {
    try {
      communeNames.set(insee, (await get(`communes/${encodeURIComponent(insee)}`)).name);
    } catch {
      return insee;
    }
  }
  return communeNames.get(insee);
}

const day = (iso) => formatDateTime(iso, undefined, { dateStyle: "long" });
const moment = (iso) => formatDateTime(iso, undefined, { dateStyle: "medium", timeStyle: "short" });

function section(id, title, ...children) {
  return h("section", { class: "card", "aria-labelledby": `${id}-heading`, "data-testid": id }, h("h2", { id: `${id}-heading`, text: title }), ...children);
}

// --- home commune -----------------------------------------------------------------------------

function homeSection(ctx, rerender) {
  const me = ctx.me;
  const status = h("p", { "data-testid": "home-status" });
  if (me.home_commune) {
    communeName(me.home_commune).then((name) => {
      status.replaceChildren(
        t("account.home_is", { name }),
        " ",
        h("span", {
          class: me.home_commune_verified ? "tag tag-good" : "tag",
          "data-testid": "home-verified",
          "data-verified": String(Boolean(me.home_commune_verified)),
          text: t(me.home_commune_verified ? "account.verified" : "account.not_verified"),
        }),
      );
    });
  } else {
    status.textContent = t("account.home_none");
  }
  const when = [];
  if (me.home_commune_changed_at) when.push(t("account.home_changed", { date: day(me.home_commune_changed_at) }));
  when.push(me.home_commune_next_change_at ? t("account.home_next", { date: day(me.home_commune_next_change_at) }) : t("account.home_now"));
  const rule = h("p", { class: "muted", "data-testid": "home-rule", text: t("account.home_rule", { days: me.home_commune_change_days }) });
  const next = h("p", { "data-testid": "home-next", "data-allowed": String(!me.home_commune_next_change_at), text: when.join(" ") });

  const result = h("p", { role: "status", "data-testid": "home-result" });
  const query = h("input", { type: "search", name: "commune", autocomplete: "off", "data-testid": "home-search" });
  const found = h("ul", { class: "list", "data-testid": "home-found" });
  const form = h(
    "form",
    { role: "search" },
    field(t("account.home_search"), query),
    h("button", { type: "submit", "data-testid": "home-search-submit", text: t("account.home_search_submit") }),
  );
  const changeDays = Number(me.home_commune_change_days) || 30;

  function confirmChoice(commune, li) {
    const until = new Date(Date.now() + changeDays * 86400000).toISOString();
    const yes = h("button", {
      type: "button",
      "data-testid": "home-confirm",
      text: t("account.home_confirm_yes"),
      onclick: async () => {
        yes.disabled = true;
        result.className = "";
        try {
          ctx.me = await patch("auth/me", { home_commune: commune.insee });
          rerender(t("account.home_saved", { name: commune.name }));
        } catch (err) {
          result.className = "form-error";
          result.setAttribute("role", "alert");
          if (err.code === "rate_limited") {
            const retry = Number(err.body && err.body.retry_after) || 0;
            result.textContent = t("account.home_too_soon", { days: changeDays, date: day(new Date(Date.now() + retry * 1000).toISOString()) });
          } else {
            result.textContent = errorText(err);
          }
          yes.disabled = false;
        }
      },
    });
    const no = h("button", { type: "button", class: "secondary", text: t("common.cancel"), onclick: () => box.remove() });
    const box = h("div", { class: "confirm", "data-testid": "home-confirm-box" }, h("p", { text: t("account.home_confirm", { name: commune.name, date: day(until) }) }), h("div", { class: "row wrap" }, yes, no));
    for (const other of found.querySelectorAll(".confirm")) other.remove();
    li.append(box);
    yes.focus();
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    result.textContent = "";
    try {
      const data = await get(`communes${qs({ q: query.value.trim(), limit: 8 })}`);
      found.replaceChildren(
        ...(data.items.length
          ? data.items.map((c) => {
              const li = h("li", { "data-testid": "home-candidate" });
              li.append(
                h("button", {
                  type: "button",
                  class: "link",
                  "data-insee": c.insee,
                  disabled: c.insee === me.home_commune,
                  text: `${t("account.home_choose", { name: c.name })} (${c.postal_codes.join(", ") || c.insee})`,
                  onclick: () => confirmChoice(c, li),
                }),
              );
              return li;
            })
          : [h("li", { class: "muted", text: t("commune.none") })]),
      );
    } catch (err) {
      result.className = "form-error";
      result.textContent = errorText(err);
    }
  });
  return section("account-home", t("account.home_title"), status, rule, next, form, found, result);
}

// --- referent roles --------------------------------------------------------------------------

function referentSection(ctx) {
  const communes = ctx.me.referent_of || [];
  if (!communes.length) return null;
  return section(
    "account-referent",
    t("account.referent_title"),
    h(
      "ul",
      { class: "list" },
      communes.map((insee) => {
        const text = h("span", { text: t("account.referent_of", { name: insee }) });
        communeName(insee).then((name) => (text.textContent = t("account.referent_of", { name })));
        return h("li", {}, text, " ", h("a", { href: `#/commune/${encodeURIComponent(insee)}/desk`, "data-testid": "account-desk-link", text: t("desk.link") }));
      }),
    ),
  );
}

// --- signed-in devices ------------------------------------------------------------------------

const KINDS = { "sign-in": "account.kind_sign_in", registration: "account.kind_registration", "password change": "account.kind_password_change" };

function describe(label) {
  const [kind, ...rest] = String(label || "").split(" · ");
  return [KINDS[kind] ? t(KINDS[kind]) : kind, ...agentWords(rest.join(" · "))].join(" · ");
}

// A User-Agent (the label keeps 80 characters of it) named as a person recognises it.
function agentWords(agent) {
  const words = [];
  const browser = (agent.match(/\b(Firefox|Edg|OPR|Chrome|Safari)\//) || [])[1];
  const system = (agent.match(/\b(Android|iPhone|iPad|Windows|Mac OS X|Linux|CrOS)\b/) || [])[1];
  if (browser) words.push(browser === "Edg" ? "Edge" : browser === "OPR" ? "Opera" : browser);
  if (system) words.push(system);
  if (!browser && !system && agent) words.push(agent.slice(0, 40));
  return words;
}

// A browser session no valid token belongs to (an earlier sign-in, the admin's): listed and
// ended on its own (DELETE /api/auth/sessions/{id}).
function browserSessionItem(session, status, reload) {
  const words = agentWords(session.user_agent || "");
  const name = [t("account.kind_browser"), ...(words.length ? words : [t("account.browser_unknown")])].join(" · ");
  const since = session.signed_in_at
    ? t(session.user_agent ? "account.session_signed_in" : "account.session_signed_in_about", { date: moment(session.signed_in_at) })
    : null;
  return h(
    "li",
    { "data-testid": "browser-session", "data-current": String(session.current), "data-id": session.id },
    h("strong", { title: session.user_agent || "", text: name }),
    session.current ? h("span", { class: "tag tag-good", text: t("account.session_current") }) : null,
    h("small", { class: "muted block" }, [since, t("account.session_ends", { date: day(session.expires_at) })].filter(Boolean).join(" · ")),
    session.current
      ? null
      : h("button", {
          type: "button",
          class: "secondary",
          "data-testid": "browser-session-revoke",
          "aria-label": t("account.session_revoke_label", { label: name }),
          text: t("account.session_revoke"),
          onclick: async (ev) => {
            ev.target.disabled = true;
            try {
              await api("DELETE", `auth/sessions/${encodeURIComponent(session.id)}`);
              status.textContent = t("account.session_revoked");
            } catch (err) {
              status.textContent = errorText(err);
            }
            reload();
          },
        }),
  );
}

function sessionsSection(ctx) {
  const list = h("ul", { class: "list", "data-testid": "sessions" }, h("li", { class: "muted", text: t("common.loading") }));
  const status = h("p", { role: "status", "data-testid": "sessions-status" });
  async function load() {
    try {
      const [data, browsers] = await Promise.all([get("auth/tokens"), get("auth/sessions")]);
      list.replaceChildren(
        ...data.items.map((tok) => {
          const name = describe(tok.label);
          return h(
            "li",
            { "data-testid": "session", "data-current": String(tok.current), "data-id": String(tok.id) },
            h("strong", { title: tok.label, text: name }),
            tok.current ? h("span", { class: "tag tag-good", "data-testid": "session-current", text: t("account.session_current") }) : null,
            h(
              "small",
              { class: "muted block" },
              [t("account.session_created", { date: moment(tok.created_at) }), t("account.session_used", { date: moment(tok.last_used_at) }), t("account.session_expires", { date: day(tok.expires_at) })].join(" · "),
            ),
            tok.current
              ? h("button", { type: "button", class: "secondary", "data-testid": "session-signout-here", text: t("account.signout_here"), onclick: () => ctx.signOut() })
              : h("button", {
                  type: "button",
                  class: "secondary",
                  "data-testid": "session-revoke",
                  "aria-label": t("account.session_revoke_label", { label: name }),
                  text: t("account.session_revoke"),
                  onclick: async (ev) => {
                    ev.target.disabled = true;
                    try {
                      await api("DELETE", `auth/tokens/${tok.id}`);
                      status.textContent = t("account.session_revoked");
                    } catch (err) {
                      status.textContent = errorText(err);
                    }
                    load();
                  },
                }),
          );
        }),
        ...browsers.items.filter((session) => session.token === null).map((session) => browserSessionItem(session, status, load)),
      );
    } catch (err) {
      list.replaceChildren(h("li", { class: "form-error", role: "alert", text: errorText(err) }));
    }
  }
  const others = h("button", {
    type: "button",
    "data-testid": "signout-others",
    text: t("account.signout_others"),
    onclick: async () => {
      others.disabled = true;
      try {
        const res = await post("auth/tokens/revoke-others", {});
        status.textContent = t("account.signed_out_others", { n: res.revoked });
      } catch (err) {
        status.textContent = errorText(err);
      }
      others.disabled = false;
      load();
    },
  });
  load();
  return section("account-sessions", t("account.sessions_title"), h("p", { class: "muted", text: t("account.sessions_hint") }), list, others, status);
}

// --- password ---------------------------------------------------------------------------------

function passwordSection(ctx) {
  const input = (name, autocomplete) => h("input", { type: "password", name, autocomplete, required: true, "data-testid": `password-${name}` });
  const current = input("current", "current-password");
  const fresh = input("new", "new-password");
  const again = input("again", "new-password");
  fresh.minLength = again.minLength = 8;
  const status = h("p", { role: "status", "data-testid": "password-status" });
  const submit = h("button", { type: "submit", "data-testid": "password-submit", text: t("account.password_submit") });
  const form = h(
    "form",
    {},
    field(t("account.password_current"), current),
    field(t("account.password_new"), fresh, t("auth.password_hint")),
    field(t("account.password_repeat"), again),
    submit,
    status,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    status.className = "";
    if (fresh.value !== again.value) {
      status.className = "form-error";
      status.textContent = t("account.password_mismatch");
      return;
    }
    submit.disabled = true;
    try {
      const res = await post("auth/password", { current_password: current.value, new_password: fresh.value });
      // Keep this device signed in with the new token before the old one's socket is closed.
      saveAuth(res.token, res.username);
      ctx.socket.restart();
      form.reset();
      status.textContent = t("account.password_changed");
    } catch (err) {
      status.className = "form-error";
      status.textContent = errorText(err, "account");
    } finally {
      submit.disabled = false;
    }
  });
  return section("account-password", t("account.password_title"), form);
}

// --- deletion ---------------------------------------------------------------------------------

function deleteSection(ctx) {
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true, "data-testid": "delete-password" });
  const understand = h("input", { type: "checkbox", name: "understand", "data-testid": "delete-understand", id: "delete-understand" });
  const status = h("p", { class: "form-error", role: "alert", "data-testid": "delete-status" });
  const submit = h("button", { type: "submit", class: "danger", "data-testid": "delete-submit", text: t("account.delete_submit") });
  const form = h(
    "form",
    {},
    h("p", { text: t("account.delete_intro") }),
    h("ul", {}, h("li", { "data-testid": "delete-erased", text: t("account.delete_erased") }), h("li", { "data-testid": "delete-kept", text: t("account.delete_kept") })),
    field(t("account.delete_password"), password),
    h("div", { class: "field row" }, understand, h("label", { for: "delete-understand", class: "inline", text: t("account.delete_understand") })),
    submit,
    status,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    status.textContent = "";
    if (!understand.checked) {
      status.textContent = t("account.delete_check_first");
      understand.focus();
      return;
    }
    submit.disabled = true;
    try {
      await api("DELETE", "auth/me", { password: password.value });
      await ctx.signedOutBy("deleted");
    } catch (err) {
      status.textContent = errorText(err, "account");
      submit.disabled = false;
    }
  });
  return h(
    "section",
    { class: "card danger-zone", "data-testid": "account-delete" },
    h("details", {}, h("summary", { "data-testid": "delete-open" }, h("h2", { class: "inline", text: t("account.delete_title") })), form),
  );
}

export async function render(ctx, params, container) {
  container.append(h("h1", { text: t("account.title") }));
  if (!ctx.me) {
    container.append(signinPrompt());
    return;
  }
  const body = h("div", { class: "account" });
  const saved = h("p", { class: "notice", role: "status", "data-testid": "account-saved", hidden: true });
  container.append(
    h("p", { class: "muted", "data-testid": "account-user" }, t("account.signed_in_as", { user: ctx.me.username }), " · ", h("a", { href: "#/me", "data-testid": "account-profile-link", text: t("account.profile_link") })),
    saved,
    body,
  );
  function draw(message) {
    saved.hidden = !message;
    saved.textContent = message || "";
    body.replaceChildren(...[homeSection(ctx, draw), referentSection(ctx), sessionsSection(ctx), passwordSection(ctx), deleteSection(ctx)].filter(Boolean));
  }
  draw(null);
}
