// Interface strings in Dutch (default) and English; elements carry data-i18n keys so a
// language switch re-translates everything already on the page.

const STRINGS = {
  nl: {
    "app.title": "MINUSMA-evaluatie: vraag en antwoord",
    "app.subtitle": "Antwoorden met bronvermelding uit het IOB-rapport (2022)",
    "skip.main": "Naar de inhoud",
    "nav.label": "Onderdelen",
    "nav.chat": "Vragen",
    "nav.check": "Beweringen controleren",
    "nav.browse": "Bladeren",
    "lang.toggle": "English",
    "lang.toggle.label": "Switch the interface to English",
    "chat.heading": "Stel een vraag over het rapport",
    "chat.label": "Uw vraag",
    "chat.hint": "Enter verstuurt, Shift+Enter geeft een nieuwe regel.",
    "chat.placeholder": "Bijvoorbeeld: wat was het doel van ASIFU?",
    "chat.send": "Vraag stellen",
    "chat.new": "Nieuw gesprek",
    "chat.empty": "Nog geen vragen gesteld. Elk antwoord bestaat uit zinnen uit het rapport, met een verwijzing [n] naar de vindplaats.",
    "chat.you": "Uw vraag",
    "chat.answer": "Antwoord",
    "chat.thinking": "Antwoord wordt opgehaald…",
    "chat.log": "Gesprek",
    "chat.cite.open": "Open bron {n}: {where}",
    "chat.sources": "Bronnen",
    "chat.abstain": "Het rapport geeft hier geen antwoord op.",
    "chat.abstain.closest": "Passages die er het dichtst bij komen:",
    "chat.notice": "Let op",
    "check.heading": "Beweringen controleren",
    "check.intro": "Plak een alinea uit een notitie. Elke zin wordt opgezocht in het rapport.",
    "check.label": "Tekst om te controleren",
    "check.submit": "Controleren",
    "check.busy": "Bezig met controleren…",
    "check.results": "Resultaat",
    "check.notfound": "Niet gevonden in het rapport.",
    "check.closest": "Dichtstbijzijnde passage",
    "check.support": "Onderbouwing",
    "check.parts.supported": "Wel in het rapport",
    "check.parts.unsupported": "Niet in het rapport gevonden",
    "check.none": "Geen zinnen gevonden in de tekst.",
    "check.summary": "{total} zinnen: {supported} onderbouwd, {partial} gedeeltelijk, {not_found} niet gevonden.",
    "check.summary.one": "1 zin: {supported} onderbouwd, {partial} gedeeltelijk, {not_found} niet gevonden.",
    "verdict.supported": "Onderbouwd",
    "verdict.partial": "Gedeeltelijk",
    "verdict.not_found": "Niet gevonden",
    "browse.heading": "Bladeren door het rapport",
    "browse.toc": "Inhoudsopgave",
    "browse.findings": "Bevindingen en aanbevelingen (hoofdstuk 8)",
    "browse.glossary": "Afkortingen",
    "browse.loading": "Laden…",
    "browse.finding": "Bevinding",
    "browse.recommendations": "Aanbevelingen",
    "browse.passages": "{count} passages",
    "browse.passages.one": "1 passage",
    "browse.open": "Open passage",
    "browse.term": "Afkorting",
    "browse.expansion": "Betekenis",
    "browse.glossary.filter": "Zoek een afkorting",
    "browse.empty": "Niets gevonden.",
    "panel.label": "Bron in context",
    "panel.close": "Sluiten",
    "panel.prev": "Vorige passage",
    "panel.next": "Volgende passage",
    "panel.page": "pagina {page}",
    "panel.paragraph": "alinea {paragraph}",
    "panel.copy": "Bronvermelding kopiëren",
    "panel.copied": "Gekopieerd",
    "panel.copy.manual": "Kopiëren lukte niet; selecteer de tekst en druk op Ctrl+C.",
    "panel.citation": "Bronvermelding",
    "panel.loading": "Passage wordt geladen…",
    "panel.context.before": "Daarvoor",
    "panel.context.after": "Daarna",
    "panel.quote.missing": "Het geciteerde fragment kon niet in de passage worden aangewezen.",
    "kind.body": "tekst",
    "kind.footnote": "voetnoot",
    "kind.finding": "bevinding",
    "kind.recommendation": "aanbeveling",
    "kind.box": "kader",
    "kind.caption": "bijschrift",
    "kind.table": "tabel",
    "status.checking": "Verbinding met de dienst wordt gecontroleerd…",
    "status.ok": "{passages} passages geïndexeerd",
    "status.down": "De dienst is niet bereikbaar. Controleer of de server draait (make run) en probeer het opnieuw.",
    "status.retry": "Opnieuw proberen",
    "error.prefix": "Fout",
    "error.network": "Geen verbinding met de dienst. Controleer of de server draait en probeer het opnieuw.",
    "error.server": "De dienst gaf een fout ({status}).",
    "error.stream": "Het antwoord werd onderbroken. Probeer het opnieuw.",
    "key.title": "API-sleutel nodig",
    "key.text": "Deze server vraagt om een API-sleutel. De sleutel wordt alleen voor deze browsersessie bewaard.",
    "key.label": "API-sleutel",
    "key.save": "Opslaan",
    "key.cancel": "Annuleren",
    "key.wrong": "De sleutel werd niet geaccepteerd.",
    "footer.text": "Antwoorden zijn letterlijke zinnen uit: IOB (2022), Evaluatie van de Nederlandse bijdrage aan MINUSMA 2014-2019.",
  },
  en: {
    "app.title": "MINUSMA evaluation: questions and answers",
    "app.subtitle": "Answers with references from the IOB report (2022)",
    "skip.main": "Skip to content",
    "nav.label": "Sections",
    "nav.chat": "Ask",
    "nav.check": "Check claims",
    "nav.browse": "Browse",
    "lang.toggle": "Nederlands",
    "lang.toggle.label": "Zet de interface in het Nederlands",
    "chat.heading": "Ask a question about the report",
    "chat.label": "Your question",
    "chat.hint": "Enter sends, Shift+Enter adds a new line.",
    "chat.placeholder": "For example: what was the purpose of ASIFU?",
    "chat.send": "Ask",
    "chat.new": "New conversation",
    "chat.empty": "No questions yet. Every answer consists of sentences from the report, with a reference [n] to where they are found.",
    "chat.you": "Your question",
    "chat.answer": "Answer",
    "chat.thinking": "Fetching the answer…",
    "chat.log": "Conversation",
    "chat.cite.open": "Open source {n}: {where}",
    "chat.sources": "Sources",
    "chat.abstain": "No clear answer found in the report.",
    "chat.abstain.closest": "The closest passages:",
    "chat.notice": "Note",
    "check.heading": "Check claims",
    "check.intro": "Paste a paragraph from a briefing. Each sentence is looked up in the report.",
    "check.label": "Text to check",
    "check.submit": "Check",
    "check.busy": "Checking…",
    "check.results": "Result",
    "check.notfound": "Not found in the report.",
    "check.closest": "Closest passage",
    "check.support": "Support",
    "check.parts.supported": "Supported by the report",
    "check.parts.unsupported": "Not found in the report",
    "check.none": "No sentences found in the text.",
    "check.summary": "{total} sentences: {supported} supported, {partial} partial, {not_found} not found.",
    "check.summary.one": "1 sentence: {supported} supported, {partial} partial, {not_found} not found.",
    "verdict.supported": "Supported",
    "verdict.partial": "Partial",
    "verdict.not_found": "Not found",
    "browse.heading": "Browse the report",
    "browse.toc": "Table of contents",
    "browse.findings": "Findings and recommendations (chapter 8)",
    "browse.glossary": "Acronyms",
    "browse.loading": "Loading…",
    "browse.finding": "Finding",
    "browse.recommendations": "Recommendations",
    "browse.passages": "{count} passages",
    "browse.passages.one": "1 passage",
    "browse.open": "Open passage",
    "browse.term": "Acronym",
    "browse.expansion": "Meaning",
    "browse.glossary.filter": "Find an acronym",
    "browse.empty": "Nothing found.",
    "panel.label": "Source in context",
    "panel.close": "Close",
    "panel.prev": "Previous passage",
    "panel.next": "Next passage",
    "panel.page": "page {page}",
    "panel.paragraph": "paragraph {paragraph}",
    "panel.copy": "Copy reference",
    "panel.copied": "Copied",
    "panel.copy.manual": "Copying failed; select the text and press Ctrl+C.",
    "panel.citation": "Reference",
    "panel.loading": "Loading passage…",
    "panel.context.before": "Before",
    "panel.context.after": "After",
    "panel.quote.missing": "The quoted fragment could not be located in the passage.",
    "kind.body": "text",
    "kind.footnote": "footnote",
    "kind.finding": "finding",
    "kind.recommendation": "recommendation",
    "kind.box": "box",
    "kind.caption": "caption",
    "kind.table": "table",
    "status.checking": "Checking the connection to the service…",
    "status.ok": "{passages} passages indexed",
    "status.down": "The service cannot be reached. Check that the server is running (make run) and try again.",
    "status.retry": "Try again",
    "error.prefix": "Error",
    "error.network": "No connection to the service. Check that the server is running and try again.",
    "error.server": "The service returned an error ({status}).",
    "error.stream": "The answer was interrupted. Please try again.",
    "key.title": "API key required",
    "key.text": "This server requires an API key. The key is kept for this browser session only.",
    "key.label": "API key",
    "key.save": "Save",
    "key.cancel": "Cancel",
    "key.wrong": "The key was not accepted.",
    "footer.text": "Answers are verbatim sentences from: IOB (2022), Evaluation of the Dutch contribution to MINUSMA 2014-2019.",
  },
};

const STORAGE_KEY = "minusma-qa.lang";
const LANGS = Object.keys(STRINGS);
let current = readStoredLang();

function readStoredLang() {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    return LANGS.includes(stored) ? stored : "nl";
  } catch {
    return "nl";
  }
}

/** The active interface language ("nl" or "en"). */
export function lang() {
  return current;
}

/** The string for `key` in the active language, with {name} placeholders filled in. */
export function t(key, params = {}) {
  const template = STRINGS[current][key] ?? STRINGS.nl[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    name in params ? String(params[name]) : whole,
  );
}

/** Whether `key` has an interface string (report data such as a passage kind may not). */
export function hasText(key) {
  return key in STRINGS.nl;
}

/** Set the text of `node` from `key` and remember the key so a language switch updates it. */
export function bindText(node, key, params) {
  node.dataset.i18n = key;
  if (params) node.dataset.i18nParams = JSON.stringify(params);
  else delete node.dataset.i18nParams;
  node.textContent = t(key, params);
  return node;
}

/** Re-translate every element under `root` that carries data-i18n / data-i18n-* keys. */
export function applyTranslations(root = document) {
  document.documentElement.lang = current;
  for (const node of root.querySelectorAll("[data-i18n]")) {
    const params = node.dataset.i18nParams ? JSON.parse(node.dataset.i18nParams) : undefined;
    node.textContent = t(node.dataset.i18n, params);
  }
  for (const attr of ["placeholder", "aria-label", "title"]) {
    const dataKey = `i18n${attr.replace(/(^|-)(\w)/g, (m, dash, c) => c.toUpperCase())}`;
    for (const node of root.querySelectorAll(`[data-i18n-${attr}]`)) {
      node.setAttribute(attr, t(node.dataset[dataKey]));
    }
  }
}

/** Switch the interface language, persist it, and re-translate the page. */
export function setLang(next) {
  if (!LANGS.includes(next)) return;
  current = next;
  try {
    window.localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // storage blocked (private mode): the switch still applies to this page
  }
  applyTranslations();
}
