// Avatars beside people's names (messages, presence, attendee lists): one small element returned
// at once and filled when the person's picture is known. Names shown together are asked for in
// one request (GET /api/people?u=a,b,c); a person without a picture gets their initial.

import { get } from "./api.js";
import { h } from "./dom.js";

const known = new Map(); // username -> {display_name, avatar}
const waiting = new Map(); // username -> [element]
let timer = null;

function paint(el, username, info) {
  el.replaceChildren();
  el.title = info && info.display_name && info.display_name !== username ? `${info.display_name} (${username})` : username;
  if (info && info.avatar) {
    el.append(h("img", { src: info.avatar, alt: "", width: el.dataset.size, height: el.dataset.size, loading: "lazy" }));
    el.dataset.avatar = "image";
  } else {
    // Drawn by CSS (::after), so the element adds no text beside the name it decorates.
    el.dataset.initial = (username || "?").slice(0, 1).toUpperCase();
    let hash = 0;
    for (const c of username || "") hash = (hash * 31 + c.charCodeAt(0)) % 360;
    el.style.background = `hsl(${hash} 45% 42%)`;
    el.dataset.avatar = "initial";
  }
}

async function flush() {
  timer = null;
  const names = [...waiting.keys()].filter((n) => !known.has(n));
  if (!names.length) return;
  try {
    const data = await get(`people?u=${encodeURIComponent(names.slice(0, 200).join(","))}`);
    for (const [name, info] of Object.entries(data.items || {})) known.set(name, info);
  } catch {
    for (const name of names) known.set(name, null); // initials: the page works without pictures
  }
  for (const [name, elements] of waiting) {
    if (!known.has(name)) continue;
    for (const el of elements) paint(el, name, known.get(name));
    waiting.delete(name);
  }
  if (waiting.size) timer = setTimeout(flush, 30);
}

/** A decorative avatar (the name is written beside it): an image, or the initial on a colour. */
export function avatar(username, size = 24) {
  const el = h("span", { class: "avatar", "aria-hidden": "true", "data-testid": "avatar", "data-user": username || "", "data-size": String(size) });
  el.style.width = el.style.height = `${size}px`;
  if (known.has(username)) {
    paint(el, username, known.get(username));
    return el;
  }
  paint(el, username, null);
  if (!waiting.has(username)) waiting.set(username, []);
  waiting.get(username).push(el);
  if (!timer) timer = setTimeout(flush, 30);
  return el;
}

/** After the user changed their own picture or name. */
export function forget(username) {
  known.delete(username);
}
