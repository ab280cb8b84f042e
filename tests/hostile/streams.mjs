// The byte streams of the differential test (run.mjs) and the models they are judged by.
// Pure ES module, no Node APIs.
//
//   rng(seed)                  a seeded PRNG (sfc32): next() in [0, 1), int(n), pick(array)
//   generate(rng)              one stream as a Uint8Array: a grammar that reaches the parser's
//                              edge cases, mutations of it, or raw bytes (`kind` says which)
//   specEvents(bytes)          what the HTML standard says the stream dispatches
//   firefoxEvents(bytes, q)    what Firefox's own parser dispatches, transcribed from its
//                              source (dom/base/EventSource.cpp, EventSourceImpl::ParseCharacter,
//                              SetFieldAndClear, DispatchCurrentMessageEvent and
//                              DispatchAllMessageEvents), with each of its departures from the
//                              standard behind a switch in `q`
//
// An event is [type, data, lastEventId]. The models ignore `retry` (it changes no event) and
// what happens after the body ends (the runner closes the source on its `error`).

/** sfc32, seeded through splitmix32: small, fast and good enough to pick test cases. */
export function rng(seed) {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split(),
    b = split(),
    c = split(),
    d = split();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  const r = {
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
    /** A small count, most often 0–3, sometimes up to `max`. */
    few: (max) => Math.min(max, Math.floor(-Math.log(1 - next()) * 2.2)),
  };
  return r;
}

const enc = new TextEncoder();
/** Appends `bytes` to `out` (no spread: a long run would overflow the call stack). */
function add(out, bytes) {
  for (let i = 0; i < bytes.length; i++) out.push(bytes[i]);
  return out;
}
const utf8 = (s) => Array.from(enc.encode(s));
const BOM = [0xef, 0xbb, 0xbf];

// Invalid or tricky UTF-8: lone continuation bytes, truncated sequences, overlongs,
// surrogates, out-of-range code points, 0xFE/0xFF.
const INVALID = [
  [0x80],
  [0xbf],
  [0xc3],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xfe],
  [0xff],
  [0xc2, 0x41],
  [0xe2, 0x28, 0xa1],
  [0xf0, 0x28, 0x8c, 0x28],
];
const MULTIBYTE = ['é', 'ß', '€', '中文', '𝄞', '😀', '\u00a0', '\u2028', '\ufeff', 'Ω', 'ñ'];
const WORDS = ['a', 'b', 'x', 'hello', 'world', '42', '{"k":1}', '\t', 'data', 'id', 'event', 'retry', 'message', 'error', 'open'];
const EVENT_TYPES = [
  '',
  'message',
  'foo',
  'bar',
  'error',
  'open',
  'a b',
  'üñï',
  ' lead',
  'trail ',
  'x:y',
  'MESSAGE',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
];
const JUNK_NAMES = [
  '',
  'Data',
  'DATA',
  'data ',
  ' data',
  'dat',
  'datax',
  'ev',
  'Event',
  'ID',
  'idx',
  'i',
  'retry ',
  'Retry',
  '\ufeffdata',
  'd\0ata',
  'événement',
  'x',
  'foo',
  '\0',
  'data\0',
];
const RETRIES = ['0', '1', '1000', '999999999', '99999999999999999999999', '', 'abc', '12a', ' 5', '5 ', '-1', '1.5', '١٢'];
const INTERESTING = [0x0a, 0x0d, 0x3a, 0x20, 0x00, 0xef, 0xbb, 0xbf, 0x80, 0xff, 0xc3, 0xa9, 0x64, 0x61, 0x74, 0x69];

/** Bytes of a field value (never CR or LF). */
function value(r) {
  const out = [];
  const n = r.few(6);
  for (let i = 0; i < n; i++) {
    const k = r.next();
    if (k < 0.35) out.push(...utf8(r.pick(WORDS)));
    else if (k < 0.45) out.push(0x20);
    else if (k < 0.52) out.push(0x3a);
    else if (k < 0.64) out.push(...utf8(r.pick(MULTIBYTE)));
    else if (k < 0.74) out.push(...r.pick(INVALID));
    else if (k < 0.8) out.push(0x00);
    else if (k < 0.84) out.push(...BOM);
    else if (k < 0.86) {
      // A long run: a line that spans many reads, sometimes several 64 KiB chunks.
      const len = r.chance(0.15) ? 65536 + r.int(140000) : 500 + r.int(20000);
      const unit = r.chance(0.7) ? [0x78] : utf8(r.pick(MULTIBYTE));
      for (let j = 0; j < len; j += unit.length) out.push(...unit);
    } else out.push(0x20 + r.int(95));
  }
  return out;
}

function fieldLine(r, name, val) {
  const sep = r.pick([[0x3a], [0x3a, 0x20], [0x3a, 0x20], [0x3a, 0x20], [0x3a, 0x20, 0x20], [0x3a, 0x09]]);
  return add(add(utf8(name), sep), val);
}

/** One line of the grammar, without its line ending. */
function line(r) {
  const k = r.next();
  if (k < 0.22) return []; // blank: dispatch
  if (k < 0.5) return fieldLine(r, 'data', value(r));
  if (k < 0.58) {
    const t = r.chance(0.85) ? utf8(r.pick(EVENT_TYPES)) : value(r);
    return fieldLine(r, 'event', t);
  }
  if (k < 0.68) {
    const c = r.next();
    const id =
      c < 0.5
        ? utf8(String(r.int(1000)))
        : c < 0.65
          ? []
          : c < 0.8
            ? [...utf8(String(r.int(99))), 0, ...utf8('z')]
            : c < 0.85
              ? [0]
              : value(r);
    return fieldLine(r, 'id', id);
  }
  if (k < 0.72) return fieldLine(r, 'retry', utf8(r.pick(RETRIES)));
  if (k < 0.8) return add([0x3a], value(r)); // comment
  if (k < 0.93) return fieldLine(r, r.pick(JUNK_NAMES), value(r));
  return utf8(r.pick(['data', 'id', 'event', 'retry', 'x', ...JUNK_NAMES.slice(0, 6)])); // no colon
}

const ENDINGS = { LF: [0x0a], CR: [0x0d], CRLF: [0x0d, 0x0a] };

function grammar(r) {
  const out = [];
  const p = r.next();
  if (p < 0.1) out.push(...BOM);
  else if (p < 0.13) out.push(...BOM, ...BOM);
  else if (p < 0.15) out.push(...BOM.slice(0, 1 + r.int(2)));
  const mode = r.pick(['LF', 'LF', 'CRLF', 'CR', 'mixed', 'mixed']);
  const lines = 1 + r.few(40);
  for (let i = 0; i < lines; i++) {
    add(out, line(r));
    add(out, ENDINGS[mode === 'mixed' ? r.pick(['LF', 'CR', 'CRLF']) : mode]);
    if (r.chance(0.25)) add(out, ENDINGS[mode === 'mixed' ? r.pick(['LF', 'CR', 'CRLF']) : mode]); // often a blank line after
  }
  if (r.chance(0.25)) add(out, line(r)); // an unfinished last line
  return out;
}

function mutate(r, bytes) {
  const b = bytes.slice();
  const n = 1 + r.few(6);
  for (let i = 0; i < n; i++) {
    const at = r.int(b.length + 1);
    const k = r.next();
    if (k < 0.3 && b.length) b[Math.min(at, b.length - 1)] = r.chance(0.5) ? r.pick(INTERESTING) : r.int(256);
    else if (k < 0.6) b.splice(at, 0, r.pick(INTERESTING));
    else if (k < 0.8 && b.length) b.splice(at, 1 + r.int(4));
    else if (b.length) {
      const from = r.int(b.length);
      b.splice(at, 0, ...b.slice(from, from + 1 + r.int(16))); // at most 16
    }
  }
  return b;
}

function raw(r) {
  const n = r.int(400);
  const out = [];
  for (let i = 0; i < n; i++) out.push(r.chance(0.6) ? r.pick(INTERESTING) : r.int(256));
  return out;
}

/** One stream: { kind, bytes }. */
export function generate(r) {
  const k = r.next();
  if (k < 0.08) return { kind: 'raw', bytes: Uint8Array.from(raw(r)) };
  if (k < 0.22) return { kind: 'mutated', bytes: Uint8Array.from(mutate(r, grammar(r))) };
  return { kind: 'grammar', bytes: Uint8Array.from(grammar(r)) };
}

// ---- the models ---------------------------------------------------------------------

/** The HTML standard, "Interpreting an event stream": UTF-8 decode (one leading BOM
 *  stripped, errors replaced), CRLF / LF / CR, an unfinished line or event discarded. */
export function specEvents(bytes) {
  const text = new TextDecoder('utf-8').decode(bytes);
  const events = [];
  let data = '';
  let type = '';
  let idBuffer = '';
  let pos = 0;
  for (;;) {
    let end = pos;
    while (end < text.length && text[end] !== '\r' && text[end] !== '\n') end++;
    if (end >= text.length) break; // no line ending: not a line
    const l = text.slice(pos, end);
    pos = text[end] === '\r' && text[end + 1] === '\n' ? end + 2 : end + 1;
    if (l === '') {
      // spec 22–26: the last event ID first, even without data.
      const lastEventId = idBuffer;
      if (data !== '') events.push([type || 'message', data.slice(0, -1), lastEventId]);
      data = '';
      type = '';
      continue;
    }
    if (l[0] === ':') continue;
    const colon = l.indexOf(':');
    const name = colon < 0 ? l : l.slice(0, colon);
    let v = colon < 0 ? '' : l.slice(colon + 1);
    if (v[0] === ' ') v = v.slice(1);
    if (name === 'event') type = v;
    else if (name === 'data') data += `${v}\n`;
    else if (name === 'id' && !v.includes('\0')) idBuffer = v;
  }
  return events;
}

/**
 * Firefox's parser, state by state as in EventSourceImpl::ParseCharacter (one UTF-16 code
 * unit at a time, after a UTF-8 decoder with BOM removal). Its departures from the standard:
 *   idOnDispatch  the last event ID changes only when an event with data is dispatched
 *                 (an `id` in an event without data is lost). Documented in README.
 *   nulId         a NUL in an `id` value after its first character drops the rest of the
 *                 line AND leaves the field name "id" in place, so the next line's name is
 *                 appended to it ("id" + "data" = "iddata": that line is lost); a NUL as the
 *                 first character of any value is kept, so `id:\0` sets the ID to "\0".
 *                 Documented in README ("mishandles ids containing NUL").
 *   nulValue      a NUL in any other value, after its first character, is dropped.
 *   nulLineStart  a NUL at the start of a line that follows an LF (or CRLF) is dropped, so
 *                 "\0data: x" is a data line there (not after a lone CR, nor at the start).
 * Each switch set to false gives the standard's behaviour at that point.
 */
export function firefoxEvents(bytes, q = { idOnDispatch: true, nulId: true, nulValue: true, nulLineStart: true }) {
  const text = new TextDecoder('utf-8').decode(bytes);
  const events = [];
  let lastEventId = '';
  let msg = null; // { type, data, id (undefined: none) }
  let name = '';
  let val = '';
  let state = 'stream';
  const set = () => {
    if (name === '') {
      val = '';
      return;
    }
    msg ??= { type: '', data: '', id: undefined };
    if (name === 'data') msg.data += `${val}\n`;
    else if (name === 'event') msg.type = val;
    else if (name === 'id') {
      if (q.nulId || !val.includes('\0')) msg.id = val;
      if (!q.idOnDispatch && (q.nulId || !val.includes('\0'))) lastEventId = val;
    }
    name = '';
    val = '';
  };
  const dispatch = () => {
    const m = msg;
    msg = null;
    name = '';
    val = '';
    if (!m || m.data === '') return;
    if (m.id !== undefined) lastEventId = m.id;
    events.push([m.type || 'message', m.data.slice(0, -1), lastEventId]);
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    switch (state) {
      case 'stream':
      case 'cr':
        if (c === '\r') {
          if (state === 'cr') dispatch();
          state = 'cr';
        } else if (c === '\n') state = 'line';
        else if (c === ':') state = 'comment';
        else {
          name += c;
          state = 'name';
        }
        break;
      case 'comment':
        if (c === '\r') state = 'cr';
        else if (c === '\n') state = 'line';
        break;
      case 'name':
        if (c === '\r') {
          set();
          state = 'cr';
        } else if (c === '\n') {
          set();
          state = 'line';
        } else if (c === ':') state = 'first';
        else name += c;
        break;
      case 'first':
        if (c === '\r') {
          set();
          state = 'cr';
        } else if (c === '\n') {
          set();
          state = 'line';
        } else if (c === ' ') state = 'value';
        else {
          val += c;
          state = 'value';
        } // even a NUL, even in an id
        break;
      case 'value':
        if (c === '\r') {
          set();
          state = 'cr';
        } else if (c === '\n') {
          set();
          state = 'line';
        } else if (c !== '\0') val += c;
        else if (name === 'id') {
          if (q.nulId) {
            state = 'ignore';
            val = '';
          } else val += c;
        } else if (!q.nulValue) val += c;
        break;
      case 'ignore':
        if (c === '\r') state = 'cr';
        else if (c === '\n') state = 'line';
        break;
      case 'line':
        if (c === '\r') {
          dispatch();
          state = 'cr';
        } else if (c === '\n') dispatch();
        else if (c === ':') state = 'comment';
        else if (c !== '\0' || !q.nulLineStart) {
          name += c;
          state = 'name';
        }
        break;
      default:
        throw new Error(`state ${state}`);
    }
  }
  return events;
}

/**
 * Chromium's parser (third_party/blink/renderer/modules/eventsource/event_source_parser.cc)
 * follows the standard but for one thing, found by run.mjs and checked byte by byte:
 *   bomLineEnd  when the stream starts with a BOM and the next byte is a CR or an LF, that
 *               byte does not end a line: it starts the next one (the loop `continue`s past
 *               it once the BOM is recognised), so that line's name begins with CR or LF and
 *               the line is ignored. `\ufeff\ndata: x\n\n` dispatches nothing;
 *               `\ufeff\r\ndata: x\n\n` loses only the CR.
 */
export function chromiumEvents(bytes, q = { bomLineEnd: true }) {
  const b = bytes;
  if (q.bomLineEnd && b.length > 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf && (b[3] === 0x0d || b[3] === 0x0a)) {
    // The glued line runs from byte 3 to the next line ending, which ends it.
    let end = 4;
    while (end < b.length && b[end] !== 0x0d && b[end] !== 0x0a) end++;
    if (end >= b.length) return [];
    const next = b[end] === 0x0d && b[end + 1] === 0x0a ? end + 2 : end + 1;
    // (A CR ending the glued line with nothing after it yet: the LF, if any, belongs to it.)
    return specEvents(Uint8Array.from([0xef, 0xbb, 0xbf, ...b.subarray(next)]));
  }
  return specEvents(b);
}

/** The Firefox variants the runner tries, from the documented deviations only to all of them. */
export const FIREFOX_KNOWN = { idOnDispatch: true, nulId: true, nulValue: false, nulLineStart: false };
export const FIREFOX_ALL = { idOnDispatch: true, nulId: true, nulValue: true, nulLineStart: true };
export const FIREFOX_NONE = { idOnDispatch: false, nulId: false, nulValue: false, nulLineStart: false };

/** Every event type a stream can dispatch under any of the models (to listen for). */
export function typesOf(bytes) {
  const types = new Set(['message']);
  for (const e of specEvents(bytes)) types.add(e[0]);
  for (const q of [FIREFOX_ALL, FIREFOX_KNOWN]) for (const e of firefoxEvents(bytes, q)) types.add(e[0]);
  return [...types];
}

export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
