// The resume test's test: a deliberately wrong EventSource, so that the runner can show
// that its resumption check catches what counting events cannot.
//
// `LazyCrEventSource` is a small fetch-based EventSource (Node.js or a page) that is right
// in everything the resume test exercises but one: a CR at the end of what has arrived
// waits for the next character before it ends its line (a CRLF split across chunks is
// a classic). Spec 15 says a CR ends a line at once. So when a response ends between the
// CR and the LF of the blank line that dispatches an event, or right after a blank line's
// lone CR, this client never dispatches that event and resumes one event early. It still
// gets every event exactly once (the server sends the event again), so only the server's
// resumption check can tell.

export class LazyCrEventSource extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;

  constructor(url, { lastEventId = '' } = {}) {
    super();
    this.url = url;
    this.lastEventId = lastEventId;
    this.readyState = 0;
    this.onopen = this.onmessage = this.onerror = null;
    this.controller = null;
    this.#connect();
  }

  close() {
    this.readyState = 2;
    this.controller?.abort();
  }

  async #connect() {
    if (this.readyState === 2) return;
    this.controller = new AbortController();
    const headers = { Accept: 'text/event-stream' };
    if (this.lastEventId) headers['Last-Event-ID'] = this.lastEventId;
    let response;
    try {
      response = await fetch(this.url, { headers, cache: 'no-store', signal: this.controller.signal });
    } catch {
      this.#reconnect();
      return;
    }
    if (response.status !== 200 || !/^text\/event-stream\b/.test(response.headers.get('content-type') ?? '')) {
      this.readyState = 2;
      this.onerror?.(new Event('error'));
      return;
    }
    this.readyState = 1;
    this.onopen?.(new Event('open'));
    const decoder = new TextDecoder(); // strips the BOM
    let text = '';
    let data = [];
    let id = this.lastEventId;
    try {
      for await (const chunk of response.body) {
        text += decoder.decode(chunk, { stream: true });
        for (;;) {
          const end = /\r\n|\n|\r(?=[^\n])/.exec(text); // the bug: a trailing CR waits
          if (!end) break;
          const line = text.slice(0, end.index);
          text = text.slice(end.index + end[0].length);
          if (line === '') {
            if (data.length) {
              this.lastEventId = id;
              this.onmessage?.(new MessageEvent('message', { data: data.join('\n'), lastEventId: id }));
            }
            data = [];
            if (this.readyState === 2) return;
          } else if (line[0] !== ':') {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            let value = colon < 0 ? '' : line.slice(colon + 1);
            if (value[0] === ' ') value = value.slice(1);
            if (field === 'data') data.push(value);
            else if (field === 'id' && !value.includes('\0')) id = value;
          }
        }
      }
    } catch {
      // a network error: reconnect, as at the end of the body
    }
    this.#reconnect();
  }

  #reconnect() {
    if (this.readyState === 2) return;
    this.readyState = 0;
    this.onerror?.(new Event('error'));
    setTimeout(() => this.#connect(), 1);
  }
}
