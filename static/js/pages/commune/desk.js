// Referent desk of a commune (#/commune/<insee>/desk): find a person who declared the commune,
// verify them after seeing proof, and the verifications made here. Referents only (the server checks).

import { get, post, qs } from "../../api.js";
import { field, h } from "../../dom.js";
import { errorText, formatDateTime, t } from "../../i18n.js";
import "../account-messages.js";
import { signinPrompt } from "../auth.js";

const when = (iso) => formatDateTime(iso, undefined, { dateStyle: "medium", timeStyle: "short" });

export async function renderDesk(ctx, insee, container) {
  const heading = h("h1", { "data-testid": "desk-title", text: t("desk.title", { name: insee }) });
  container.append(heading, h("p", {}, h("a", { href: `#/commune/${encodeURIComponent(insee)}`, text: t("common.back") })));
  if (!ctx.me) {
    container.append(signinPrompt());
    return;
  }
  get(`communes/${encodeURIComponent(insee)}`)
    .then((c) => (heading.textContent = t("desk.title", { name: c.name })))
    .catch(() => {});
  if (!(ctx.me.referent_of || []).includes(insee)) {
    container.append(h("p", { class: "notice", "data-testid": "desk-refused", text: t("desk.not_referent") }));
    return;
  }
  const status = h("p", { role: "status", "data-testid": "desk-status" });
  const made = h("ul", { class: "list", "data-testid": "desk-verifications" });
  const found = h("ul", { class: "list", "data-testid": "desk-found" });
  const query = h("input", { type: "search", name: "username", autocomplete: "off", minlength: "2", required: true, "data-testid": "desk-search" });

  async function loadMade() {
    try {
      const data = await get(`auth/residents/verifications${qs({ commune: insee })}`);
      made.replaceChildren(
        ...(data.items.length
          ? data.items.map((v) =>
              h("li", { "data-testid": "desk-verification", "data-username": v.username }, h("strong", { text: v.username }), " ", h("small", { class: "muted", text: t(`desk.method_${v.method}`, { date: when(v.verified_at) }) })),
            )
          : [h("li", { class: "muted", text: t("desk.none_made") })]),
      );
    } catch (err) {
      made.replaceChildren(h("li", { class: "form-error", role: "alert", text: errorText(err) }));
    }
  }

  async function search({ keepStatus = false } = {}) {
    if (!keepStatus) {
      status.className = "";
      status.textContent = "";
    }
    try {
      const data = await get(`auth/residents${qs({ commune: insee, q: query.value.trim() })}`);
      found.replaceChildren(
        ...(data.items.length
          ? data.items.map((p) => {
              const li = h("li", { "data-testid": "desk-person", "data-username": p.username }, h("strong", { text: p.username }));
              if (p.verified) li.append(h("span", { class: "tag tag-good", "data-testid": "desk-person-verified", text: t("desk.verified_on", { date: when(p.verified_at) }) }));
              else
                li.append(
                  h("button", {
                    type: "button",
                    "data-testid": "desk-verify",
                    "aria-label": t("desk.verify_label", { user: p.username }),
                    text: t("desk.verify"),
                    onclick: async (ev) => {
                      ev.target.disabled = true;
                      try {
                        await post("auth/residents/verify", { commune: insee, username: p.username });
                        status.textContent = t("desk.verified", { user: p.username });
                        ctx.announce(status.textContent);
                        await Promise.all([search({ keepStatus: true }), loadMade()]);
                      } catch (err) {
                        status.className = "form-error";
                        status.textContent = errorText(err);
                        ev.target.disabled = false;
                      }
                    },
                  }),
                );
              return li;
            })
          : [h("li", { class: "muted", "data-testid": "desk-nobody", text: t("desk.nobody") })]),
      );
    } catch (err) {
      status.className = "form-error";
      status.textContent = errorText(err);
    }
  }

  const form = h(
    "form",
    { role: "search" },
    field(t("desk.search"), query, t("desk.search_hint")),
    h("button", { type: "submit", "data-testid": "desk-search-submit", text: t("desk.search_submit") }),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    search();
  });
  container.append(
    h("p", { class: "muted", "data-testid": "desk-intro", text: t("desk.intro") }),
    h("section", { class: "card", "aria-labelledby": "desk-find" }, h("h2", { id: "desk-find", text: t("desk.find_title") }), form, found, status),
    h("section", { class: "card", "aria-labelledby": "desk-made" }, h("h2", { id: "desk-made", text: t("desk.made_title") }), made),
  );
  loadMade();
  query.focus();
}
