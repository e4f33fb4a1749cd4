// The HTTP client for the answer service: JSON calls, the SSE answer stream, the optional
// API key (asked once on a 401, kept in sessionStorage) and readable error messages.

import { t } from "./i18n.js";
import { readSse } from "./sse.js";

const KEY_STORAGE = "minusma-qa.api-key";
const MAX_KEY_PROMPTS = 3;
let askForKey = async () => false;

/** An error the user should read: `message` is already human-readable. */
export class ApiError extends Error {
  constructor(message, { status = 0 } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** Register the function that asks the user for an API key; resolves true when one was given. */
export function onApiKeyRequired(handler) {
  askForKey = handler;
}

export function storedApiKey() {
  try {
    return window.sessionStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

export function storeApiKey(key) {
  try {
    if (key) window.sessionStorage.setItem(KEY_STORAGE, key);
    else window.sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // sessionStorage blocked: the key is simply not remembered
  }
}

function headers(hasBody) {
  const result = { Accept: "application/json" };
  if (hasBody) result["Content-Type"] = "application/json";
  const key = storedApiKey();
  if (key) result["X-API-Key"] = key;
  return result;
}

/** FastAPI's `detail` is a string or a list of validation errors: make one sentence of it. */
export function detailMessage(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item) => (item && typeof item === "object" ? item.msg ?? JSON.stringify(item) : item))
      .map((message) => String(message).replace(/^Value error, /, ""))
      .join("; ");
  }
  if (detail && typeof detail === "object") return detail.message ?? JSON.stringify(detail);
  return "";
}

async function errorFrom(response) {
  let detail = "";
  try {
    detail = detailMessage((await response.json()).detail);
  } catch {
    // body is not JSON: fall back to the status line
  }
  return new ApiError(detail || t("error.server", { status: response.status }), {
    status: response.status,
  });
}

async function send(path, { method = "GET", body, signal, accept } = {}) {
  for (let attempt = 0; ; attempt++) {
    let response;
    try {
      const init = { method, headers: headers(body !== undefined), signal };
      if (accept) init.headers.Accept = accept;
      if (body !== undefined) init.body = JSON.stringify(body);
      response = await fetch(path, init);
    } catch (error) {
      if (error.name === "AbortError") throw error;
      window.dispatchEvent(new CustomEvent("service-unreachable"));
      throw new ApiError(t("error.network"));
    }
    if (response.status === 401 && attempt < MAX_KEY_PROMPTS) {
      const hadKey = Boolean(storedApiKey());
      if (await askForKey({ rejected: hadKey })) continue;
    }
    if (!response.ok) throw await errorFrom(response);
    return response;
  }
}

/** GET or POST JSON; resolves to the parsed body or throws ApiError with the server's detail. */
export async function requestJson(path, options = {}) {
  const response = await send(path, options);
  return response.json();
}

/**
 * Ask a question with the answer streamed: onDelta(text) for each chunk of answer text,
 * resolves to the final response ({answer, grounded, citations, passages, ...}).
 * Falls back to the non-streaming endpoint when the stream endpoint is missing.
 */
export async function askStreaming(payload, { onDelta, signal }) {
  let response;
  try {
    response = await send("/api/ask/stream", {
      method: "POST",
      body: payload,
      signal,
      accept: "text/event-stream",
    });
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
      const final = await requestJson("/api/ask", { method: "POST", body: payload, signal });
      onDelta(final.answer);
      return final;
    }
    throw error;
  }
  let final = null;
  let failure = null;
  await readSse(response, ({ event, data }) => {
    if (event === "delta") onDelta(data); // raw answer text, newlines kept
    else if (event === "final") final = JSON.parse(data);
    else if (event === "error") failure = parseFailure(data);
  });
  if (failure) throw failure;
  if (!final) throw new ApiError(t("error.stream"));
  return final;
}

function parseFailure(data) {
  try {
    const value = JSON.parse(data);
    return new ApiError(detailMessage(value.detail ?? value) || t("error.stream"));
  } catch {
    return new ApiError(data || t("error.stream"));
  }
}
