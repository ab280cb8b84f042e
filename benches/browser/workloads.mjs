// The four throughput workloads of the browser benchmark, as the events they must yield
// (for the page, which checks every event it receives) and as the bytes of the stream (for
// the server). The same generators as benches/throughput.rs, so the parser benchmark and
// this one measure the same inputs. Plain JS: imported by Node.js and by the page.
//
//   const w = workload('small', 20);   // 100,000 / 20 events
//   w.events; w.data(n); w.id(n); w.text()   // count, each event's data and id, the stream

/** Printable ASCII used for generated data; no CR, LF or leading space. */
const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
let cycle = ALPHANUMERIC;

/** `len` characters of ALPHANUMERIC, cyclically, starting at `seed`. */
function ascii(seed, len) {
  const start = seed % ALPHANUMERIC.length;
  if (cycle.length < start + len) cycle = ALPHANUMERIC.repeat(Math.ceil((start + len) / ALPHANUMERIC.length) + 1);
  return cycle.slice(start, start + len);
}

const WORDS = ['héllo', 'wörld', '—', '日本語', 'テキスト', '🎉', 'ñandú', 'Ελληνικά', '𝄞♪', 'Ünïcödé'];
const utf8Length = (s) => new TextEncoder().encode(s).length;
const WORD_BYTES = WORDS.map(utf8Length);

const GENERATORS = {
  /** 100,000 small events: `id: <n>\ndata: <32 bytes>\n\n`. */
  small: { events: 100_000, id: String, data: (n) => ascii(n, 32) },
  /** 64 events, each an id and a single `data` line of 1 MiB of ASCII. */
  large: { events: 64, id: String, data: (n) => ascii(n, 1024 * 1024) },
  /** 20,000 events of 16 `data` lines each, of 16 to 32 bytes. */
  multiline: {
    events: 20_000,
    id: null,
    data: (n) => Array.from({ length: 16 }, (_, line) => ascii(n + line, 16 + ((n * 7 + line * 13) % 17))).join('\n'),
  },
  /** 50,000 events of about 64 bytes of data mixing 1- to 4-byte UTF-8. */
  multibyte: {
    events: 50_000,
    id: null,
    data: (n) => {
      const words = [];
      let bytes = 0;
      for (let i = n % WORDS.length; bytes + WORD_BYTES[i % WORDS.length] <= 64; i++) {
        words.push(WORDS[i % WORDS.length]);
        bytes += WORD_BYTES[i % WORDS.length] + 1;
      }
      return words.join(' ');
    },
  },
};

export const WORKLOADS = Object.keys(GENERATORS);

/** A label for tables: what the workload is at full size. */
export const LABELS = {
  small: '100k small events',
  large: '64 × 1 MiB events',
  multiline: '20k × 16 data lines',
  multibyte: '50k multi-byte text',
};

/** Workload `name` with its event count divided by `divisor` (at least 1 event). */
export function workload(name, divisor = 1) {
  const g = GENERATORS[name];
  if (!g) throw new Error(`no workload ${name}`);
  const events = Math.max(1, Math.floor(g.events / divisor));
  return {
    name,
    events,
    data: g.data,
    /** The event's last event ID as a client sees it ('' where the stream sets none). */
    id: (n) => (g.id ? g.id(n) : ''),
    /** The whole stream as text (UTF-8 on the wire). */
    text() {
      const parts = [];
      for (let n = 0; n < events; n++) {
        if (g.id) parts.push(`id: ${g.id(n)}\n`);
        for (const line of g.data(n).split('\n')) parts.push(`data: ${line}\n`);
        parts.push('\n');
      }
      return parts.join('');
    },
  };
}
