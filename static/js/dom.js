// DOM building without HTML strings: user content only ever lands in text nodes.

/**
 * h("button", {class: "x", "data-testid": "send", onclick: fn}, "text", childNode)
 * `text` sets textContent; on<event> adds a listener; other attributes use setAttribute;
 * false/null attribute values are skipped. String children become text nodes.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value == null) continue;
    if (name === "text") el.textContent = String(value);
    else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "value") el.value = value;
    else if (name === "checked" || name === "disabled" || name === "hidden") el[name] = Boolean(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** A labelled form field: <label for> + control, so every control has an accessible name. */
let fieldCounter = 0;
export function field(labelText, control, hint) {
  const id = control.id || `f${++fieldCounter}`;
  control.id = id;
  const parts = [h("label", { for: id, text: labelText }), control];
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("small", { id: hintId, class: "hint", text: hint }));
  }
  return h("div", { class: "field" }, parts);
}

/** Run `move` (which takes nodes out of the page and puts them back elsewhere) without losing the
 * focus: a moved element loses it, and on a phone its keyboard closes under the typing fingers.
 * The element that had the focus gets it back, with its caret or selection, if it is still in the
 * page; nothing else changes. */
export function keepingFocus(move) {
  const active = document.activeElement;
  const range = active && typeof active.selectionStart === "number" ? [active.selectionStart, active.selectionEnd, active.selectionDirection] : null;
  move();
  if (!active || active === document.body || active === document.activeElement || !active.isConnected) return;
  active.focus({ preventScroll: true });
  if (range) active.setSelectionRange(...range);
}
