// The browse view: table of contents, chapter 8's findings and recommendations, and the
// glossary of acronyms; every entry opens the report's passages in the side panel.

import { ApiError, requestJson } from "./api.js";
import { clear, el } from "./dom.js";
import { t } from "./i18n.js";
import { openPassage, openPassageList } from "./panel.js";

const TABS = ["toc", "findings", "glossary"];
const loaded = new Set();
const SEARCH_HITS = 8;

/** Wire the browse sub-tabs; content loads the first time a tab is shown. */
export function initBrowse() {
  for (const name of TABS) {
    document.getElementById(`browse-tab-${name}`).addEventListener("click", () => showTab(name));
  }
}

/** Called when the browse view becomes visible. */
export function enterBrowse() {
  const active = TABS.find(
    (name) => document.getElementById(`browse-tab-${name}`).getAttribute("aria-pressed") === "true",
  );
  showTab(active ?? "toc");
}

function showTab(name) {
  for (const other of TABS) {
    document.getElementById(`browse-tab-${other}`).setAttribute("aria-pressed", String(other === name));
    document.getElementById(`browse-${other}`).hidden = other !== name;
  }
  if (!loaded.has(name)) load(name);
}

const LOADERS = {
  toc: () => requestJson("/api/sections").then(renderToc),
  findings: () => requestJson("/api/findings").then(renderFindings),
  glossary: () => requestJson("/api/glossary").then(renderGlossary),
};

async function load(name) {
  const target = document.getElementById(`browse-${name}-body`);
  clear(target).append(el("p", { class: "loading", i18n: "browse.loading", attrs: { role: "status" } }));
  try {
    const content = await LOADERS[name]();
    clear(target).append(content);
    loaded.add(name);
  } catch (error) {
    const message = error instanceof ApiError ? error.message : t("error.network");
    clear(target).append(
      el("p", { class: "error", attrs: { role: "alert" } }, [
        el("strong", { i18n: "error.prefix" }),
        ": ",
        el("span", { text: message }),
      ]),
    );
  }
}

/** A button that opens `passageId`; `label` is {text} or {i18n}. */
function openButton(label, passageId, { className = "link-button" } = {}) {
  const button = el("button", { class: className, ...label, attrs: { type: "button" } });
  button.addEventListener("click", () => openPassage(passageId, { trigger: button }));
  return button;
}

function renderToc(data) {
  const chapters = el("ol", { class: "toc" });
  for (const chapter of data.chapters ?? []) {
    const sections = el("ol", { class: "toc-sections" });
    for (const section of chapter.sections ?? []) {
      const first = section.passage_ids?.[0];
      const label = [section.section ? `§${section.section}` : "", section.title]
        .filter(Boolean)
        .join(" ");
      sections.append(
        el("li", {}, [
          first ? openButton({ text: label }, first) : el("span", { text: label }),
          passageCount(section.passage_ids?.length ?? 0),
        ]),
      );
    }
    const heading = [chapter.chapter, chapter.title].filter(Boolean).join(". ");
    chapters.append(el("li", {}, [el("h3", { class: "toc-chapter", text: heading }), sections]));
  }
  return chapters;
}

function passageCount(count) {
  const i18n = count === 1 ? "browse.passages.one" : ["browse.passages", { count }];
  return el("span", { class: "count", i18n });
}

function renderFindings(data) {
  const list = el("ol", { class: "findings" });
  for (const finding of data.findings ?? []) {
    const item = el("li", { class: "finding" }, [
      el("h3", {}, [el("span", { i18n: "browse.finding" }), ` ${finding.label}`]),
      el("p", { class: "finding-text", text: finding.text }),
    ]);
    if (finding.passage_ids?.length) {
      item.append(openButton({ i18n: "browse.open" }, finding.passage_ids[0], { className: "secondary" }));
    }
    if (finding.recommendations?.length) {
      const recs = el("ul", { class: "recommendations" });
      for (const rec of finding.recommendations) {
        recs.append(
          el("li", {}, [
            el("p", { text: rec.text }),
            openButton({ i18n: "browse.open" }, rec.passage_id, { className: "secondary" }),
          ]),
        );
      }
      item.append(el("h4", { i18n: "browse.recommendations" }), recs);
    }
    list.append(item);
  }
  if (!list.childElementCount) return el("p", { i18n: "browse.empty" });
  return list;
}

function renderGlossary(data) {
  const entries = data.entries ?? [];
  const filter = el("input", {
    attrs: { type: "search", id: "glossary-filter", autocomplete: "off" },
  });
  const rows = el("tbody");
  const table = el("table", { class: "glossary" }, [
    el("thead", {}, [
      el("tr", {}, [
        el("th", { i18n: "browse.term", attrs: { scope: "col" } }),
        el("th", { i18n: "browse.expansion", attrs: { scope: "col" } }),
      ]),
    ]),
    rows,
  ]);
  for (const entry of entries) {
    const button = el("button", {
      class: "link-button",
      text: entry.acronym,
      attrs: { type: "button" },
    });
    button.addEventListener("click", () =>
      openPassageList(
        `${entry.acronym} — ${entry.expansion}`,
        () =>
          requestJson("/api/search", {
            method: "POST",
            body: { query: entry.acronym, top_k: SEARCH_HITS },
          }).then((response) => response.results ?? []),
        { trigger: button },
      ),
    );
    const row = el("tr", { dataset: { term: `${entry.acronym} ${entry.expansion}`.toLowerCase() } }, [
      el("th", { attrs: { scope: "row" } }, [button]),
      el("td", { text: entry.expansion }),
    ]);
    rows.append(row);
  }
  filter.addEventListener("input", () => {
    const needle = filter.value.trim().toLowerCase();
    for (const row of rows.children) row.hidden = Boolean(needle) && !row.dataset.term.includes(needle);
  });
  const label = el("label", { i18n: "browse.glossary.filter", attrs: { for: "glossary-filter" } });
  const fragment = document.createDocumentFragment();
  fragment.append(el("div", { class: "field" }, [label, filter]), table);
  return fragment;
}
