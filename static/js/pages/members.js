// A room's members: invite by username (owners, moderators), change roles, remove, transfer
// the ownership (owners), leave.

import { api, get, post } from "../api.js";
import { append, clear, field, h } from "../dom.js";
import { errorText, t } from "../i18n.js";
import "../notifications-i18n.js";

export async function render(ctx, params, container) {
  const roomId = params[0];
  const status = h("p", { role: "status", "data-testid": "members-status" });
  let room;
  try {
    room = await get(`rooms/${encodeURIComponent(roomId)}`);
  } catch (e) {
    container.append(h("p", { class: "form-error", role: "alert", text: errorText(e) }));
    return null;
  }
  const list = h("ul", { class: "members", "data-testid": "members" });
  const username = h("input", { type: "text", autocomplete: "off", "data-testid": "invite-username", maxlength: "150" });
  const invite = h("form", { class: "row wrap" }, field(t("members.invite"), username), h("button", { type: "submit", "data-testid": "invite-send", text: t("members.invite_send") }));
  const leave = h("button", { type: "button", class: "secondary", "data-testid": "leave", text: t("members.leave") });
  // dom.js's append skips the parts that are null here; the native append would print "null".
  append(container, [
    h("p", {}, h("a", { href: `#/room/${room.id}`, text: `← ${room.name}` })),
    h("h1", { text: t("members.title", { room: room.name }) }),
    ["owner", "moderator"].includes(room.role) ? invite : null,
    status,
    list,
    room.role ? leave : null,
  ]);
  const act = async (promise, message) => {
    try {
      await promise;
      status.textContent = message || "";
      await load();
    } catch (e) {
      status.textContent = errorText(e);
    }
  };

  function memberEl(m) {
    const name = encodeURIComponent(m.username);
    const li = h("li", { "data-testid": "member", "data-user": m.username }, h("strong", { text: m.username }), " ", h("span", { class: "muted", text: t(`members.role.${m.role}`) }));
    // The one removal rule (docs/SECURITY.md): the owner removes members and moderators,
    // a moderator removes plain members only.
    const removable = (room.role === "owner" && m.role !== "owner") || (room.role === "moderator" && m.role === "member");
    const remove = removable
      ? h("button", { type: "button", class: "link", "data-testid": "member-remove", onclick: () => act(api("DELETE", `rooms/${room.id}/members/${name}`)), text: t("members.remove", { user: m.username }) })
      : null;
    if (room.role === "owner" && m.role !== "owner") {
      const role = h("select", { "aria-label": t("members.role_label", { user: m.username }), "data-testid": "member-role" },
        ["member", "moderator"].map((r) => h("option", { value: r, text: t(`members.role.${r}`) })));
      role.value = m.role;
      role.addEventListener("change", () => act(api("PUT", `rooms/${room.id}/members/${name}`, { role: role.value })));
      li.append(" ", role, " ", remove, " ",
        h("button", { type: "button", class: "link", "data-testid": "member-transfer", onclick: () => act(post(`rooms/${room.id}/transfer`, { username: m.username })).then(reloadRoom), text: t("members.transfer", { user: m.username }) }));
    } else if (remove) {
      li.append(" ", remove);
    }
    return li;
  }
  async function reloadRoom() {
    room = await get(`rooms/${room.id}`);
    ctx.navigate(`#/members/${room.id}`);
  }
  async function load() {
    const members = await get(`rooms/${room.id}/members`);
    clear(list).append(...members.map(memberEl));
  }
  invite.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const name = username.value.trim();
    if (!name) return;
    act(post(`rooms/${room.id}/invitations`, { username: name }), t("members.invited", { user: name })).then(() => (username.value = ""));
  });
  leave.addEventListener("click", () =>
    post(`rooms/${room.id}/leave`).then(() => {
      ctx.announce(t("members.left"));
      ctx.navigate("#/");
    }, (e) => (status.textContent = errorText(e))),
  );
  await load();
  return null;
}
