// Server-Sent Events over fetch: EventSource cannot POST, so the stream is read with a
// ReadableStream reader and split into events by the rules of the SSE format.

/** Incremental SSE parser: feed() text chunks, get back complete {event, data} records. */
export class SseParser {
  constructor() {
    this.buffer = "";
    this.eventName = "";
    this.dataLines = [];
  }

  /** Parse `chunk` (decoded text); returns the events it completed. */
  feed(chunk) {
    this.buffer += chunk;
    const events = [];
    let match;
    const lineEnd = /\r\n|\r|\n/g;
    let consumed = 0;
    while ((match = lineEnd.exec(this.buffer)) !== null) {
      // a lone \r at the very end may be the first half of \r\n: wait for more input
      if (match[0] === "\r" && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(consumed, match.index);
      consumed = match.index + match[0].length;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(consumed);
    return events;
  }

  /** Flush at end of stream: a final event without its blank line still counts. */
  end() {
    const events = [];
    if (this.buffer) {
      const event = this.line(this.buffer);
      if (event) events.push(event);
      this.buffer = "";
    }
    const last = this.line("");
    if (last) events.push(last);
    return events;
  }

  line(line) {
    if (line === "") {
      if (this.dataLines.length === 0) {
        this.eventName = "";
        return null;
      }
      const event = { event: this.eventName || "message", data: this.dataLines.join("\n") };
      this.eventName = "";
      this.dataLines = [];
      return event;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.eventName = value;
    else if (field === "data") this.dataLines.push(value);
    return null;
  }
}

/** Read an SSE response body, calling onEvent({event, data}) for each event in order. */
export async function readSse(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder("utf-8");
  const parser = new SseParser();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    for (const event of parser.feed(decoder.decode(value, { stream: true }))) onEvent(event);
  }
  for (const event of parser.feed(decoder.decode())) onEvent(event);
  for (const event of parser.end()) onEvent(event);
}
