// For the author and the proposal's moderators: close now, extend, reopen (each with a reason),
// and turn a closed meeting time into an event. For everyone: what happened, and the event made.

import { field, h } from "../../dom.js";
import { errorText, formatDateTime, t } from "../../i18n.js";
import { wallClock, zonedToIso } from "../event/form.js";
import { slotLabel } from "./ballots.js";

export class Manage {
  constructor({ ctx, socket, topic, p, refresh }) {
    Object.assign(this, { ctx, socket, topic, p, refresh });
    this.news = h("p", { class: "muted", "data-testid": "proposal-news", role: "status" });
    this.spawned = h("p", { "data-testid": "spawned-event", hidden: true });
    this.error = h("p", { class: "form-error", role: "alert", "data-testid": "manage-error" });
    this.controls = h("div", {});
    this.el = h("section", { class: "card", "aria-labelledby": "manage-h", "data-testid": "manage" }, h("h2", { id: "manage-h", text: t("manage.title") }), this.news, this.spawned, this.controls, this.error);
    this.shown = null;
  }

  announce(kind, d) {
    const words = {
      "proposal.extended": () => t("manage.extended_news", { by: d.by, date: formatDateTime(d.closes_at), reason: d.reason }),
      "proposal.reopened": () => t("manage.reopened_news", { by: d.by, date: formatDateTime(d.closes_at), reason: d.reason }),
      "proposal.scheduled": () => t("manage.scheduled_news", { date: formatDateTime(d.starts_at) }),
      "proposal.revised": () => t("manage.revised_news", { by: d.by, reason: d.reason, n: d.blocks_lifted }),
    };
    this.news.dataset.kind = kind;
    this.news.textContent = words[kind]();
  }

  async send(command) {
    this.error.textContent = "";
    try {
      await this.socket.write({ topic: this.topic, ...command });
      this.refresh();
      return true;
    } catch (err) {
      this.error.textContent = errorText(err, command.type); // e.g. error.reopen.conflict
      return false;
    }
  }

  render(phase) {
    const p = this.p;
    if (p.spawned_event) {
      this.spawned.hidden = false;
      this.spawned.replaceChildren(
        h("a", { href: `#/event/${p.spawned_event}`, "data-testid": "spawned-event-link", text: t("manage.see_event") }),
        " · ",
        h("a", { href: `/api/events/${p.spawned_event}/ics`, "data-testid": "spawned-event-ics", download: `event-${p.spawned_event}.ics`, text: t("manage.add_to_calendar") }),
      );
    }
    const winner = p.tally && p.tally.result ? p.tally.result.winner : null;
    const key = `${phase}:${p.spawned_event || ""}:${winner || ""}:${p.phase}`;
    const mayManage = Boolean(this.ctx.me && p.may_manage);
    this.el.hidden = !mayManage && !p.spawned_event && !this.news.textContent;
    if (!mayManage || key === this.shown) return;
    this.shown = key;
    const forms = [];
    if (phase === "open") {
      forms.push(this.form("close", [this.reason("close", false)], t("manage.close")));
      forms.push(this.form("extend", [this.when("extend"), this.reason("extend", true)], t("manage.extend")));
      if (p.kind === "consent" && this.ctx.me.username === p.author) {
        const body = h("textarea", { name: "body", rows: "4", required: true, maxlength: "20000", "data-testid": "revise-body", value: p.body || "" });
        forms.push(this.form("revise", [field(t("manage.new_text"), body, t("manage.revise_hint")), this.reason("revise", true)], t("manage.revise")));
      }
    }
    if (phase === "closed" && !p.spawned_event && p.phase !== "archived") {
      forms.push(this.form("reopen", [this.when("reopen"), this.reason("reopen", true)], t("manage.reopen")));
      if (p.kind === "meeting") forms.push(this.scheduleForm());
    }
    this.controls.replaceChildren(...forms);
  }

  reason(name, required) {
    const input = h("input", { name: "reason", maxlength: "1000", required, "data-testid": `${name}-reason` });
    return field(t(required ? "manage.reason" : "manage.reason_optional"), input);
  }

  when(name) {
    const later = new Date(Math.max(Date.now(), Date.parse(this.p.closes_at || 0)) + 24 * 3600 * 1000);
    const input = h("input", { type: "datetime-local", name: "closes_at", required: true, value: wallClock(later), "data-testid": `${name}-closes` });
    return field(t("manage.new_closing"), input);
  }

  form(type, fields, label) {
    const form = h(
      "form",
      {
        class: "manage-form",
        "data-testid": `${type}-form`,
        onsubmit: async (ev) => {
          ev.preventDefault();
          const data = Object.fromEntries(new FormData(form).entries());
          const command = { type, reason: (data.reason || "").trim() };
          if (data.closes_at) command.closes_at = zonedToIso(data.closes_at);
          if (data.body) command.body = data.body;
          await this.send(command);
        },
      },
      fields,
      h("button", { type: "submit", "data-testid": `${type}-submit`, text: label }),
    );
    return h("details", {}, h("summary", { text: label }), form);
  }

  scheduleForm() {
    const winner = this.p.tally && this.p.tally.result ? this.p.tally.result.winner : null;
    const slot = h(
      "select",
      { name: "slot", "data-testid": "schedule-slot" },
      this.p.options.map((o) => h("option", { value: o.key, selected: o.key === winner, text: slotLabel(o) })),
    );
    const address = h("input", { name: "address", maxlength: "300", "data-testid": "schedule-address" });
    const form = h(
      "form",
      {
        "data-testid": "schedule-form",
        onsubmit: async (ev) => {
          ev.preventDefault();
          await this.send({ type: "schedule", slot: slot.value, address: address.value.trim() });
        },
      },
      field(t("manage.slot"), slot),
      field(t("manage.address"), address),
      h("button", { type: "submit", "data-testid": "schedule-submit", text: t("manage.schedule") }),
    );
    return h("div", { class: "card" }, h("h3", { text: t("manage.schedule_title") }), form);
  }
}
