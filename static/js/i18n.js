// French by default, English on request; the choice persists in localStorage.

const STORAGE_KEY = "cl.lang";
export const LANGS = ["fr", "en"];
export const DEFAULT_TIMEZONE = "Indian/Reunion";

const MESSAGES = {
  fr: {
    "app.title": "Communecter Live",
    "app.skip": "Aller au contenu",
    "nav.commune": "Ma commune",
    "nav.signin": "Connexion",
    "nav.signout": "Déconnexion",
    "nav.language": "Langue",
    "conn.connecting": "Connexion…",
    "conn.online": "En ligne",
    "conn.offline": "Hors ligne",
    "conn.reconnecting": "Reconnexion…",
    "conn.pending": { one: "{n} envoi en attente", other: "{n} envois en attente" },
    "common.loading": "Chargement…",
    "common.error": "Une erreur est survenue : {message}",
    "common.back": "Retour",
    "common.cancel": "Annuler",
    "common.save": "Enregistrer",
    "common.create": "Créer",
    "common.notfound": "Introuvable.",
    "common.signin_required": "Connectez-vous pour participer.",
    "auth.title": "Connexion ou inscription",
    "auth.signin": "Se connecter",
    "auth.register": "Créer un compte",
    "auth.username": "Nom d'utilisateur",
    "auth.password": "Mot de passe",
    "auth.password_hint": "8 caractères au moins.",
    "auth.failed": "Échec : {message}",
    "auth.signed_in_as": "Connecté·e : {user}",
    "commune.title": "Ma commune",
    "commune.search": "Rechercher une commune (nom ou code postal)",
    "commune.search_placeholder": "Saint-Denis, 97400…",
    "commune.none": "Aucune commune trouvée.",
    "commune.pick": "Choisissez votre commune pour voir ses salons, événements et propositions.",
    "commune.set_home": "Définir comme ma commune",
    "commune.is_home": "C'est votre commune.",
    "commune.rooms": "Salons de discussion",
    "commune.events": "Événements à venir",
    "commune.proposals": "Propositions ouvertes",
    "commune.no_rooms": "Aucun salon pour l'instant.",
    "commune.no_events": "Aucun événement à venir.",
    "commune.no_proposals": "Aucune proposition ouverte.",
    "commune.new_room": "Nouveau salon",
    "commune.room_name": "Nom du salon",
    "commune.visibility": "Visibilité",
    "commune.public": "Public",
    "commune.private": "Privé",
    "commune.new_event": "Nouvel événement",
    "commune.event_title": "Titre",
    "commune.starts_at": "Début",
    "commune.ends_at": "Fin",
    "commune.capacity": "Places (vide = illimité)",
    "commune.place": "Lieu",
    "commune.new_proposal": "Nouvelle proposition",
    "commune.proposal_title": "Titre",
    "commune.proposal_body": "Texte",
    "commune.closes_at": "Clôture du vote",
    "commune.choices": "Choix (un par ligne, vide = pour / contre / blanc)",
    "room.title": "Salon",
    "room.online": { one: "{n} personne en ligne", other: "{n} personnes en ligne" },
    "room.typing": { one: "{users} écrit…", other: "{users} écrivent…" },
    "room.load_older": "Charger les messages précédents",
    "room.no_older": "Début de la discussion.",
    "room.messages": "Messages",
    "room.compose": "Votre message",
    "room.send": "Envoyer",
    "room.reply": "Répondre",
    "room.edit": "Modifier",
    "room.delete": "Supprimer",
    "room.confirm_delete": "Supprimer ce message ?",
    "room.edited": "modifié",
    "room.deleted": "Message supprimé",
    "room.replying_to": "Réponse à {user}",
    "room.reply_to_unknown": "Réponse à un message précédent",
    "room.pending": "envoi…",
    "room.failed": "non envoyé",
    "room.join": "Rejoindre le salon",
    "room.announce": "Nouveau message de {user} : {body}",
    "room.edit_label": "Modifier le message",
    "event.title": "Événement",
    "event.when": "Quand",
    "event.where": "Où",
    "event.organiser": "Organisé par",
    "event.going": "Participants",
    "event.interested": "Intéressés",
    "event.waitlisted": "En liste d'attente",
    "event.checked_in": "Enregistrés à l'entrée",
    "event.seats_left": "Places restantes",
    "event.unlimited": "illimitées",
    "event.full": "Complet",
    "event.rsvp": "Votre réponse",
    "event.rsvp_going": "J'y vais",
    "event.rsvp_interested": "Intéressé·e",
    "event.rsvp_declined": "Je n'y vais pas",
    "event.my_status": "Votre statut : {status}",
    "event.status_going": "inscrit·e",
    "event.status_waitlisted": "en liste d'attente",
    "event.status_interested": "intéressé·e",
    "event.status_declined": "ne participe pas",
    "event.status_checked_in": "enregistré·e",
    "event.status_none": "pas de réponse",
    "event.waitlist_position": "Position en liste d'attente : {n}",
    "event.ticket": "Votre billet",
    "event.ticket_code": "Code : {code}",
    "event.ticket_alt": "QR code du billet",
    "event.calendar": "Ajouter à mon agenda (.ics)",
    "event.checkin_link": "Accueil des participants (organisateurs)",
    "event.cancelled": "Événement annulé",
    "event.checkin_title": "Accueil : enregistrement des participants",
    "event.checkin_code": "Code du billet",
    "event.checkin_submit": "Enregistrer",
    "event.checkin_scan": "Scanner un QR code",
    "event.checkin_ok": "Enregistré : {user}",
    "event.checkin_count": "{n} enregistrés",
    "event.attendees": "Liste des participants",
    "event.no_attendees": "Personne pour l'instant.",
    "proposal.title": "Proposition",
    "proposal.phase": "Phase : {phase}",
    "proposal.phase_amendable": "amendements",
    "proposal.phase_open": "vote ouvert",
    "proposal.phase_closed": "clos",
    "proposal.phase_draft": "brouillon",
    "proposal.closes_in": "Clôture dans {time}",
    "proposal.closes_at": "Clôture : {date}",
    "proposal.closing": "Clôture en cours…",
    "proposal.opens_in": "Amendements jusqu'au vote, dans {time}",
    "proposal.amendment_vote": "Voter sur l'amendement",
    "proposal.turnout": "Participation : {total} votes",
    "proposal.turnout_pct": "Participation : {total} votes sur {eligible} ({pct})",
    "proposal.vote": "Votre vote",
    "proposal.your_vote": "Vous avez voté : {choice}",
    "proposal.not_voted": "Vous n'avez pas encore voté.",
    "proposal.can_change": "Vous pouvez changer votre vote jusqu'à la clôture.",
    "proposal.cannot_change": "Votre vote est définitif.",
    "proposal.results_hidden": "Les résultats seront publiés à la clôture.",
    "proposal.result_adopted": "Résultat : proposition adoptée",
    "proposal.result_refused": "Résultat : proposition rejetée",
    "proposal.result_other": "Résultat : {result}",
    "proposal.amendments": "Amendements",
    "proposal.no_amendments": "Aucun amendement.",
    "proposal.amend": "Proposer un amendement",
    "proposal.amend_body": "Texte de l'amendement",
    "proposal.votes": { one: "{n} vote", other: "{n} votes" },
    "proposal.option_up": "Pour",
    "proposal.option_down": "Contre",
    "proposal.option_white": "Blanc",
    "proposal.option_uncomplet": "Incomplet",
    "error.auth_required": "Connectez-vous d'abord.",
    "error.forbidden": "Action non autorisée.",
    "error.not_found": "Introuvable.",
    "error.conflict": "Impossible maintenant (conflit).",
    "error.rate_limited": "Trop de requêtes, patientez.",
    "error.bad_request": "Requête invalide.",
  },
  en: {
    "app.title": "Communecter Live",
    "app.skip": "Skip to content",
    "nav.commune": "My commune",
    "nav.signin": "Sign in",
    "nav.signout": "Sign out",
    "nav.language": "Language",
    "conn.connecting": "Connecting…",
    "conn.online": "Online",
    "conn.offline": "Offline",
    "conn.reconnecting": "Reconnecting…",
    "conn.pending": { one: "{n} write waiting", other: "{n} writes waiting" },
    "common.loading": "Loading…",
    "common.error": "Something went wrong: {message}",
    "common.back": "Back",
    "common.cancel": "Cancel",
    "common.save": "Save",
    "common.create": "Create",
    "common.notfound": "Not found.",
    "common.signin_required": "Sign in to take part.",
    "auth.title": "Sign in or sign up",
    "auth.signin": "Sign in",
    "auth.register": "Create an account",
    "auth.username": "Username",
    "auth.password": "Password",
    "auth.password_hint": "At least 8 characters.",
    "auth.failed": "Failed: {message}",
    "auth.signed_in_as": "Signed in: {user}",
    "commune.title": "My commune",
    "commune.search": "Find a commune (name or postal code)",
    "commune.search_placeholder": "Saint-Denis, 97400…",
    "commune.none": "No commune found.",
    "commune.pick": "Pick your commune to see its rooms, events and proposals.",
    "commune.set_home": "Set as my commune",
    "commune.is_home": "This is your commune.",
    "commune.rooms": "Discussion rooms",
    "commune.events": "Upcoming events",
    "commune.proposals": "Open proposals",
    "commune.no_rooms": "No rooms yet.",
    "commune.no_events": "No upcoming events.",
    "commune.no_proposals": "No open proposals.",
    "commune.new_room": "New room",
    "commune.room_name": "Room name",
    "commune.visibility": "Visibility",
    "commune.public": "Public",
    "commune.private": "Private",
    "commune.new_event": "New event",
    "commune.event_title": "Title",
    "commune.starts_at": "Starts",
    "commune.ends_at": "Ends",
    "commune.capacity": "Seats (empty = unlimited)",
    "commune.place": "Place",
    "commune.new_proposal": "New proposal",
    "commune.proposal_title": "Title",
    "commune.proposal_body": "Text",
    "commune.closes_at": "Voting closes",
    "commune.choices": "Choices (one per line, empty = for / against / blank)",
    "room.title": "Room",
    "room.online": { one: "{n} person online", other: "{n} people online" },
    "room.typing": { one: "{users} is typing…", other: "{users} are typing…" },
    "room.load_older": "Load earlier messages",
    "room.no_older": "Start of the conversation.",
    "room.messages": "Messages",
    "room.compose": "Your message",
    "room.send": "Send",
    "room.reply": "Reply",
    "room.edit": "Edit",
    "room.delete": "Delete",
    "room.confirm_delete": "Delete this message?",
    "room.edited": "edited",
    "room.deleted": "Message deleted",
    "room.replying_to": "Replying to {user}",
    "room.reply_to_unknown": "Reply to an earlier message",
    "room.pending": "sending…",
    "room.failed": "not sent",
    "room.join": "Join the room",
    "room.announce": "New message from {user}: {body}",
    "room.edit_label": "Edit the message",
    "event.title": "Event",
    "event.when": "When",
    "event.where": "Where",
    "event.organiser": "Organised by",
    "event.going": "Going",
    "event.interested": "Interested",
    "event.waitlisted": "Waitlisted",
    "event.checked_in": "Checked in",
    "event.seats_left": "Seats left",
    "event.unlimited": "unlimited",
    "event.full": "Full",
    "event.rsvp": "Your answer",
    "event.rsvp_going": "Going",
    "event.rsvp_interested": "Interested",
    "event.rsvp_declined": "Not going",
    "event.my_status": "Your status: {status}",
    "event.status_going": "going",
    "event.status_waitlisted": "waitlisted",
    "event.status_interested": "interested",
    "event.status_declined": "not going",
    "event.status_checked_in": "checked in",
    "event.status_none": "no answer",
    "event.waitlist_position": "Waitlist position: {n}",
    "event.ticket": "Your ticket",
    "event.ticket_code": "Code: {code}",
    "event.ticket_alt": "Ticket QR code",
    "event.calendar": "Add to my calendar (.ics)",
    "event.checkin_link": "Check-in desk (organisers)",
    "event.cancelled": "Event cancelled",
    "event.checkin_title": "Check-in desk",
    "event.checkin_code": "Ticket code",
    "event.checkin_submit": "Check in",
    "event.checkin_scan": "Scan a QR code",
    "event.checkin_ok": "Checked in: {user}",
    "event.checkin_count": "{n} checked in",
    "event.attendees": "Attendees",
    "event.no_attendees": "Nobody yet.",
    "proposal.title": "Proposal",
    "proposal.phase": "Phase: {phase}",
    "proposal.phase_amendable": "amendments",
    "proposal.phase_open": "voting open",
    "proposal.phase_closed": "closed",
    "proposal.phase_draft": "draft",
    "proposal.closes_in": "Closes in {time}",
    "proposal.closes_at": "Closes: {date}",
    "proposal.closing": "Closing…",
    "proposal.opens_in": "Amendments until voting opens, in {time}",
    "proposal.amendment_vote": "Vote on the amendment",
    "proposal.turnout": "Turnout: {total} votes",
    "proposal.turnout_pct": "Turnout: {total} votes of {eligible} ({pct})",
    "proposal.vote": "Your vote",
    "proposal.your_vote": "You voted: {choice}",
    "proposal.not_voted": "You have not voted yet.",
    "proposal.can_change": "You may change your vote until closing.",
    "proposal.cannot_change": "Your vote is final.",
    "proposal.results_hidden": "Results are published at closing.",
    "proposal.result_adopted": "Result: proposal adopted",
    "proposal.result_refused": "Result: proposal refused",
    "proposal.result_other": "Result: {result}",
    "proposal.amendments": "Amendments",
    "proposal.no_amendments": "No amendments.",
    "proposal.amend": "Propose an amendment",
    "proposal.amend_body": "Amendment text",
    "proposal.votes": { one: "{n} vote", other: "{n} votes" },
    "proposal.option_up": "For",
    "proposal.option_down": "Against",
    "proposal.option_white": "Blank",
    "proposal.option_uncomplet": "Incomplete",
    "error.auth_required": "Sign in first.",
    "error.forbidden": "Not allowed.",
    "error.not_found": "Not found.",
    "error.conflict": "Not possible now (conflict).",
    "error.rate_limited": "Too many requests, please wait.",
    "error.bad_request": "Invalid request.",
  },
};

function storedLang() {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return LANGS.includes(v) ? v : "fr";
  } catch {
    return "fr";
  }
}

let current = storedLang();

/** Modules with their own screens bring their strings: addMessages({fr: {...}, en: {...}}). */
export function addMessages(extra) {
  for (const code of LANGS) Object.assign(MESSAGES[code], extra[code] || {});
}

export function lang() {
  return current;
}

/** BCP 47 locale for Intl: French as written in La Réunion, English (GB). */
export function locale() {
  return current === "fr" ? "fr-FR" : "en-GB";
}

export function setLang(next) {
  if (!LANGS.includes(next) || next === current) return;
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* private mode: the choice lasts for the tab */
  }
  document.documentElement.lang = next;
  window.dispatchEvent(new CustomEvent("langchange", { detail: { lang: next } }));
}

export function t(key, vars = {}) {
  let msg = MESSAGES[current][key] ?? MESSAGES.fr[key] ?? key;
  if (typeof msg === "object") {
    const rule = new Intl.PluralRules(locale()).select(Number(vars.n ?? 0));
    msg = msg[rule] ?? msg.other;
  }
  return msg.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

export function formatNumber(n) {
  return new Intl.NumberFormat(locale()).format(n);
}

export function formatPercent(x) {
  return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 }).format(x);
}

function safeTimeZone(tz) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return tz;
  } catch {
    return DEFAULT_TIMEZONE;
  }
}

/** A date and time shown in the given IANA time zone (the event's), in the UI locale. */
export function formatDateTime(iso, timeZone = DEFAULT_TIMEZONE, options = { dateStyle: "full", timeStyle: "short" }) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(locale(), { ...options, timeZone: safeTimeZone(timeZone || DEFAULT_TIMEZONE) }).format(d);
}

export function formatTime(iso, timeZone = DEFAULT_TIMEZONE) {
  return formatDateTime(iso, timeZone, { hour: "2-digit", minute: "2-digit" });
}

export function formatDuration(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (x) => String(x).padStart(2, "0");
  const clock = `${pad(h)}:${pad(m)}:${pad(sec)}`;
  if (d > 0) {
    const days = new Intl.NumberFormat(locale(), { style: "unit", unit: "day", unitDisplay: "long" }).format(d);
    return `${days} ${clock}`;
  }
  return clock;
}

export function errorText(err) {
  const code = err && err.code;
  const detail = err && err.message && !/^HTTP \d+$/.test(err.message) && err.message !== code ? ` (${err.message})` : "";
  if (code && MESSAGES.fr[`error.${code}`]) return t(`error.${code}`) + detail;
  return t("common.error", { message: (err && err.message) || String(err) });
}
