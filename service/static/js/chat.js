// The chat view: ask, stream the answer in, turn [n] markers into buttons that open the
// cited passage, keep the conversation and send it along with follow-up questions.

import { ApiError, askStreaming } from "./api.js";
import { clear, el } from "./dom.js";
import { t } from "./i18n.js";
import { openPassage, passageButton, whereText } from "./panel.js";

const MAX_HISTORY = 10; // the API accepts at most ten earlier turns
const CLOSEST_SHOWN = 3;
const turns = []; // completed {question, answer} exchanges, oldest first
let inFlight = null; // AbortController of the running request

/** Wire the chat form; call once at start-up. */
export function initChat() {
  const form = document.getElementById("chat-form");
  const input = document.getElementById("chat-input");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  document.getElementById("chat-new").addEventListener("click", newConversation);
}

function newConversation() {
  inFlight?.abort();
  inFlight = null;
  turns.length = 0;
  clear(document.getElementById("chat-log"));
  document.getElementById("chat-empty").hidden = false;
  setBusy(false);
  const input = document.getElementById("chat-input");
  input.value = "";
  input.focus();
}

function setBusy(busy) {
  document.getElementById("chat-send").disabled = busy;
  document.getElementById("chat-form").setAttribute("aria-busy", String(busy));
}

async function submit() {
  const input = document.getElementById("chat-input");
  const question = input.value.trim();
  if (!question || inFlight) return;
  input.value = "";
  document.getElementById("chat-empty").hidden = true;
  const view = appendTurn(question);
  const controller = new AbortController();
  inFlight = controller;
  setBusy(true);
  const payload = { question, history: turns.slice(-MAX_HISTORY) };
  let streamed = "";
  try {
    const final = await askStreaming(payload, {
      signal: controller.signal,
      onDelta: (chunk) => {
        streamed += chunk;
        view.answerText.textContent = streamed;
        view.status.hidden = true;
      },
    });
    renderFinal(view, final);
    turns.push({ question, answer: final.answer });
  } catch (error) {
    if (error.name === "AbortError") return;
    renderError(view, error);
    if (!input.value) input.value = question;
  } finally {
    if (inFlight === controller) {
      inFlight = null;
      setBusy(false);
    }
  }
}

function appendTurn(question) {
  const log = document.getElementById("chat-log");
  const answerText = el("p", { class: "answer-text" });
  const status = el("p", { class: "loading", i18n: "chat.thinking" });
  const answer = el(
    "div",
    { class: "answer", attrs: { "aria-live": "polite", "aria-busy": "true" } },
    [el("h3", { class: "turn-label", i18n: "chat.answer" }), status, answerText],
  );
  const turn = el("article", { class: "turn" }, [
    el("div", { class: "question" }, [
      el("h3", { class: "turn-label", i18n: "chat.you" }),
      el("p", { class: "question-text", text: question }),
    ]),
    answer,
  ]);
  log.append(turn);
  turn.scrollIntoView({ block: "nearest" });
  return { turn, answer, answerText, status };
}

function renderFinal(view, final) {
  view.status.remove();
  const citations = new Map((final.citations ?? []).map((c) => [c.n, c]));
  if (final.grounded) {
    clear(view.answerText).append(...answerNodes(final.answer, citations));
    if (citations.size) view.answer.append(sourceList(final.citations));
  } else {
    view.answer.classList.add("abstained");
    view.answerText.before(el("p", { class: "abstain-text", i18n: "chat.abstain" }));
    view.answerText.textContent = final.answer;
    view.answer.append(closestPassages(final.passages ?? []));
  }
  if (final.notice) {
    view.answer.append(
      el("p", { class: "note" }, [el("strong", { i18n: "chat.notice" }), ": ", final.notice]),
    );
  }
  view.answer.setAttribute("aria-busy", "false");
}

/** The answer text as text nodes, with each [n] that has a citation turned into a button. */
function answerNodes(answer, citations) {
  const nodes = [];
  let last = 0;
  for (const match of answer.matchAll(/\[(\d+)\]/g)) {
    const citation = citations.get(Number(match[1]));
    if (!citation) continue;
    nodes.push(document.createTextNode(answer.slice(last, match.index)));
    nodes.push(citeButton(citation));
    last = match.index + match[0].length;
  }
  nodes.push(document.createTextNode(answer.slice(last)));
  return nodes;
}

function citeButton(citation) {
  const button = el("button", {
    class: "cite",
    text: `[${citation.n}]`,
    attrs: { type: "button", "aria-haspopup": "dialog", "data-n": citation.n },
  });
  button.setAttribute("aria-label", t("chat.cite.open", { n: citation.n, where: whereText(citation) }));
  button.addEventListener("click", () =>
    openPassage(citation.passage_id, {
      quote: citation.quote,
      citation: citation.citation,
      trigger: button,
    }),
  );
  return button;
}

function sourceList(citations) {
  const list = el("ol", { class: "sources" });
  for (const citation of citations) {
    const button = el("button", { class: "source-link", attrs: { type: "button" } }, [
      el("span", { class: "source-n", text: `[${citation.n}]` }),
      el("span", { class: "passage-where", text: whereText(citation) }),
    ]);
    button.addEventListener("click", () =>
      openPassage(citation.passage_id, {
        quote: citation.quote,
        citation: citation.citation,
        trigger: button,
      }),
    );
    list.append(el("li", {}, [button]));
  }
  return el("div", { class: "sources-block" }, [
    el("h4", { class: "turn-label", i18n: "chat.sources" }),
    list,
  ]);
}

function closestPassages(passages) {
  const list = el("ul", { class: "plain-list" });
  for (const passage of passages.slice(0, CLOSEST_SHOWN)) {
    list.append(el("li", {}, [passageButton(passage)]));
  }
  return el("div", { class: "closest" }, [
    el("p", { class: "turn-label", i18n: "chat.abstain.closest" }),
    list,
  ]);
}

function renderError(view, error) {
  view.status.remove();
  view.answer.setAttribute("aria-busy", "false");
  const message = error instanceof ApiError ? error.message : t("error.network");
  const box = el("p", { class: "error", attrs: { role: "alert" } }, [
    el("strong", { i18n: "error.prefix" }),
    ": ",
    el("span", { text: message }),
  ]);
  view.answer.append(box);
}
