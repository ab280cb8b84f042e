// Scripted SSE endpoints, as data, shared by the fixture server (server.mjs) and the
// in-page tests (tests.mjs). Pure ES module: no Node APIs, so the browser can import it.
//
// A scenario is served at `/sse/<name>?run=<id>` on any origin of the fixture server.
// The server keeps, per (name, run), a connection counter and a log of request headers.
// `responses[n]` answers the n-th connection (0-based); the last one repeats after that.
// `byLastEventId` (optional) picks a response by the request's Last-Event-ID instead
// (key '' = header absent); it wins over `responses` when the key is present.
// `allowHeaders` (optional): the Access-Control-Allow-Headers of the scenario's preflights
// ('' allows none); by default they allow every header the preflight asks for.
//
// A response:
//   status        HTTP status, default 200
//   type          Content-Type; default 'text/event-stream'; null = no Content-Type header
//   headers       extra response headers
//   cors          false (default, no CORS headers) | '*' | 'origin' (echo Origin, no
//                 credentials) | 'credentials' (echo Origin + Allow-Credentials: true)
//   setCookie     a Set-Cookie value (`{run}` is replaced by the run id)
//   redirect      { status, to: { origin: 'A'|'B'|'same', scenario } } (no body) or
//                 { status } alone for a 3xx without Location
//   destroy       true: destroy the socket as soon as the request arrives (no response)
//   headersNever  true: never send the response head (stays pending until the client goes)
//   chunks        body, an array of chunks written one `write` each (with a short pause
//                 between them); a chunk is a Uint8Array, a string (UTF-8), or
//                 { signal: 'name' } = wait until the page sends that signal for the run.
//                 May be a function (query, request) => array, evaluated on the server
//                 only; `request` is the server's log record (method, headers, body).
//   pauseMs       pause between chunks (default 3)
//   end           'hang' (default: keep the response open until the client goes),
//                 'end' (finish the body cleanly), 'destroy' (destroy the socket mid-body),
//                 'reset' (a TCP RST mid-body: a network error in every browser)
//   after         'close-listener': once the body is finished, close the listener that
//                 served it and drop its sockets (used with /ctl/flaky, origin C)
//
// Expected results never depend on how the chunks are coalesced on the way.

const enc = new TextEncoder();

/** Concatenate strings (UTF-8 encoded), byte arrays and Uint8Arrays into one Uint8Array. */
export function bytes(...parts) {
  const arrs = parts.map((p) => (typeof p === 'string' ? enc.encode(p) : p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrs.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrs) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

/** Split a byte array into chunks of `size` bytes. */
export function chunked(buf, size) {
  const out = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

const BOM = [0xef, 0xbb, 0xbf];

// ---------------------------------------------------------------------------------------
// The tricky stream (spec 14, 15, 16, 17, 19, 22, 23): a leading BOM, CRLF / CR / LF line
// endings (so that splitting lands between CR and LF), 2-, 3- and 4-byte UTF-8 sequences,
// invalid bytes, a second BOM (data), a NUL in an id. Fed whole, one byte per chunk, and
// split in two at every offset: the events must be the same every time.
export const TRICKY = bytes(
  BOM,
  'id: 1\r\n',
  'data: a\r\n',
  'data: é€𝄞\r\n',
  '\r\n', //                                     -> message "a\né€𝄞", id 1
  ': comment\r',
  'event: t\r',
  'data: b',
  [0xff],
  'c',
  [0xc3],
  '\r', //       0xFF -> U+FFFD; C3 then CR -> U+FFFD, CR
  '\r', //                                       -> t "b\uFFFDc\uFFFD", id 1
  BOM,
  'data: x\n', //                           BOM not at stream start: field "\uFEFFdata"
  '\n', //                                       no data -> nothing dispatched
  'data: ',
  BOM,
  'y\n', //                       BOM inside a value is data
  'data:',
  [0xf0, 0x9f, 0x98],
  'z\n', //         truncated 4-byte sequence -> one U+FFFD
  'id: 2',
  [0x00],
  'x\n', //                     id containing NUL -> field ignored
  '\n', //                                       -> message "\uFEFFy\n\uFFFDz", id 1
  'id: 3\r\n',
  'data: end\n\n', //             -> message "end", id 3
);
export const TRICKY_EVENTS = [
  { type: 'message', data: 'a\né€𝄞', lastEventId: '1' },
  { type: 't', data: 'b\uFFFDc\uFFFD', lastEventId: '1' },
  { type: 'message', data: '\uFEFFy\n\uFFFDz', lastEventId: '1' },
  { type: 'message', data: 'end', lastEventId: '3' },
];

// Invalid UTF-8 (spec 14): one U+FFFD per maximal subpart, as the Encoding standard says.
export const INVALID_UTF8 = bytes(
  'data: 1',
  [0xff],
  '\n\n', //                      lone invalid byte            -> 1
  'data: 2',
  [0xc0, 0xaf],
  '\n\n', //                overlong (C0 never valid)     -> 2
  'data: 3',
  [0xed, 0xa0, 0x80],
  '\n\n', //          UTF-16 surrogate               -> 3
  'data: 4',
  [0xf4, 0x90, 0x80, 0x80],
  '\n\n', //    above U+10FFFF                 -> 4
  'data: 5',
  [0xe2, 0x82],
  '!\n\n', //               truncated 3-byte sequence      -> 1
  'data: 6',
  [0x80, 0x80],
  '\n\n', //                stray continuation bytes       -> 2
  'data: 7',
  [0xf0, 0x9f, 0x98, 0x80],
  '\n\n', //    valid 4-byte (U+1F600)
  'data: 8',
  [0xe2, 0x82],
  '\n', //                  truncated at end of line        -> 1
  '\n',
);
export const INVALID_UTF8_DATA = [
  '1\uFFFD',
  '2\uFFFD\uFFFD',
  '3\uFFFD\uFFFD\uFFFD',
  '4\uFFFD\uFFFD\uFFFD\uFFFD',
  '5\uFFFD!',
  '6\uFFFD\uFFFD',
  '7\u{1F600}',
  '8\uFFFD',
];

// The large event: 4 MiB of data in one `data:` line, mixed ASCII and multi-byte UTF-8
// (so 64 KiB chunk borders split characters), then a small event.
const LARGE_UNIT = 'abcdefghijklmnopqrstuvwxyz0123456789 é€𝄞 ABCDEFGHIJKLMNOPQRSTUVWXYZ\t';
let largeCache;
export function largeData() {
  if (!largeCache) {
    const unitBytes = enc.encode(LARGE_UNIT).length;
    largeCache = LARGE_UNIT.repeat(Math.ceil((4 << 20) / unitBytes));
  }
  return largeCache;
}
/** FNV-1a over UTF-16 code units; the page hashes what it received, the runner the expectation. */
export function fnv1a(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export const MANY_COUNT = 5000;
function manyBody() {
  let s = '';
  for (let i = 1; i <= MANY_COUNT; i++) s += `id: ${i}\ndata: ${i}\n\n`;
  return bytes(s);
}

// ---------------------------------------------------------------------------------------
// Building blocks.

/** A stream that sets a short reconnection time, sends one event and ends: the connection
 *  after it shows whether (and how) the client reconnects. */
const PRIME = { chunks: ['retry: 30\ndata: primed\n\n'], end: 'end' };
const primeWith = (extra) => ({ ...PRIME, ...extra });

/** `fail-X` (fails at once) and `fail-X-primed` (first connection fine, then fails). */
function failing(name, response) {
  return {
    [`fail-${name}`]: { responses: [response] },
    [`fail-${name}-primed`]: { responses: [PRIME, response] },
  };
}

export const STATUS_FAILURES = {
  201: { status: 201, chunks: ['data: not-200\n\n'] },
  204: { status: 204 },
  205: { status: 205 },
  '302-no-location': { redirect: { status: 302 } },
  404: { status: 404, type: 'text/event-stream', chunks: ['data: not-found\n\n'] },
  500: { status: 500, chunks: ['data: error\n\n'] },
  503: { status: 503, headers: { 'Retry-After': '0' }, chunks: ['data: unavailable\n\n'] },
};

/** Content-Types whose essence is not text/event-stream: fail (spec 6). */
export const BAD_TYPES = {
  'text/plain': 'text/plain',
  'no header': null,
  'text/html': 'text/html; charset=utf-8',
  'text/event-streams': 'text/event-streams',
  'text/event-stream-x': 'text/event-stream-x;charset=utf-8',
  'application/octet-stream': 'application/octet-stream',
};
/** Content-Types whose essence is text/event-stream: accepted (spec 6); the charset
 *  parameter is ignored, the body is always UTF-8 (spec 14). */
export const GOOD_TYPES = {
  plain: 'text/event-stream',
  'charset=utf-8': 'text/event-stream; charset=utf-8',
  'trailing ;': 'text/event-stream;',
  'upper case': 'TEXT/Event-Stream',
  'space before ;': 'text/event-stream ;charset=UTF-8',
  'quoted param': 'text/event-stream; foo="bar;baz"',
  'charset=iso-8859-1 (ignored)': 'text/event-stream; charset=iso-8859-1',
};

export const REDIRECT_STATUSES = [301, 302, 303, 307, 308];

// ---------------------------------------------------------------------------------------
export const scenarios = {
  // A stream that opens and stays silent.
  idle: { responses: [{ chunks: [] }] },
  'idle-cors': { responses: [{ cors: '*', chunks: [] }] },
  // Response head never sent: the client stays CONNECTING.
  'no-headers': { responses: [{ headersNever: true }] },
  basic: { responses: [{ chunks: ['data: hello\n\n'] }] },
  // For poking by hand: the body is the `body` query parameter (UTF-8), then silence.
  raw: { responses: [{ chunks: (q) => [q.get('body') ?? ''] }] },
  // The same, but the body ends (so the client reconnects; again and again).
  'raw-end': { responses: [{ chunks: (q) => [q.get('body') ?? ''], end: 'end' }] },
  // The page sends signal 'go' before the second event (used by the GC test).
  'two-on-signal': { responses: [{ chunks: ['data: 1\n\n', { signal: 'go' }, 'data: 2\n\n'] }] },
  'headers-check': { responses: [{ chunks: ['data: ok\n\n'] }] },

  // spec 16, 17, 18, 25, 26: event types.
  named: {
    responses: [
      {
        chunks: [
          'event: foo\ndata: 1\n\n',
          'data: 2\n\n', //                    type buffer was reset: message
          'event: Message\ndata: 3\n\n', //    case-sensitive: not "message"
          'event:\ndata: 4\n\n', //            empty type: message
          'event: foo\n\n', //                 no data: nothing, and the type is reset
          'data: 5\n\n',
          'event: bar\ndata: 6\n\n', //        nobody listens for bar
          'event:  foo\ndata: 7\n\n', //       type " foo" (one space removed)
          'data: 8\n\n',
        ],
      },
    ],
  },
  // spec 17, 18, 24
  multiline: {
    responses: [{ chunks: ['data: a\ndata:b\ndata\ndata:  c\ndata: \n\n', 'data\n\ndata:\n\n', 'data: end\n\n'] }],
  },
  // spec 16, 17
  'comments-fields': {
    responses: [
      {
        chunks: [
          ': hello\n:\n::\ndata: x\nDATA: y\nfoo: bar\nData: z\n:data: w\ndata : v\n\n',
          'data:x\n\n', //                      no space after the colon
          'data:\tx\n\n', //                    a tab is not removed
          'ev\n',
          'data: end\n\n',
        ],
      },
    ],
  },
  // spec 23, 26
  'empty-dispatch': {
    responses: [
      {
        chunks: ['\n\n\n', 'event: foo\n\n', 'data: x\n\n', 'event: foo\nretry: 1000000\n\ndata: y\n\n', 'data: end\n\n'],
      },
    ],
  },
  // spec 15
  'line-endings': {
    responses: [
      {
        chunks: [
          'data: a\r\ndata: b\rdata: c\n\r\n', //  "a\nb\nc"
          'data: d\r\r', //                        CR CR: line, then empty line
          'data: e\n\n',
          'data: f\r\n\r\n',
          'data: g\r',
          '\ndata: h\r',
          '\n\r',
          '\n', // CR | LF split across chunks
          'data: end\n\n',
        ],
      },
    ],
  },
  // spec 19, 22, 25
  ids: {
    responses: [
      {
        chunks: [
          'id: 1\ndata: a\n\n',
          'data: b\n\n', //                        id persists
          'id\ndata: c\n\n', //                    empty id resets to ""
          'id: 2\ndata: d\n\n',
          'id:\ndata: e\n\n', //                   empty id (with colon) resets too
          'id:  3 \ndata: f\n\n', //               one leading space removed: " 3 "
          'id: é€𝄞\ndata: g\n\n',
          'data: h\nid: 4\n\n', //                 the id applies to the event it is in
        ],
      },
    ],
  },
  // spec 22: an event with no data still sets the last event ID.
  'id-only': {
    responses: [
      {
        chunks: ['id: 1\ndata: a\n\n', 'id: 2\n\n', 'data: b\n\n', 'event: foo\nid: 3\n\n', 'data: c\n\n', 'id\n\n', 'data: d\n\n'],
      },
    ],
  },
  // spec 19: an id containing U+0000 is ignored (the rest of the event is not).
  'id-nul': {
    responses: [
      {
        chunks: [
          'id: 1\ndata: a\n\n',
          'id: x\0y\ndata: b\n\n',
          'data: c\nid: 2\0\n\n',
          'id: \0\ndata: d\n\n',
          'id:\0\ndata: e\n\n',
          'data: end\n\n',
        ],
      },
    ],
  },
  // spec 14: BOM handling
  bom: {
    responses: [
      {
        chunks: [
          bytes(BOM, BOM, 'data: 1\n\n'), //      second BOM: field "\uFEFFdata" ignored
          bytes('data: 2\n\n'),
          bytes(BOM, 'data: 3\n\n'), //           BOM mid-stream: ignored field
          bytes('data: ', BOM, '4\n\n'),
        ],
      },
    ],
  },
  'bom-split': { responses: [{ chunks: [bytes([0xef]), bytes([0xbb]), bytes([0xbf], 'data: 1\n\n'), 'data: end\n\n'] }] },
  'invalid-utf8': { responses: [{ chunks: [INVALID_UTF8] }] },
  // The tricky stream one byte per chunk, and split in two at offset ?split=k.
  'tricky-bytes': { responses: [{ chunks: () => chunked(TRICKY, 1), pauseMs: 1 }] },
  'tricky-split': {
    responses: [
      {
        chunks: (q) => {
          const k = Number(q.get('split'));
          return [TRICKY.subarray(0, k), TRICKY.subarray(k)];
        },
        pauseMs: 2,
      },
    ],
  },
  large: {
    responses: [
      {
        chunks: () => chunked(bytes('data: ', largeData(), '\n\ndata: after\n\n'), 64 * 1024),
        pauseMs: 1,
      },
    ],
  },
  many: {
    responses: [{ chunks: () => chunked(manyBody(), 7919), pauseMs: 1 }],
  },

  // spec 8, 21: the partial event is discarded at end of stream and does not leak into
  // the next connection.
  'partial-discard': {
    responses: [
      { chunks: ['retry: 30\ndata: a\n\ndata: partial\n', 'event: leak\ndata: more'], end: 'end' },
      { chunks: ['\n', 'data: b\n\n'] },
    ],
  },
  // spec 8, 9, 10, 11, 20, 22: reconnect with Last-Event-ID (non-ASCII: UTF-8 on the wire).
  reconnect: {
    responses: [{ chunks: ['retry: 200\nid: 1\ndata: a\n\n', 'id: é€𝄞\ndata: b\n\n'], end: 'end' }, { chunks: ['data: c\n\n'] }],
  },
  // spec 20: invalid retry values are ignored; a retry in a discarded event still counts.
  'retry-invalid': {
    responses: [
      {
        chunks: ['data: a\n\n', 'retry: 150\nretry: 9000 \nretry: -1\nretry: 1e3\nretry: 99x\nretry: +5\nretry: ５\n'],
        end: 'end',
      },
      { chunks: ['data: b\n\n'] },
    ],
  },
  // spec 11, 19: an empty id resets the last event ID: no Last-Event-ID header.
  'id-reset': {
    responses: [{ chunks: ['retry: 30\nid: 5\ndata: a\n\nid\ndata: b\n\n'], end: 'end' }, { chunks: ['data: c\n\n'] }],
  },
  // spec 5, 8: the socket is reset in the middle of the body: reconnect.
  // spec 8, 21: a TCP RST mid-event, once the page has had every byte (it signals `go`
  // after `a`, which came in the same chunk): the pending data, type and partial line go.
  'rst-mid-event': {
    responses: [
      { chunks: ['retry: 30\nid: 1\ndata: a\n\ndata: pending\nevent: leak\ndata: par', { signal: 'go' }], end: 'reset' },
      { chunks: ['data: b\n\n'] },
    ],
  },
  // The socket is destroyed once the page has dispatched `a` (signal `go`): destroyed at
  // once, Chromium's own class sometimes dropped bytes it had received but not yet parsed,
  // and never saw `a`.
  'mid-stream-reset': {
    responses: [{ chunks: ['retry: 30\nid: 1\ndata: a\n\ndata: part', { signal: 'go' }], end: 'destroy' }, { chunks: ['data: b\n\n'] }],
  },
  // spec 5, 9, 11: the server resets the connection twice before any response, then serves.
  // `Connection: close` so that the resets hit fresh connections (an HTTP stack silently
  // retries a request whose reused keep-alive connection was reset; Firefox's also
  // retries on fresh ones, so how many `error`s the page sees is the HTTP stack's call).
  'reset-then-serve': {
    responses: [
      { chunks: ['retry: 30\nid: 7\ndata: a\n\n'], end: 'end', headers: { Connection: 'close' } },
      { destroy: true },
      { destroy: true },
      { chunks: ['data: b\n\n'] },
    ],
  },
  // spec 5: the whole server goes away (connection refused) and comes back. Served on a
  // separate listener (origin C, /ctl/flaky) that closes after the first response.
  'down-up': {
    responses: [
      { cors: '*', chunks: ['retry: 300\nid: 7\ndata: a\n\n'], end: 'end', after: 'close-listener' },
      { cors: '*', chunks: ['data: b\n\n'] },
    ],
  },

  // spec 2, 6, 25: redirects. `redir-S-B` redirects to origin B, `redir-S-A` to origin A.
  ...Object.fromEntries(
    REDIRECT_STATUSES.flatMap((s) => [
      [`redir-${s}-B`, { responses: [{ redirect: { status: s, to: { origin: 'B', scenario: 'redir-target' } } }] }],
      [`redir-${s}-A`, { responses: [{ redirect: { status: s, to: { origin: 'A', scenario: 'redir-target' } } }] }],
    ]),
  ),
  'redir-target': {
    responses: [
      { cors: '*', chunks: ['retry: 30\nid: r1\ndata: first\n\n'], end: 'end' },
      { cors: '*', chunks: ['data: again\n\n'] },
    ],
  },
  'redir-to-404': { responses: [{ redirect: { status: 302, to: { origin: 'A', scenario: 'fail-404' } } }] },
  'redir-to-B-nocors': { responses: [{ redirect: { status: 302, to: { origin: 'B', scenario: 'cors-none' } } }] },

  // spec 2, 5: CORS.
  'cors-star': { responses: [{ cors: '*', chunks: ['data: hi\n\n'] }] },
  'cors-none': { responses: [{ cors: false, chunks: ['data: secret\n\n'] }] },
  'cors-none-primed': { responses: [primeWith({ cors: '*' }), { cors: false, chunks: ['data: secret\n\n'] }] },
  'cors-origin': { responses: [{ cors: 'origin', chunks: ['data: hi\n\n'] }] },
  'cors-star-setcookie': {
    responses: [{ cors: '*', setCookie: 'nocred_{run}=1; Path=/; SameSite=Lax', chunks: ['data: hi\n\n'] }],
  },
  // spec 5, 11: Last-Event-ID is not CORS-safelisted, so a cross-origin fetch() carrying it
  // is preflighted, which the native class never does; these preflights allow no header.
  'lei-preflight-refused': {
    allowHeaders: '',
    responses: [
      { cors: 'origin', chunks: ['retry: 30\nid: 1\ndata: a\n\n'], end: 'end' },
      { cors: 'origin', chunks: (q, req) => [req.lastEventId === '1' ? 'data: resumed\n\n' : 'data: from the start\n\n'] },
    ],
  },
  // spec 5, 12: the reconnection, with Last-Event-ID, gets no CORS headers at all.
  'lei-cors-none': {
    responses: [
      { cors: '*', chunks: ['retry: 30\nid: 1\ndata: a\n\n'], end: 'end' },
      { cors: false, chunks: ['data: secret\n\n'] },
    ],
  },
  'cors-credentials': {
    responses: [
      {
        cors: 'credentials',
        setCookie: 'fromstream_{run}=1; Path=/; SameSite=Lax',
        chunks: ['retry: 30\ndata: hi\n\n'],
        end: 'end',
      },
      { cors: 'credentials', chunks: ['data: again\n\n'] },
    ],
  },

  // WPT eventsource-cross-origin.window.js, "redirect use recon" (resources/status-reconnect.py):
  // the first answer sets a cookie (no Path, HttpOnly) and has no event, only `retry: 2`;
  // the reconnection must carry the cookie. (WPT's answer also has a Content-Length, which
  // our diagnostics rightly call out: left out here.)
  'cors-credentials-recon': {
    responses: [
      {
        cors: 'credentials',
        setCookie: 'recon_{run}=200; HttpOnly',
        chunks: ['retry: 2\n'],
        end: 'end',
      },
      { cors: 'credentials', chunks: ['data: data\n\n'] },
    ],
  },

  // spec 13: close().
  'close-in-message': {
    responses: [{ chunks: ['data: 1\n\ndata: 2\n\nevent: x\ndata: 3\n\n', 'data: 4\n\n'] }],
  },
  'close-onopen': { responses: [{ chunks: ['data: 1\n\ndata: 2\n\n'] }] },
  'close-reconnect-wait': {
    responses: [{ chunks: ['retry: 300\ndata: a\n\n'], end: 'end' }, { chunks: ['data: b\n\n'] }],
  },

  ...Object.assign({}, ...Object.entries(STATUS_FAILURES).map(([k, r]) => failing(k, r))),
  ...Object.fromEntries(
    Object.entries(BAD_TYPES).map(([k, t], i) => [`bad-type-${i}`, { responses: [{ type: t, chunks: ['data: x\n\n'], end: 'end' }] }]),
  ),
  // The response head alone must decide (spec 6, 7): these bodies stay open and short.
  'open-type-text-plain': { responses: [{ type: 'text/plain', chunks: ['data: x\n\n'] }] },
  'open-type-none': { responses: [{ type: null, chunks: ['data: x\n\n'] }] },
  'bad-type-primed': { responses: [PRIME, { type: 'text/plain', chunks: ['data: x\n\n'], end: 'end' }] },
  ...Object.fromEntries(
    Object.entries(GOOD_TYPES).map(([k, t], i) => [`good-type-${i}`, { responses: [{ type: t, chunks: ['data: é\n\n'] }] }]),
  ),
};

// ---------------------------------------------------------------------------------------
// The extensions (extensions.mjs): the `x-` scenarios.

/** The SSE stream the `x-echo` endpoint derives from a request body: a comment, a
 *  `retry:` when the query has one, one event per line of the body (`id: <line number>`,
 *  type `echo` for even line numbers), then an incomplete event the end discards. */
export function echoStream(body, retry) {
  const lines = (body ?? '').split('\n');
  return [
    ':echo\n',
    retry ? `retry: ${retry}\n` : '',
    ...lines.map((l, i) => `id: ${i + 1}\n${(i + 1) % 2 ? '' : 'event: echo\n'}data: ${l}\n\n`),
    'data: incomplete\n',
  ].join('');
}

const stalled = { headersNever: true };
export const extensionScenarios = {
  // The body of the request, echoed as SSE in 5-byte chunks (so UTF-8 sequences and
  // lines are split across chunks), then the end of the body.
  'x-echo': { responses: [{ chunks: (q, req) => chunked(bytes(echoStream(req.body, q.get('retry'))), 5), pauseMs: 2, end: 'end' }] },
  // Ends after each event: every connection is a reconnection with Last-Event-ID.
  'x-reconnect': {
    responses: [
      { chunks: ['id: 1\ndata: a\n\n'], end: 'end' },
      { chunks: ['id: 2\ndata: b\n\n'], end: 'end' },
      { chunks: ['data: c\n\n'] },
    ],
  },
  'x-once': { responses: [{ chunks: ['data: hi\n\n'] }] },
  // Preflights allow X-Client, not Last-Event-ID; the stream allows credentials.
  'x-lei-refused': {
    allowHeaders: 'x-client',
    responses: [
      { cors: 'credentials', chunks: ['retry: 30\nid: 1\ndata: a\n\n'], end: 'end' },
      { cors: 'credentials', chunks: ['data: b\n\n'] },
    ],
  },
  // A server that refuses every CORS preflight (403): a cross-origin source can only resume
  // with the ID in the query (lastEventIdQueryParameter).
  'x-lei-query': {
    refusePreflight: true,
    responses: [
      { cors: '*', chunks: ['retry: 30\nid: 7\u00e9\ndata: a\n\n'], end: 'end' },
      { cors: '*', chunks: ['data: b\n\n'] },
    ],
  },
  'x-once-cors': { responses: [{ cors: '*', chunks: ['data: hi\n\n'] }] },
  'x-once-credentials': { responses: [{ cors: 'credentials', chunks: ['data: hi\n\n'] }] },
  'x-end': { responses: [{ chunks: ['data: a\n\n'], end: 'end' }, { chunks: ['data: b\n\n'] }] },
  'x-end-retry': { responses: [{ chunks: ['retry: 30\ndata: a\n\n'], end: 'end' }, { chunks: ['data: b\n\n'] }] },
  // The response head never comes (the inactivity timeout ends each attempt).
  'x-stalled': { responses: [stalled] },
  // The server's retry becomes the base; failures in a row back off from it; an open resets.
  'x-backoff-base': {
    responses: [
      { chunks: ['retry: 120\ndata: a\n\n'], end: 'end' },
      stalled,
      stalled,
      { chunks: ['data: b\n\n'], end: 'end' },
      { chunks: ['data: c\n\n'] },
    ],
  },
  // One event, then silence; the second connection the same.
  'x-stall-after-one': { responses: [{ chunks: ['data: a\n\n'] }, { chunks: ['data: b\n\n'] }] },
  // One event, then a comment every 50 ms for 3 s.
  'x-heartbeat': { responses: [{ chunks: ['data: a\n\n', ...Array(60).fill(':\n')], pauseMs: 50 }] },
  'x-big-line': { responses: [{ chunks: ['data: ok\n\n', `data: ${'x'.repeat(300)}\n\n`, 'data: after\n\n'] }] },
  // The getters: an id-only block (no data) is the last thing before the end of the body.
  // One chunk: two events, a retry field, an event; then the end of the body. Then two
  // chunks, the second with two events.
  'x-reentry': {
    responses: [
      { chunks: ['id: 1\ndata: a\n\nid: 2\ndata: b\n\nretry: 600000\nid: 3\ndata: c\n\n'], end: 'end' },
      { chunks: ['id: 4\ndata: d\n\n', 'id: 5\ndata: e\n\nid: 6\ndata: f\n\n'] },
    ],
  },
  'x-getters': { responses: [{ chunks: ['retry: 1234\nid: 1\ndata: a\n\n', 'id: 2\n\n'], end: 'end' }] },
  'x-401': { responses: [{ status: 401, chunks: ['data: no\n\n'] }] },
  'x-huge-retry': { responses: [{ chunks: ['retry: 9999999999\ndata: a\n\n'], end: 'end' }] },
  'x-html': { responses: [{ type: 'text/html; charset=utf-8', chunks: ['<p>hi</p>'] }] },
  // Ends when the page (or the runner) sends signal `drop`; the next connection stays.
  'x-drop': { responses: [{ chunks: ['id: 1\ndata: a\n\n', { signal: 'drop' }], end: 'end' }, { chunks: ['data: b\n\n'] }] },
};
Object.assign(scenarios, extensionScenarios);

export const badTypeScenario = (label) => `bad-type-${Object.keys(BAD_TYPES).indexOf(label)}`;
export const goodTypeScenario = (label) => `good-type-${Object.keys(GOOD_TYPES).indexOf(label)}`;
