// An organisation's page (#/organisation/<id>): who it is, where, its members and followers,
// the rooms, events and proposals it owns; joining and following; the admins' desk (membership
// requests live on orgadmin:<id>, roles, picture, acting for it). A removed admin's desk goes
// away as soon as the server withdraws the topic.

import { del, get, patch, post, upload } from "../api.js";
import { field, h } from "../dom.js";
import { DEFAULT_TIMEZONE, errorText, formatDateTime, t } from "../i18n.js";
import "./organisation-messages.js";
import { eventFields } from "./event/form.js";
import { tagLinks } from "../tags.js";

const safeLink = (url) => /^https?:\/\//i.test(url);

function list(items, emptyKey, itemFn, testid) {
  const ul = h("ul", { class: "list", "data-testid": testid });
  ul.append(...(items.length ? items.map(itemFn) : [h("li", { class: "muted", text: t(emptyKey) })]));
  return ul;
}

function card(titleKey, id, ...children) {
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id, text: t(titleKey) }), ...children);
}

function formCard(summaryKey, testid, fields, submit) {
  const err = h("p", { class: "form-error", role: "alert" });
  const form = h("form", {}, fields, h("button", { type: "submit", "data-testid": `${testid}-submit`, text: t("common.create") }), err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await submit();
    } catch (e) {
      err.textContent = errorText(e);
    }
  });
  return h("details", { "data-testid": testid }, h("summary", { text: t(summaryKey) }), form);
}

function actions(ctx, org, refresh) {
  const out = h("div", { class: "org-actions", "data-testid": "org-actions" });
  const err = h("p", { class: "form-error", role: "alert" });
  const act = (fn) => async () => {
    try {
      await fn();
      await refresh();
    } catch (e) {
      err.textContent = errorText(e);
    }
  };
  if (!ctx.me) return out;
  const me = ctx.me.username;
  if (!org.my) {
    out.append(h("button", { type: "button", "data-testid": "org-join", text: t(org.join_approval ? "org.ask" : "org.join"), onclick: act(() => post(`organisations/${org.id}/join`)) }));
  } else {
    const key = org.my.status === "pending" ? "org.pending" : org.is_admin ? "org.admin" : "org.member";
    out.append(h("p", { "data-testid": "org-my-status", "data-status": org.my.status, text: t(key) }));
    out.append(h("button", { type: "button", class: "secondary", "data-testid": "org-leave", text: t("org.leave"), onclick: act(() => del(`organisations/${org.id}/members/${encodeURIComponent(me)}`)) }));
  }
  out.append(
    org.following
      ? h("button", { type: "button", class: "secondary", "data-testid": "org-unfollow", text: t("org.unfollow"), onclick: act(() => post(`organisations/${org.id}/unfollow`)) })
      : h("button", { type: "button", class: "secondary", "data-testid": "org-follow", text: t("org.follow"), onclick: act(() => post(`organisations/${org.id}/follow`)) }),
    err,
  );
  return out;
}

function desk(ctx, org, refresh) {
  const requests = h("ul", { class: "list", "data-testid": "org-requests", "aria-live": "polite" });
  const members = h("ul", { class: "list", "data-testid": "org-members" });
  const err = h("p", { class: "form-error", role: "alert" });
  const act = (fn) => async () => {
    try {
      await fn();
      await refresh();
    } catch (e) {
      err.textContent = errorText(e);
    }
  };
  const base = `organisations/${org.id}/members`;
  async function loadMembers() {
    const data = await get(base);
    requests.replaceChildren(
      ...((data.pending || []).length
        ? data.pending.map((m) =>
            h(
              "li",
              { "data-testid": "org-request", "data-user": m.username },
              h("span", { text: m.username }),
              " ",
              h("button", { type: "button", "data-testid": "org-approve", "aria-label": t("org.approve", { user: m.username }), text: "✓", onclick: act(() => post(`${base}/${encodeURIComponent(m.username)}/decision`, { decision: "approve" })) }),
              " ",
              h("button", { type: "button", class: "secondary", "data-testid": "org-refuse", "aria-label": t("org.refuse", { user: m.username }), text: "✗", onclick: act(() => post(`${base}/${encodeURIComponent(m.username)}/decision`, { decision: "refuse" })) }),
            ),
          )
        : [h("li", { class: "muted", text: t("org.no_requests") })]),
    );
    members.replaceChildren(
      ...data.items.map((m) => {
        const user = encodeURIComponent(m.username);
        const toggle = m.role === "admin"
          ? h("button", { type: "button", class: "secondary", "data-testid": "org-make-member", text: t("org.make_member", { user: m.username }), onclick: act(() => patch(`${base}/${user}`, { role: "member" })) })
          : h("button", { type: "button", class: "secondary", "data-testid": "org-make-admin", text: t("org.make_admin", { user: m.username }), onclick: act(() => patch(`${base}/${user}`, { role: "admin" })) });
        return h(
          "li",
          { "data-testid": "org-member", "data-user": m.username, "data-role": m.role },
          h("span", { text: `${m.username} · ${t(`org.role.${m.role}`)}` }),
          " ",
          toggle,
          " ",
          h("button", { type: "button", class: "secondary", "data-testid": "org-remove", text: t("org.remove", { user: m.username }), onclick: act(() => del(`${base}/${user}`)) }),
        );
      }),
    );
  }

  const picture = h("input", { type: "file", accept: "image/jpeg,image/png,image/webp,image/gif", "data-testid": "org-picture" });
  const pictureStatus = h("p", { role: "status", "data-testid": "org-picture-status" });
  picture.addEventListener("change", async () => {
    const file = picture.files[0];
    if (!file) return;
    try {
      await upload(`organisations/${org.id}/image`, file);
      pictureStatus.textContent = t("org.picture_saved");
      await refresh();
    } catch (e) {
      pictureStatus.textContent = errorText(e);
    }
  });

  const roomName = h("input", { required: true, maxlength: "120", "data-testid": "org-room-name" });
  const roomVisibility = h("select", { "data-testid": "org-room-visibility" }, h("option", { value: "public", text: t("commune.public") }), h("option", { value: "private", text: t("commune.private") }));
  const newRoom = formCard("org.new_room", "org-new-room", [field(t("commune.room_name"), roomName), field(t("commune.visibility"), roomVisibility)], async () => {
    const room = await post(`organisations/${org.id}/rooms`, { name: roomName.value.trim(), visibility: roomVisibility.value });
    ctx.navigate(`#/room/${room.id}`);
  });
  const { nodes, read } = eventFields("org-event");
  const newEvent = formCard("org.new_event", "org-new-event", nodes, async () => {
    const body = { ...read(), timezone: DEFAULT_TIMEZONE };
    if (body.capacity == null) delete body.capacity;
    if (!body.address) delete body.address;
    const created = await post(`organisations/${org.id}/events`, body);
    ctx.navigate(`#/event/${created.id}`);
  });
  const pTitle = h("input", { required: true, maxlength: "200", "data-testid": "org-proposal-title" });
  const pBody = h("textarea", { rows: "4", "data-testid": "org-proposal-body" });
  const newProposal = formCard("org.new_proposal", "org-new-proposal", [field(t("commune.proposal_title"), pTitle), field(t("commune.proposal_body"), pBody)], async () => {
    const created = await post(`organisations/${org.id}/proposals`, { title: pTitle.value.trim(), body: pBody.value });
    ctx.navigate(`#/proposal/${created.id}`);
  });

  const section = card(
    "org.desk",
    "h-org-desk",
    h("h3", { text: t("org.requests") }),
    requests,
    h("h3", { text: t("org.member_list") }),
    members,
    err,
    field(t("org.picture"), picture),
    pictureStatus,
    newRoom,
    newEvent,
    newProposal,
  );
  section.dataset.testid = "org-desk";
  loadMembers().catch((e) => (err.textContent = errorText(e)));
  return { section, reload: () => loadMembers().catch((e) => (err.textContent = errorText(e))) };
}

export async function render(ctx, params, container) {
  const id = Number(params[0]);
  let org;
  try {
    org = await get(`organisations/${id}`);
  } catch (err) {
    container.append(h("p", { class: "form-error", role: "alert", text: errorText(err) }));
    return;
  }
  const notice = h("p", { role: "status", "data-testid": "org-notice" });
  const body = h("div");
  container.append(notice, body);
  let deskPart = null;
  let stopDesk = null;

  function draw() {
    const head = h(
      "header",
      { class: "org-head" },
      org.image ? h("img", { src: org.image, alt: t("org.picture_alt", { name: org.name }), class: "org-image", width: "96", height: "96", "data-testid": "org-image" }) : null,
      h(
        "div",
        {},
        h("h1", { "data-testid": "org-name", text: org.name }),
        h("p", {}, h("span", { class: "badge", "data-testid": "org-kind", text: t(`org.kind.${org.kind}`) }), " ", h("a", { href: `#/commune/${org.commune}`, text: org.commune_name })),
        org.address ? h("p", { class: "muted", text: org.address }) : null,
      ),
    );
    const counts = h("p", { class: "muted", "data-testid": "org-counts", text: `${t("org.members", { n: org.members })} · ${t("org.followers", { n: org.followers })}` });
    const about = h(
      "section",
      { class: "card" },
      org.description ? h("p", { class: "pre", text: org.description }) : null,
      org.tags.length ? tagLinks(org.tags, "org-tags") : null,
      org.links.length ? h("ul", { class: "list" }, org.links.filter(safeLink).map((url) => h("li", {}, h("a", { href: url, rel: "noopener noreferrer nofollow", target: "_blank", text: url })))) : null,
      h("p", { class: "muted", text: t("org.admins", { names: org.admins.join(", ") }) }),
      h("p", { class: "muted" }, h("a", { href: `/api/organisations/${org.id}/jsonld`, "data-testid": "org-jsonld", text: "JSON-LD (schema.org)" })),
      counts,
      actions(ctx, org, refresh),
    );
    const rooms = list(org.rooms, "org.no_rooms", (r) => h("li", {}, h("a", { href: `#/room/${r.id}`, "data-testid": "org-room-link", text: r.id === (org.room && org.room.id) ? `${r.name} (${t("org.room")})` : r.name })), "org-rooms");
    const events = list(org.events, "org.no_events", (e) => h("li", {}, h("a", { href: `#/event/${e.id}`, "data-testid": "org-event-link", text: e.title }), h("small", { class: "muted block", text: formatDateTime(e.starts_at, DEFAULT_TIMEZONE, { dateStyle: "medium", timeStyle: "short" }) })), "org-events");
    const proposals = list(org.proposals, "org.no_proposals", (p) => h("li", {}, h("a", { href: `#/proposal/${p.id}`, "data-testid": "org-proposal-link", text: p.title })), "org-proposals");
    body.replaceChildren(head, about, h("div", { class: "grid-3" }, card("org.rooms", "h-org-rooms", rooms), card("org.events", "h-org-events", events), card("org.proposals", "h-org-proposals", proposals)));
    if (org.is_admin) {
      if (!deskPart) deskPart = desk(ctx, org, refresh);
      else deskPart.reload();
      body.append(deskPart.section);
      if (!stopDesk && org.admin_topic) {
        stopDesk = ctx.socket.subscribe(org.admin_topic, {
          event: () => deskPart && deskPart.reload(),
          revoked: () => {
            // The server withdrew the admins' topic: our powers are gone, live.
            stopDesk = null;
            deskPart = null;
            notice.textContent = t("org.lost_powers");
            refresh();
          },
        });
      }
    } else if (deskPart) {
      deskPart.section.remove();
      deskPart = null;
    }
  }

  async function refresh() {
    try {
      org = await get(`organisations/${id}`);
      draw();
    } catch (err) {
      notice.textContent = errorText(err);
    }
  }

  draw();
  const stopTopic = ctx.socket.subscribe(org.topic, { event: () => refresh() });
  return () => {
    stopTopic();
    if (stopDesk) stopDesk();
  };
}
