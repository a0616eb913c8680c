// Sign in / sign up. Both calls also open the Django session the WebSocket handshake uses.

import { post } from "../api.js";
import { field, h } from "../dom.js";
import { errorText, t } from "../i18n.js";

function authForm(ctx, kind) {
  const username = h("input", { name: "username", autocomplete: "username", required: true, "data-testid": `${kind}-username` });
  const password = h("input", {
    name: "password",
    type: "password",
    required: true,
    minlength: kind === "register" ? "8" : false,
    autocomplete: kind === "register" ? "new-password" : "current-password",
    "data-testid": `${kind}-password`,
  });
  const status = h("p", { class: "form-error", role: "alert", "data-testid": `${kind}-error` });
  const submit = h("button", { type: "submit", "data-testid": `${kind}-submit`, text: t(kind === "register" ? "auth.register" : "auth.signin") });
  const form = h(
    "form",
    { class: "card", "aria-labelledby": `${kind}-heading` },
    h("h2", { id: `${kind}-heading`, text: t(kind === "register" ? "auth.register" : "auth.signin") }),
    field(t("auth.username"), username),
    field(t("auth.password"), password, kind === "register" ? t("auth.password_hint") : null),
    submit,
    status,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    status.textContent = "";
    if (kind === "register" && password.value.length < 8) {
      status.textContent = t("auth.password_short");
      return;
    }
    submit.disabled = true;
    try {
      const path = kind === "register" ? "auth/register" : "auth/token";
      const res = await post(path, { username: username.value.trim(), password: password.value });
      await ctx.signedIn(res.token, res.username || username.value.trim());
      const back = sessionStorage.getItem("cl.after_signin");
      sessionStorage.removeItem("cl.after_signin");
      ctx.navigate(back && back !== "#/signin" ? back : "#/");
    } catch (err) {
      status.textContent = errorText(err, kind === "register" ? "register" : "signin");
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export function render(ctx, params, container) {
  container.append(
    h("h1", { text: t("auth.title") }),
    h("div", { class: "grid-2" }, authForm(ctx, "signin"), authForm(ctx, "register")),
  );
}

/** Links a page shows to anonymous visitors; remembers where to come back after signing in. */
export function signinPrompt() {
  return h(
    "p",
    { class: "notice", "data-testid": "signin-prompt" },
    h("a", { href: "#/signin", onclick: () => sessionStorage.setItem("cl.after_signin", location.hash), text: t("common.signin_required") }),
  );
}
