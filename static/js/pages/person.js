// People: #/person/<username> shows a profile as its owner's privacy allows; #/me edits yours
// (display name, avatar, bio, interests, home commune shown or not, who sees what).

import { del, get, patch, upload } from "../api.js";
import { forget } from "../avatars.js";
import { field, h } from "../dom.js";
import { addMessages, errorText, t } from "../i18n.js";
import "./organisation-messages.js";
import { tagField, tagLinks } from "../tags.js";

addMessages({
  fr: {
    "person.title": "Profil de {name}",
    "person.me": "Mon profil",
    "person.hidden": "Cette personne ne montre son profil qu'à d'autres personnes ou à elle-même.",
    "person.bio": "Présentation",
    "person.interests": "Centres d'intérêt",
    "person.commune_label": "Commune : ",
    "person.organisations": "Organisations",
    "person.organises": "Organise",
    "person.following": "suit",
    "person.display_name": "Nom affiché",
    "person.interests_hint": "Séparés par des virgules : jardin, vélo, musique",
    "person.visibility": "Qui voit ma présentation, mes intérêts, ma commune et mes organisations",
    "person.visibility.public": "Tout le monde",
    "person.visibility.signed_in": "Les personnes connectées",
    "person.visibility.private": "Moi seulement",
    "person.discoverable": "Me proposer aux habitants de ma commune qui partagent mes centres d'intérêt",
    "person.show_commune": "Montrer ma commune",
    "person.show_organisations": "Montrer mes organisations et ce que j'organise",
    "person.avatar": "Photo (JPEG, PNG, WebP ou GIF, 5 Mo au plus ; les données EXIF sont retirées)",
    "person.avatar_remove": "Retirer ma photo",
    "person.save": "Enregistrer",
    "person.saved": "Profil enregistré.",
    "person.avatar_saved": "Photo enregistrée.",
    "person.none": "Rien pour l'instant.",
    "person.view": "Voir mon profil public",
  },
  en: {
    "person.title": "{name}'s profile",
    "person.me": "My profile",
    "person.hidden": "This person shows their profile only to other people or to themself.",
    "person.bio": "About",
    "person.interests": "Interests",
    "person.commune_label": "Commune: ",
    "person.organisations": "Organisations",
    "person.organises": "Organises",
    "person.following": "follows",
    "person.display_name": "Display name",
    "person.interests_hint": "Comma-separated: gardening, cycling, music",
    "person.visibility": "Who sees my bio, interests, commune and organisations",
    "person.visibility.public": "Everyone",
    "person.visibility.signed_in": "Signed-in people",
    "person.visibility.private": "Only me",
    "person.discoverable": "Suggest me to people of my commune who share my interests",
    "person.show_commune": "Show my commune",
    "person.show_organisations": "Show my organisations and what I organise",
    "person.avatar": "Photo (JPEG, PNG, WebP or GIF, at most 5 MB; EXIF data is removed)",
    "person.avatar_remove": "Remove my photo",
    "person.save": "Save",
    "person.saved": "Profile saved.",
    "person.avatar_saved": "Photo saved.",
    "person.none": "Nothing yet.",
    "person.view": "See my public profile",
  },
});

function picture(p, size = 96) {
  if (p.avatar) return h("img", { src: p.avatar, alt: "", class: "avatar avatar-large", width: String(size), height: String(size), "data-testid": "person-avatar" });
  return h("span", { class: "avatar avatar-large", "aria-hidden": "true", "data-avatar": "initial", "data-initial": p.username.slice(0, 1).toUpperCase(), "data-testid": "person-avatar" });
}

function details(p) {
  if (!p.visible) return [h("p", { class: "muted", "data-testid": "person-hidden", text: t("person.hidden") })];
  const out = [];
  if (p.bio) out.push(h("h2", { text: t("person.bio") }), h("p", { class: "pre", "data-testid": "person-bio", text: p.bio }));
  out.push(h("h2", { text: t("person.interests") }), p.interests && p.interests.length ? tagLinks(p.interests, "person-interests") : h("p", { class: "muted", text: t("person.none") }));
  if (p.home_commune) {
    // Named once known (the profile carries the INSEE code); each language puts its own colon.
    const link = h("a", { href: `#/commune/${p.home_commune}`, "data-testid": "person-commune", text: p.home_commune });
    get(`communes/${encodeURIComponent(p.home_commune)}`)
      .then((c) => (link.textContent = c.name))
      .catch(() => {});
    out.push(h("p", {}, t("person.commune_label"), link));
  }
  if (p.organisations) {
    out.push(h("h2", { text: t("person.organisations") }));
    out.push(
      p.organisations.length
        ? h("ul", { class: "list", "data-testid": "person-orgs" }, p.organisations.map((o) => h("li", {}, h("a", { href: `#/organisation/${o.id}`, text: o.name }), " ", h("small", { class: "muted", text: o.role ? t(`org.role.${o.role}`) : t("person.following") }))))
        : h("p", { class: "muted", text: t("person.none") }),
    );
  }
  if (p.organises && p.organises.length) {
    out.push(h("h2", { text: t("person.organises") }), h("ul", { class: "list" }, p.organises.map((e) => h("li", {}, h("a", { href: `#/event/${e.id}`, text: e.title })))));
  }
  return out;
}

async function view(ctx, username, container) {
  const p = await get(`people/${encodeURIComponent(username)}`);
  container.append(
    h("header", { class: "org-head" }, picture(p), h("div", {}, h("h1", { "data-testid": "person-name", text: p.display_name }), h("p", { class: "muted", text: `@${p.username}` }))),
    h("section", { class: "card" }, details(p)),
  );
}

async function edit(ctx, container) {
  if (!ctx.me) {
    ctx.navigate("#/signin");
    return;
  }
  const p = await get("people/me");
  const s = p.settings;
  const name = h("input", { maxlength: "80", value: p.display_name === p.username ? "" : p.display_name, "data-testid": "profile-display-name", placeholder: p.username });
  const bio = h("textarea", { rows: "4", maxlength: "1000", value: p.bio || "", "data-testid": "profile-bio" });
  const interests = tagField(t("person.interests"), "profile-interests", p.interests || [], t("person.interests_hint"));
  const visibility = h("select", { "data-testid": "profile-visibility" }, ["public", "signed_in", "private"].map((v) => h("option", { value: v, text: t(`person.visibility.${v}`) })));
  visibility.value = s.visibility;
  const check = (key, testid) => {
    const box = h("input", { type: "checkbox", checked: s[key], id: `profile-${key}`, "data-testid": testid });
    return [box, h("div", { class: "field check" }, box, h("label", { for: box.id, text: t(`person.${key}`) }))];
  };
  const [discoverable, discoverableField] = check("discoverable", "profile-discoverable");
  const [showCommune, showCommuneField] = check("show_commune", "profile-show-commune");
  const [showOrgs, showOrgsField] = check("show_organisations", "profile-show-orgs");
  const status = h("p", { role: "status", "data-testid": "profile-status" });
  const form = h(
    "form",
    {
      class: "card",
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          await patch("people/me", {
            display_name: name.value.trim(),
            bio: bio.value,
            interests: interests.read(),
            visibility: visibility.value,
            discoverable: discoverable.checked,
            show_commune: showCommune.checked,
            show_organisations: showOrgs.checked,
          });
          forget(ctx.me.username);
          status.textContent = t("person.saved");
        } catch (e) {
          status.textContent = errorText(e);
        }
      },
    },
    field(t("person.display_name"), name),
    field(t("person.bio"), bio),
    interests.node,
    field(t("person.visibility"), visibility),
    discoverableField,
    showCommuneField,
    showOrgsField,
    h("button", { type: "submit", "data-testid": "profile-save", text: t("person.save") }),
    status,
  );
  const file = h("input", { type: "file", accept: "image/jpeg,image/png,image/webp,image/gif", "data-testid": "profile-avatar" });
  const avatarStatus = h("p", { role: "status", "data-testid": "profile-avatar-status" });
  const current = h("div", {}, picture(p));
  file.addEventListener("change", async () => {
    if (!file.files[0]) return;
    try {
      await upload("people/me/avatar", file.files[0]);
      forget(ctx.me.username);
      current.replaceChildren(picture(await get("people/me")));
      avatarStatus.textContent = t("person.avatar_saved");
    } catch (e) {
      avatarStatus.textContent = errorText(e);
    }
  });
  const remove = h("button", {
    type: "button",
    class: "secondary",
    "data-testid": "profile-avatar-remove",
    text: t("person.avatar_remove"),
    onclick: async () => {
      try {
        await del("people/me/avatar");
        forget(ctx.me.username);
        current.replaceChildren(picture(await get("people/me")));
      } catch (e) {
        avatarStatus.textContent = errorText(e);
      }
    },
  });
  container.append(
    h("h1", { text: t("person.me") }),
    h("section", { class: "card" }, current, field(t("person.avatar"), file), remove, avatarStatus),
    form,
    h("p", {}, h("a", { href: `#/person/${encodeURIComponent(ctx.me.username)}`, "data-testid": "profile-public-link", text: t("person.view") })),
  );
}

export async function render(ctx, params, container) {
  try {
    if (params[0]) await view(ctx, params[0], container);
    else await edit(ctx, container);
  } catch (err) {
    container.append(h("p", { class: "form-error", role: "alert", text: errorText(err) }));
  }
}
