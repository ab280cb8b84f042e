// The event stream of the resume test, as a pure function of the event number: the fault
// server (Node) encodes it, and the clients (a page, or Node) compute from it what each
// event's data must be. No imports, so that a browser can load it as it is.
//
//   const { text, data, blank } = eventFor(i);   // i = 0, 1, … n − 1; its id is `${i}`
//   // text:  the wire form of event i (a string, sent as UTF-8); it ends with the blank
//   //        line that dispatches it, and sometimes a comment or an extra empty line after
//   // data:  what a spec-exact client gives as event.data (the data lines joined with LF)
//   // blank: the index in `text` of the first character of the dispatching blank line's
//   //        terminator: the event is dispatched once that character has arrived (spec 15:
//   //        a lone CR ends a line, so a CR of a CRLF dispatches before its LF)
//
// The mix covers the stream format a resumption has to survive: all three line endings
// (one per event, so that a lone CR is never followed by an LF line that would turn it
// into a CRLF), 2-, 3- and 4-byte UTF-8 characters (and a ZWJ sequence), multi-line and
// empty data lines, `data:` with and without the space, a value that keeps a leading
// space, comments before, inside and after events, `event: message`, an unknown field,
// and the id line before or after the data lines. (`retry:` and a BOM come from the
// server, at the start of each response.)

/** A small seeded generator (mulberry32): the same seed gives the same sequence everywhere. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit hash of a string (FNV-1a over UTF-16 code units), to derive seeds and digests. */
export function fnv1a(s, h = 0x811c9dc5) {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const WORDS = [
  'alpha',
  'beta',
  'z',
  'naïve',
  'é',
  'ß',
  'Ω',
  'Ünïcödé',
  'crème brûlée', // 2-byte
  '€',
  '—',
  '✓',
  '日本語',
  'ﬀ',
  '한국어',
  '→←', // 3-byte
  '😀',
  '𝄞',
  '🚀🌍',
  '𠜎', // 4-byte
  '👩‍💻', // 4 + 3 + 4 bytes (ZWJ)
  'x=1;y=2',
  '{"k":"v"}',
  'tab\there',
];
const EOLS = ['\n', '\r', '\r\n'];

/** The wire form and the expected data of event `i` (0-based; its id is `${i}`). */
export function eventFor(i) {
  const rand = mulberry32(fnv1a(`event ${i}`));
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const eol = EOLS[i % 3];
  const lines = [];
  const values = [];
  if (rand() < 0.2) lines.push(`: before ${i} ${pick(WORDS)}`);
  const idLine = rand() < 0.5 ? `id: ${i}` : `id:${i}`;
  const idFirst = rand() < 0.6;
  if (idFirst) lines.push(idLine);
  if (rand() < 0.1) lines.push('event: message');
  const count = 1 + Math.floor(rand() * 3);
  for (let k = 0; k < count; k++) {
    const r = rand();
    if (k > 0 && r < 0.08) {
      lines.push('data'); // no colon: the value is empty
      values.push('');
    } else if (k > 0 && r < 0.12) {
      lines.push('data:'); // nothing after the colon: empty too
      values.push('');
    } else {
      const words = [`${i}.${k}`];
      const n = 1 + Math.floor(rand() * 6);
      for (let w = 0; w < n; w++) words.push(pick(WORDS));
      const v = words.join(' ');
      const form = rand();
      if (form < 0.6) lines.push(`data: ${v}`);
      else if (form < 0.9) lines.push(`data:${v}`);
      else {
        lines.push(`data:  ${v}`); // only the first space is removed
        values.push(` ${v}`);
        continue;
      }
      values.push(v);
    }
    if (rand() < 0.05) lines.push(`:inside ${pick(WORDS)}`);
  }
  if (rand() < 0.05) lines.push(`x-unknown: ${pick(WORDS)}`);
  if (!idFirst) lines.push(idLine);
  let text = lines.map((l) => l + eol).join('');
  const blank = text.length;
  text += eol;
  const after = rand();
  if (after < 0.1) text += `: after ${i} ${pick(WORDS)}${eol}`;
  else if (after < 0.15) text += '\n'; // an extra empty line; after a CR it completes a CRLF
  return { text, data: values.join('\n'), blank };
}

/** The expected `data` of event `i`. */
export function expectedData(i) {
  return eventFor(i).data;
}
