// The stream's request, made the same way whoever makes it: the driver
// (src/wasm/driver.rs) for every attempt of a connection, and the class
// (js/eventsource.js) for a source's first one while the wasm is still loading:
// that one leaves at construction (`early`), and the connection, once made,
// takes it over in flight (`adopt`) instead of making its own.

const DROPPED = ['Authorization', 'Proxy-Authorization', 'Cookie', 'Host'];

/** `text` UTF-8 encoded as a header value carries it (spec 11): `Headers` takes a ByteString, one character per byte. */
const byteString = (text) => Array.from(new TextEncoder().encode(text), (byte) => String.fromCharCode(byte)).join('');

/**
 * Makes the request: the headers (a function's awaited) with `Accept`, `Last-Event-ID`
 * (`lastEventId`, undefined for none, UTF-8 encoded; or, with the option
 * `lastEventIdQueryParameter`, in that query parameter of the URL) and without the
 * credentials headers if asked, the
 * options' method, body, credentials mode and fetch; settles with the response
 * (`responded`), the failure of fetch (`fetchFailed`) or of making the request
 * (`requestFailed`).
 */
export function request(options, url, lastEventId, dropCredentials, signal, attempt, settle, responded, fetchFailed, requestFailed) {
  let kind = requestFailed;
  new Promise((resolve) => resolve(typeof options.headers === 'function' ? options.headers() : options.headers))
    .then((init) => {
      const headers = new Headers(init ?? undefined);
      if (dropCredentials) for (const name of DROPPED) headers.delete(name);
      if (!headers.has('accept')) headers.set('Accept', 'text/event-stream');
      const param = options.lastEventIdQueryParameter;
      if (lastEventId === undefined || param) headers.delete('Last-Event-ID');
      else headers.set('Last-Event-ID', byteString(lastEventId));
      if (param) {
        // The ID in the URL instead (Mercure's `lastEventID`): no CORS preflight. The
        // parameter is set to the ID, or removed.
        const target = new URL(url);
        if (lastEventId === undefined) target.searchParams.delete(param);
        else target.searchParams.set(param, lastEventId);
        url = target.href;
      }
      const { fetch: custom, method = 'GET', body, credentials = 'same-origin' } = options;
      const request = { method, headers, mode: 'cors', credentials, cache: 'no-store', redirect: 'follow', signal };
      if (body !== undefined) request.body = body;
      kind = fetchFailed;
      return custom ? custom(url, request) : fetch(url, request);
    })
    .then((response) => {
      // Read structurally: a custom fetch may return another library's Response (undici's).
      if (typeof response?.status !== 'number') throw new TypeError('the fetch option did not resolve to a Response');
      return response;
    })
    .then(
      (response) =>
        settle(
          attempt,
          responded,
          response,
          response.status,
          response.headers.get('content-type'),
          response.redirected ? response.url : undefined,
        ),
      (error) => settle(attempt, kind, error, 0),
    );
}

/**
 * How many first requests leave before the wasm has loaded, at most (the sources made after
 * them make theirs once it has). A browser opens six HTTP/1.1 connections per host, and the
 * wasm's own request must not wait behind streams that wait for it: Firefox may send it
 * after requests made later (seen once in tests/many, a page that opens ten at once).
 */
export const EARLY_MAX = 5;
let earlyMade = 0;

/**
 * A source's first request, made before its connection exists (the wasm is loading): the
 * request the connection's first attempt would make (the options' `lastEventId`, if any;
 * the credentials headers kept), after the current task's microtasks, as the connection's
 * own would be. What it settles with waits for `adopt`. `stopped()`: `window.stop()` was
 * called meanwhile (the class tells the connection). Aborted with `controller`. Undefined
 * past the first EARLY_MAX of the realm: that source's connection makes its request.
 */
export function early(options, url) {
  if (earlyMade >= EARLY_MAX) return undefined;
  earlyMade++;
  const controller = new AbortController();
  const id = options.lastEventId || undefined;
  const made = { controller, settled: null, wasStopped: false, stopped: () => (made.wasStopped = true) };
  made.settled = new Promise((resolve) =>
    queueMicrotask(() => request(options, url, id, false, controller.signal, 0, (_, ...result) => resolve(result), 0, 1, 2)),
  );
  return made;
}

/**
 * The connection takes `made` over as its first attempt's request (the machine's first
 * request is always the one `early` makes: the tests of `Machine::request`): it settles into `settle` as
 * `attempt`, with the kinds given. Returns its AbortController.
 */
export function adopt(made, attempt, settle, responded, fetchFailed, requestFailed) {
  const kinds = [responded, fetchFailed, requestFailed];
  made.settled.then(([kind, value, status, contentType, responseURL]) =>
    settle(attempt, kinds[kind], value, status, contentType, responseURL),
  );
  return made.controller;
}

/** The source closed (or its connection was made another way): the request is aborted. */
export function abandon(made) {
  made.controller.abort();
}
