// Entry point of the web chat: views, language toggle, service status and the API-key prompt.

import { initBrowse, enterBrowse } from "./js/browse.js";
import { initChat } from "./js/chat.js";
import { initClaims } from "./js/claims.js";
import { ApiError, onApiKeyRequired, requestJson, storeApiKey } from "./js/api.js";
import { applyTranslations, bindText, lang, setLang } from "./js/i18n.js";
import { initPanel } from "./js/panel.js";

const VIEWS = ["chat", "check", "browse"];

function currentView() {
  const name = window.location.hash.replace(/^#/, "");
  return VIEWS.includes(name) ? name : "chat";
}

function showView({ focus = false } = {}) {
  const name = currentView();
  for (const view of VIEWS) {
    document.getElementById(`view-${view}`).hidden = view !== name;
    const link = document.getElementById(`nav-${view}`);
    if (view === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (name === "browse") enterBrowse();
  if (focus) document.getElementById(`${name}-heading`).focus();
}

function updateLangToggle() {
  const toggle = document.getElementById("lang-toggle");
  toggle.setAttribute("lang", lang() === "nl" ? "en" : "nl");
}

async function checkHealth() {
  const text = document.getElementById("service-status-text");
  const retry = document.getElementById("service-retry");
  const box = document.getElementById("service-status");
  bindText(text, "status.checking");
  retry.hidden = true;
  box.className = "service-status";
  try {
    const health = await requestJson("/health");
    bindText(text, "status.ok", { passages: health.passages });
    box.classList.add("ok");
  } catch (error) {
    const down = !(error instanceof ApiError) || error.status === 0 || error.status >= 500;
    if (down) showServiceDown();
    else {
      text.textContent = error.message;
      box.classList.add("down");
      retry.hidden = false;
    }
  }
}

function showServiceDown() {
  const box = document.getElementById("service-status");
  bindText(document.getElementById("service-status-text"), "status.down");
  box.className = "service-status down";
  document.getElementById("service-retry").hidden = false;
}

/** Show the API-key dialog; resolves true when the user saved a key. */
function promptForKey({ rejected }) {
  const dialog = document.getElementById("key-dialog");
  const input = document.getElementById("key-input");
  document.getElementById("key-wrong").hidden = !rejected;
  input.value = "";
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        const saved = dialog.returnValue === "save" && input.value.trim() !== "";
        if (saved) storeApiKey(input.value.trim());
        resolve(saved);
      },
      { once: true },
    );
    dialog.returnValue = "";
    dialog.showModal();
  });
}

function start() {
  applyTranslations();
  updateLangToggle();
  document.getElementById("lang-toggle").addEventListener("click", () => {
    setLang(lang() === "nl" ? "en" : "nl");
    updateLangToggle();
  });
  onApiKeyRequired(promptForKey);
  document.getElementById("service-retry").addEventListener("click", checkHealth);
  window.addEventListener("service-unreachable", showServiceDown);
  window.addEventListener("hashchange", () => showView({ focus: true }));
  initPanel();
  initChat();
  initClaims();
  initBrowse();
  showView();
  checkHealth();
}

start();
