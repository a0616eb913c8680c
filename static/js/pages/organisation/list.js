// The commune page's organisations: the list (kind, members) and the form to create one, with
// its place picked on a map.

import { get, post, qs } from "../../api.js";
import { field, h } from "../../dom.js";
import { errorText, t } from "../../i18n.js";
import { ORG_KINDS } from "../organisation-messages.js";
import { placePicker } from "../place_picker.js";
import { tagField } from "../../tags.js";

export function orgItem(o) {
  return h(
    "li",
    { "data-testid": "org-item" },
    h("span", { class: "badge", text: t(`org.kind.${o.kind}`) }),
    " ",
    h("a", { href: `#/organisation/${o.id}`, "data-testid": "org-link", text: o.name }),
    h("small", { class: "muted block", text: [t("org.members", { n: o.members || 0 }), ...(o.tags || []).map((tag) => `#${tag}`)].join(" · ") }),
  );
}

function splitList(text, separator) {
  return text.split(separator).map((s) => s.trim()).filter(Boolean);
}

function orgForm(ctx, insee, communeOf) {
  const kind = h("select", { "data-testid": "new-org-kind" }, ORG_KINDS.map((k) => h("option", { value: k, text: t(`org.kind.${k}`) })));
  const name = h("input", { required: true, maxlength: "200", "data-testid": "new-org-name" });
  const description = h("textarea", { rows: "3", maxlength: "10000", "data-testid": "new-org-description" });
  const address = h("input", { maxlength: "300", "data-testid": "new-org-address" });
  const tags = tagField(t("org.tags"), "new-org-tags");
  const links = h("textarea", { rows: "2", "data-testid": "new-org-links" });
  const approval = h("input", { type: "checkbox", checked: true, id: "new-org-approval", "data-testid": "new-org-approval" });
  const err = h("p", { class: "form-error", role: "alert", "data-testid": "new-org-error" });
  let picker = null;
  const pickerSlot = h("div");
  const details = h("details", { "data-testid": "new-org" }, h("summary", { text: t("org.new") }));
  details.addEventListener("toggle", () => {
    // The picker's map is built when the form opens: Leaflet needs a visible box.
    if (details.open && !picker) {
      picker = placePicker("new-org", communeOf());
      pickerSlot.append(picker.node);
    }
  });
  const form = h(
    "form",
    {
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          const body = {
            kind: kind.value,
            name: name.value.trim(),
            commune: insee,
            description: description.value,
            address: address.value.trim(),
            tags: tags.read(),
            links: splitList(links.value, "\n"),
            join_approval: approval.checked,
            ...(picker ? picker.read() : {}),
          };
          const created = await post("organisations", body);
          ctx.navigate(`#/organisation/${created.id}`);
        } catch (e) {
          err.textContent = errorText(e);
        }
      },
    },
    field(t("org.kind"), kind),
    field(t("org.name"), name),
    field(t("org.description"), description),
    field(t("org.address"), address),
    pickerSlot,
    tags.node,
    field(t("org.links"), links),
    h("div", { class: "field check" }, approval, h("label", { for: approval.id, text: t("org.approval") })),
    h("button", { type: "submit", "data-testid": "new-org-submit", text: t("common.create") }),
    err,
  );
  details.append(form);
  return { node: details, stop: () => picker && picker.stop() };
}

/** The section; `reload()` after a `commune.organisation_created` frame. */
export function organisationsSection(ctx, insee, communeOf) {
  const list = h("ul", { class: "list", "data-testid": "commune-orgs" });
  const form = ctx.me ? orgForm(ctx, insee, communeOf) : null;
  async function reload() {
    try {
      const data = await get(`organisations${qs({ commune: insee, limit: 200 })}`);
      list.replaceChildren(...(data.items.length ? data.items.map(orgItem) : [h("li", { class: "muted", text: t("org.none") })]));
    } catch (err) {
      list.replaceChildren(h("li", { class: "form-error", text: errorText(err) }));
    }
  }
  reload();
  const section = h("section", { class: "card", "aria-labelledby": "h-orgs" }, h("h2", { id: "h-orgs", text: t("org.section") }), list, form && form.node);
  return { section, reload, stop: () => form && form.stop() };
}
