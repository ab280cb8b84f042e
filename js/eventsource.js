// The standard EventSource class, thin: every decision about connecting,
// parsing and reconnecting is made by the Rust/wasm `Connection`; this class
// only keeps the public state and turns the connection's hooks into events.

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

/** Whether this runtime enforces CORS (a window or a worker, not Node.js). */
const CORS = typeof document !== 'undefined' || typeof WorkerGlobalScope !== 'undefined';

/** The base URL relative URLs resolve against (spec 1). */
function baseURL() {
  if (typeof document !== 'undefined' && document.baseURI) return document.baseURI;
  return globalThis.location?.href;
}

/**
 * Makes the EventSource class. `load()` returns the wasm `Connection` class,
 * or a promise of it while the module is still loading: construction is
 * synchronous either way, and the request starts once the module is ready.
 */
export function defineEventSource(load) {
  class EventSource extends EventTarget {
    #url;
    #withCredentials;
    #readyState = CONNECTING;
    #connection = null;
    #origin = '';
    #handlers = new Map();

    constructor(url, eventSourceInitDict = undefined) {
      super();
      // WebIDL: `url` is required; the init dictionary is undefined, null or an object.
      if (arguments.length < 1) {
        throw new TypeError("Failed to construct 'EventSource': 1 argument required, but only 0 present.");
      }
      const init = eventSourceInitDict ?? {};
      if (typeof init !== 'object' && typeof init !== 'function') {
        throw new TypeError("Failed to construct 'EventSource': The provided value is not of type 'EventSourceInit'.");
      }
      try {
        this.#url = new URL(String(url), baseURL()).href;
      } catch {
        throw new DOMException(`The URL '${url}' is invalid.`, 'SyntaxError');
      }
      this.#withCredentials = Boolean(init.withCredentials);
      const hooks = {
        open: (origin) => {
          if (this.#readyState === CLOSED) return;
          this.#origin = origin;
          this.#readyState = OPEN;
          this.dispatchEvent(new Event('open'));
        },
        message: (type, data, lastEventId) => {
          if (this.#readyState === CLOSED) return;
          this.dispatchEvent(new MessageEvent(type, { data, origin: this.#origin, lastEventId }));
        },
        error: (readyState) => {
          if (this.#readyState === CLOSED) return;
          this.#readyState = readyState;
          if (readyState === CLOSED) this.#release();
          this.dispatchEvent(new Event('error'));
        },
      };
      const start = (Connection) => {
        if (this.#readyState !== CLOSED) {
          this.#connection = new Connection(this.#url, this.#withCredentials, CORS, hooks);
        }
      };
      const loaded = load();
      if (typeof loaded.then === 'function') {
        loaded.then(start, (error) => {
          // The wasm module did not load (a wrong path, a blocked fetch, a CSP
          // without 'wasm-unsafe-eval'): fail the source, and say why.
          console.error('eventsource-wasm: the WebAssembly module did not load', error);
          hooks.error(CLOSED);
        });
      } else {
        start(loaded);
      }
    }

    get url() {
      return this.#url;
    }

    get withCredentials() {
      return this.#withCredentials;
    }

    get readyState() {
      return this.#readyState;
    }

    close() {
      this.#readyState = CLOSED;
      this.#release();
    }

    /** Stops the wasm side (abort, cancel the timer) and frees it. */
    #release() {
      const connection = this.#connection;
      this.#connection = null;
      if (connection) {
        connection.close();
        connection.free();
      }
    }

    get onopen() {
      return this.#getHandler('open');
    }
    set onopen(value) {
      this.#setHandler('open', value);
    }
    get onmessage() {
      return this.#getHandler('message');
    }
    set onmessage(value) {
      this.#setHandler('message', value);
    }
    get onerror() {
      return this.#getHandler('error');
    }
    set onerror(value) {
      this.#setHandler('error', value);
    }

    #getHandler(type) {
      return this.#handlers.get(type)?.callback ?? null;
    }

    // Event handler IDL attributes (HTML, "event handlers"): the first
    // assignment adds a listener; later ones replace the callback, which keeps
    // its place among the listeners; null removes it.
    #setHandler(type, value) {
      const callback = typeof value === 'function' || (typeof value === 'object' && value !== null) ? value : null;
      let handler = this.#handlers.get(type);
      if (callback === null) {
        if (handler) {
          this.removeEventListener(type, handler.listener);
          this.#handlers.delete(type);
        }
        return;
      }
      if (handler) {
        handler.callback = callback;
        return;
      }
      handler = {
        callback,
        listener: (event) => {
          if (typeof handler.callback === 'function') handler.callback.call(this, event);
        },
      };
      this.#handlers.set(type, handler);
      this.addEventListener(type, handler.listener);
    }
  }

  const constant = (value) => ({ value, enumerable: true, writable: false, configurable: false });
  const constants = { CONNECTING: constant(CONNECTING), OPEN: constant(OPEN), CLOSED: constant(CLOSED) };
  // WebIDL: attributes and operations are enumerable (class members are not).
  for (const name of ['url', 'withCredentials', 'readyState', 'onopen', 'onmessage', 'onerror', 'close']) {
    Object.defineProperty(EventSource.prototype, name, { enumerable: true });
  }
  // Minifiers rename classes; the name is part of the interface.
  Object.defineProperty(EventSource, 'name', { value: 'EventSource' });
  Object.defineProperties(EventSource, constants);
  Object.defineProperties(EventSource.prototype, {
    ...constants,
    [Symbol.toStringTag]: { value: 'EventSource', configurable: true },
  });
  return EventSource;
}
