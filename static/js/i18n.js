// French by default, English on request; the choice persists in localStorage.

import en from "./i18n/en.js";
import fr from "./i18n/fr.js";

const STORAGE_KEY = "cl.lang";
export const LANGS = ["fr", "en"];
export const DEFAULT_TIMEZONE = "Indian/Reunion";

const MESSAGES = { fr, en };

function storedLang() {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return LANGS.includes(v) ? v : "fr";
  } catch {
    return "fr";
  }
}

let current = storedLang();

/** Feature modules bring their own strings ({fr: {...}, en: {...}}) without editing the table above. */
export function addMessages(table) {
  for (const code of LANGS) Object.assign(MESSAGES[code], table[code] || {});
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

/** A calendar date (no time) in the UI locale, e.g. for the day separators of a room. */
export function formatDate(iso, options = { dateStyle: "long" }, timeZone = DEFAULT_TIMEZONE) {
  return formatDateTime(iso, timeZone, options);
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

/** Error codes the client itself produces (no server answer): network down, unknown. */
export const CLIENT_ERROR_CODES = ["network", "unknown"];

/** Whether a server detail adds something a person can act on (which field, what clashed). */
const DETAIL_HELPS = new Set(["bad_request", "conflict", "too_large"]);

/**
 * An error in the person's language, by its protocol `code`. `context` picks a more precise
 * wording when one exists (`error.<context>.<code>`, e.g. a wrong password at sign-in); the
 * server's own text (English) is added only for codes where it names what to fix.
 */
export function errorText(err, context = null) {
  let code = err && err.code;
  if (!code && err instanceof TypeError) code = "network"; // fetch() rejects with a TypeError offline
  if (!code || !(`error.${code}` in MESSAGES.fr)) code = "unknown";
  const specific = context && `error.${context}.${code}` in MESSAGES.fr;
  const vars = { n: Math.max(1, Math.ceil(Number(err && (err.retry_after ?? err.body?.retry_after)) || 1)) };
  const text = t(specific ? `error.${context}.${code}` : `error.${code}`, vars);
  const detail = err && typeof err.message === "string" ? err.message.trim() : "";
  if (specific || !DETAIL_HELPS.has(code) || !detail || /^HTTP \d+$/.test(detail) || detail === code) return text;
  return `${text} ${t("error.detail", { detail })}`;
}
