// The side panel: a passage in context (section, page, previous and next passages, the
// quoted sentence marked) with a copy-citation button; or a short list of passages.

import { ApiError, requestJson } from "./api.js";
import { clear, el, highlighted, sectionLabel } from "./dom.js";
import { bindText, hasText, t } from "./i18n.js";

const panel = () => document.getElementById("panel");
const body = () => document.getElementById("panel-body");
const title = () => document.getElementById("panel-title");
let returnFocusTo = null;
let loadToken = 0;

/** Wire the close button and Escape key; call once at start-up. */
export function initPanel() {
  document.getElementById("panel-close").addEventListener("click", closePanel);
  panel().addEventListener("keydown", (event) => {
    if (event.key === "Escape") closePanel();
  });
}

export function closePanel() {
  loadToken += 1;
  panel().hidden = true;
  document.body.classList.remove("panel-open");
  if (returnFocusTo && document.contains(returnFocusTo)) returnFocusTo.focus();
  returnFocusTo = null;
}

function show(trigger, titleKey) {
  if (trigger) returnFocusTo = trigger;
  bindText(title(), titleKey);
  panel().hidden = false;
  document.body.classList.add("panel-open");
  title().focus();
}

function passagePath(id) {
  return `/api/passages/${encodeURIComponent(id)}`;
}

/**
 * Open passage `passageId` in context. `quote` is marked in the text; `citation` (the
 * reference of the answer or claim) is what "copy" copies, else the passage's own.
 */
export async function openPassage(passageId, { quote = "", citation = "", trigger = null } = {}) {
  const token = ++loadToken;
  show(trigger, "panel.label");
  clear(body()).append(el("p", { class: "loading", i18n: "panel.loading", attrs: { role: "status" } }));
  try {
    const passage = await requestJson(passagePath(passageId));
    const [prev, next] = await Promise.all([
      passage.prev_id ? requestJson(passagePath(passage.prev_id)).catch(() => null) : null,
      passage.next_id ? requestJson(passagePath(passage.next_id)).catch(() => null) : null,
    ]);
    if (token !== loadToken) return;
    clear(body()).append(renderContext(passage, { prev, next, quote, citation }));
  } catch (error) {
    if (token !== loadToken) return;
    clear(body()).append(errorBox(error));
  }
}

/** Open a list of passages (e.g. search hits for an acronym); each item opens in context. */
export async function openPassageList(titleText, loadItems, { trigger = null } = {}) {
  const token = ++loadToken;
  show(trigger, "panel.label");
  clear(body()).append(el("p", { class: "loading", i18n: "panel.loading", attrs: { role: "status" } }));
  try {
    const items = await loadItems();
    if (token !== loadToken) return;
    const list = el("ul", { class: "plain-list" });
    for (const item of items) list.append(el("li", {}, [passageButton(item)]));
    if (items.length === 0) list.append(el("li", { i18n: "browse.empty" }));
    clear(body()).append(el("h3", { class: "panel-section", text: titleText }), list);
  } catch (error) {
    if (token !== loadToken) return;
    clear(body()).append(errorBox(error));
  }
}

/** A button showing where a passage is and its first words; opens it in the panel. */
export function passageButton(passage, { quote = "", citation = "" } = {}) {
  const button = el("button", { class: "passage-link", attrs: { type: "button" } }, [
    el("span", { class: "passage-where", text: whereText(passage) }),
    el("span", { class: "passage-snippet", text: snippet(passage.text ?? "", 180) }),
  ]);
  button.addEventListener("click", () =>
    openPassage(passage.passage_id, { quote, citation, trigger: button }),
  );
  return button;
}

/** "§4.3.4 Title · alinea 3 · pagina 96" */
export function whereText(record) {
  const parts = [sectionLabel(record)];
  if (record.paragraph) parts.push(t("panel.paragraph", { paragraph: record.paragraph }));
  if (record.page) parts.push(t("panel.page", { page: record.page }));
  return parts.filter(Boolean).join(" · ");
}

export function snippet(text, limit) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > limit ? `${flat.slice(0, limit - 1).trimEnd()}…` : flat;
}

function errorBox(error) {
  const message = error instanceof ApiError ? error.message : t("error.network");
  return el("p", { class: "error", attrs: { role: "alert" } }, [
    el("strong", { i18n: "error.prefix" }),
    ": ",
    el("span", { text: message }),
  ]);
}

function renderContext(passage, { prev, next, quote, citation }) {
  const fragment = document.createDocumentFragment();
  fragment.append(
    el("h3", { class: "panel-section", text: sectionLabel(passage) || passage.passage_id }),
    metaLine(passage),
  );
  if (prev) fragment.append(contextBlock(prev, "panel.context.before", passage));
  const { fragment: text, found } = highlighted(passage.text, quote);
  fragment.append(
    el("div", { class: "passage-main", attrs: { "data-passage-id": passage.passage_id } }, [
      el("p", { class: "passage-text" }, [text]),
    ]),
  );
  if (quote && !found) fragment.append(el("p", { class: "note", i18n: "panel.quote.missing" }));
  if (next) fragment.append(contextBlock(next, "panel.context.after", passage));
  fragment.append(navButtons(passage), citationBox(citation || passage.citation));
  return fragment;
}

function metaLine(passage) {
  const parts = [];
  if (passage.page) parts.push(el("span", { i18n: ["panel.page", { page: passage.page }] }));
  if (passage.paragraph) {
    parts.push(el("span", { i18n: ["panel.paragraph", { paragraph: passage.paragraph }] }));
  }
  if (passage.kind) {
    const key = `kind.${passage.kind}`;
    parts.push(el("span", hasText(key) ? { i18n: key } : { text: passage.kind }));
  }
  const line = el("p", { class: "meta" });
  parts.forEach((part, i) => line.append(...(i ? [" · ", part] : [part])));
  return line;
}

function contextBlock(passage, labelKey, main) {
  const otherSection = passage.section !== main.section;
  return el("div", { class: "passage-context" }, [
    el("p", { class: "context-label" }, [
      el("span", { i18n: labelKey }),
      otherSection ? ` — ${sectionLabel(passage)}` : "",
    ]),
    el("p", { class: "passage-text", text: passage.text }),
  ]);
}

function navButtons(passage) {
  const nav = el("div", { class: "panel-nav" });
  for (const [id, key] of [
    [passage.prev_id, "panel.prev"],
    [passage.next_id, "panel.next"],
  ]) {
    if (!id) continue;
    const button = el("button", { class: "secondary", i18n: key, attrs: { type: "button" } });
    button.addEventListener("click", () => openPassage(id, { trigger: returnFocusTo }));
    nav.append(button);
  }
  return nav;
}

/** The reference as selectable text plus a copy button with a visible, announced result. */
export function citationBox(citation) {
  const text = el("p", { class: "citation-text", text: citation });
  const status = el("span", { class: "copy-status", attrs: { role: "status" } });
  const button = el("button", { class: "copy", i18n: "panel.copy", attrs: { type: "button" } });
  button.addEventListener("click", async () => {
    const ok = await copyText(citation);
    if (ok) bindText(status, "panel.copied");
    else {
      bindText(status, "panel.copy.manual");
      selectText(text);
    }
  });
  return el("div", { class: "citation-box" }, [
    el("p", { class: "context-label", i18n: "panel.citation" }),
    text,
    el("div", { class: "copy-row" }, [button, status]),
  ]);
}

/** Copy `text` to the clipboard: the async Clipboard API, else a hidden textarea + execCommand. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // permission denied or unavailable: try the legacy path below
  }
  const area = el("textarea", { class: "offscreen", attrs: { readonly: "", "aria-hidden": "true" } });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

function selectText(node) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}
