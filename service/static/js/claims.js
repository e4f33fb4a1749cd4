// The claim-check view: a pasted paragraph is split into claims by the service; each is
// shown with its verdict and the passage that supports it, or "not found in the report".

import { ApiError, requestJson } from "./api.js";
import { clear, el } from "./dom.js";
import { t } from "./i18n.js";
import { citationBox, openPassage, whereText } from "./panel.js";

const VERDICT_SYMBOL = { supported: "✓", partial: "≈", not_found: "✗" };
let running = false;

/** Wire the claim-check form; call once at start-up. */
export function initClaims() {
  document.getElementById("check-form").addEventListener("submit", (event) => {
    event.preventDefault();
    check();
  });
}

async function check() {
  const input = document.getElementById("check-input");
  const text = input.value.trim();
  const output = document.getElementById("check-results");
  if (!text || running) return;
  running = true;
  const button = document.getElementById("check-submit");
  button.disabled = true;
  output.setAttribute("aria-busy", "true");
  clear(output).append(el("p", { class: "loading", i18n: "check.busy", attrs: { role: "status" } }));
  try {
    const response = await requestJson("/api/cite/batch", { method: "POST", body: { text } });
    clear(output).append(...renderResults(response.results ?? []));
  } catch (error) {
    const message = error instanceof ApiError ? error.message : t("error.network");
    clear(output).append(
      el("p", { class: "error", attrs: { role: "alert" } }, [
        el("strong", { i18n: "error.prefix" }),
        ": ",
        el("span", { text: message }),
      ]),
    );
  } finally {
    running = false;
    button.disabled = false;
    output.setAttribute("aria-busy", "false");
  }
}

function renderResults(results) {
  if (results.length === 0) return [el("p", { i18n: "check.none" })];
  const counts = { total: results.length, supported: 0, partial: 0, not_found: 0 };
  for (const result of results) counts[result.verdict] = (counts[result.verdict] ?? 0) + 1;
  const list = el("ol", { class: "claims" });
  for (const result of results) list.append(renderClaim(result));
  return [
    el("h3", { i18n: "check.results" }),
    el("p", {
      class: "summary",
      i18n: [counts.total === 1 ? "check.summary.one" : "check.summary", counts],
    }),
    list,
  ];
}

function renderClaim(result) {
  const item = el("li", { class: `claim verdict-${result.verdict}` }, [
    el("div", { class: "claim-head" }, [verdictBadge(result.verdict)]),
    el("p", { class: "claim-text", text: result.claim }),
  ]);
  const best = (result.matches ?? [])[0];
  if (result.verdict === "not_found" || !best) {
    item.append(el("p", { class: "notfound", i18n: "check.notfound" }));
    if (best) item.append(closestMatch(best));
    return item;
  }
  if (result.verdict === "partial") item.append(...partsBlock(result));
  item.append(supportBlock(best));
  return item;
}

/** For a partial verdict: which clauses of the claim the report supports, and which not. */
function partsBlock(result) {
  const parts = [];
  for (const [key, texts] of [
    ["check.parts.supported", result.supported_parts ?? []],
    ["check.parts.unsupported", result.unsupported_parts ?? []],
  ]) {
    if (texts.length === 0) continue;
    parts.push(
      el("p", { class: "context-label", i18n: key }),
      el("ul", { class: "claim-parts" }, texts.map((text) => el("li", { text }))),
    );
  }
  return parts;
}

function verdictBadge(verdict) {
  return el("span", { class: `badge badge-${verdict}` }, [
    el("span", { text: VERDICT_SYMBOL[verdict] ?? "?", attrs: { "aria-hidden": "true" } }),
    " ",
    el("span", { i18n: `verdict.${verdict}` }),
  ]);
}

function supportBlock(match) {
  const open = el("button", {
    class: "secondary",
    i18n: "browse.open",
    attrs: { type: "button" },
  });
  open.addEventListener("click", () =>
    openPassage(match.passage_id, { quote: match.quote, citation: match.citation, trigger: open }),
  );
  return el("div", { class: "support" }, [
    el("p", { class: "context-label" }, [
      el("span", { i18n: "check.support" }),
      ` — ${whereText(match)}`,
    ]),
    el("blockquote", { class: "quote", text: match.quote }),
    citationBox(match.citation),
    open,
  ]);
}

function closestMatch(match) {
  const summary = el("summary", { i18n: "check.closest" });
  const open = el("button", { class: "secondary", i18n: "browse.open", attrs: { type: "button" } });
  open.addEventListener("click", () =>
    openPassage(match.passage_id, { quote: match.quote, citation: match.citation, trigger: open }),
  );
  const details = el("details", { class: "closest" }, [
    summary,
    el("p", { class: "context-label", text: whereText(match) }),
    el("blockquote", { class: "quote", text: match.quote || match.text }),
    open,
  ]);
  return details;
}
