// DOM helpers. Report text and user text only ever enter the page through textContent
// (or text nodes); nothing in this app assigns innerHTML.

import { bindText } from "./i18n.js";

/**
 * Create an element. `props` may hold: text (set as textContent), i18n (a string key,
 * or [key, params]), class, attrs (attributes), dataset, on (event listeners).
 */
export function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.text !== undefined && props.text !== null) node.textContent = String(props.text);
  if (props.i18n) {
    const [key, params] = Array.isArray(props.i18n) ? props.i18n : [props.i18n];
    bindText(node, key, params);
  }
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value);
  }
  for (const [name, value] of Object.entries(props.dataset ?? {})) node.dataset[name] = value;
  for (const [type, handler] of Object.entries(props.on ?? {})) node.addEventListener(type, handler);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Remove all children of `node`. */
export function clear(node) {
  node.replaceChildren();
  return node;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Where `quote` occurs in `text`: [start, end] or null. Exact match first, then a match
 * that tolerates different whitespace, line breaks and soft hyphens, then case-insensitive.
 */
export function findQuote(text, quote) {
  const needle = (quote ?? "").trim();
  if (!text || !needle) return null;
  const exact = text.indexOf(needle);
  if (exact >= 0) return [exact, exact + needle.length];
  const words = needle.split(/[\s\u00ad]+/).filter(Boolean).map(escapeRegExp);
  const pattern = words.join("[\\s\\u00ad-]*\\s*");
  for (const flags of ["u", "iu"]) {
    const match = new RegExp(pattern, flags).exec(text);
    if (match) return [match.index, match.index + match[0].length];
  }
  return null;
}

/**
 * A fragment holding `text` with `quote` wrapped in <mark>, built from text nodes.
 * Returns {fragment, found}.
 */
export function highlighted(text, quote) {
  const fragment = document.createDocumentFragment();
  const span = findQuote(text, quote);
  if (!span) {
    fragment.append(document.createTextNode(text));
    return { fragment, found: false };
  }
  const [start, end] = span;
  fragment.append(document.createTextNode(text.slice(0, start)));
  fragment.append(el("mark", { text: text.slice(start, end) }));
  fragment.append(document.createTextNode(text.slice(end)));
  return { fragment, found: true };
}

/** "§4.3.4 Title" for a passage-like record. */
export function sectionLabel(record) {
  const section = record.section ? `§${record.section}` : "";
  return [section, record.section_title].filter(Boolean).join(" ");
}
