// The demo page: the native EventSource and eventsource-wasm on the same streams.
// State is mirrored on window.demo for tests (tests/demo/run.mjs).
import { EventSource as WasmEventSource } from '/dist/index.js';

const NativeEventSource = globalThis.EventSource;
const STATES = ['CONNECTING (0)', 'OPEN (1)', 'CLOSED (2)'];
const LOG_MAX = 100;
const $ = (sel, root = document) => root.querySelector(sel);

const notes = $('#notes');
const seenNotes = new Map(); // topic → when it was last shown
/** A protocol note, once per topic; with `again`, once more after 3 s (both panes see each thing). */
function note(topic, html, again = false) {
  const last = seenNotes.get(topic);
  if (last !== undefined && (!again || performance.now() - last < 3000)) return;
  seenNotes.set(topic, performance.now());
  const li = document.createElement('li');
  const time = document.createElement('time');
  time.textContent = new Date().toLocaleTimeString();
  li.append(time, ' ');
  const span = document.createElement('span');
  span.innerHTML = html; // static strings from this file only
  li.append(span);
  notes.prepend(li);
  while (notes.children.length > 30) notes.lastElementChild.remove();
}

function status(text) {
  $('#status').textContent = text;
}

class Pane {
  /** `url` and `init` of the room stream: eventsource-wasm's is the same in every tab, and shared. */
  constructor(key, Impl, url, init) {
    this.key = key;
    this.Impl = Impl;
    this.url = url;
    this.init = init;
    this.root = $(`#pane-${key}`);
    this.el = {
      ready: $('.ready', this.root),
      events: $('.n-events', this.root),
      bytes: $('.n-bytes', this.root),
      reconnects: $('.n-reconnects', this.root),
      lastId: $('.last-id', this.root),
      clock: $('.clock', this.root),
      rate: $('.rate', this.root),
      log: $('.log', this.root),
    };
    this.state = {
      readyState: 0,
      events: 0,
      bytes: 0,
      opens: 0,
      reconnects: 0,
      lastEventId: '',
      ids: [],
      chat: [],
      errors: 0,
      burst: null,
    };
    this.encoder = new TextEncoder();
  }

  connect() {
    this.source?.close();
    this.state.opens = 0;
    const source = new this.Impl(this.url, this.init);
    this.source = source;
    source.addEventListener('open', () => {
      this.state.opens++;
      if (this.state.opens > 1) {
        this.state.reconnects++;
        this.log('open', `reconnected (Last-Event-ID: ${this.state.lastEventId || 'none'})`, 'k-ok');
        note(
          'reconnect',
          'Both clients <b>reconnected by themselves</b> after the <code>retry: 1000</code> delay, sending a <code>Last-Event-ID</code> header with the last <code>id</code> they saw. The server replayed everything after it, so the chat has no gaps.',
        );
      } else {
        this.log('open', 'connection open', 'k-ok');
        note(
          'open',
          '<b>open</b>: the server answered <code>200</code> with <code>Content-Type: text/event-stream</code>. The response never ends; events arrive as lines of text. Its first lines were a <code>:</code> comment (invisible to the page) and <code>retry: 1000</code>.',
        );
      }
      this.render();
    });
    source.addEventListener('error', () => {
      this.state.errors++;
      const rs = source.readyState;
      if (rs === 2) {
        this.log('error', 'failed: CLOSED, no more reconnection', 'k-bad');
        note(
          'closed',
          'The reconnection got <code>204 No Content</code>: the client <b>fails</b> the connection, goes <code>CLOSED</code> (2), fires one <code>error</code> and never tries again. That is how a server tells an <code>EventSource</code> to stop.',
        );
      } else {
        this.log('error', 'stream lost: CONNECTING, will reconnect', 'k-warn');
        note(
          'error',
          'The stream ended: each client fired <code>error</code> with <code>readyState</code> back at <code>CONNECTING</code> (0). That is not a failure, it is the signal that it will reconnect.',
          true,
        );
      }
      this.render();
    });
    source.addEventListener('message', (e) => {
      this.count(e);
      if (!e.data.startsWith('{')) {
        // the clock: one plain `data:` line, no `event`, no `id` of its own
        this.el.clock.textContent = e.data.slice(11, 19) || e.data;
        if ($('#log-clock').checked) this.log('message', `clock ${e.data}`);
        note(
          'clock',
          'A <b><code>message</code></b> event: the clock, one plain <code>data:</code> line a second, no <code>event</code> and no <code>id</code> field.',
        );
        return;
      }
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        msg = { name: '?', text: e.data };
      }
      this.chatEvent(e, `${msg.name}: ${msg.text}`);
      note(
        'chat',
        'A chat <b><code>message</code></b> with an <b><code>id</code></b>: its JSON was sent as several <code>data:</code> lines, which the client joined with line feeds before <code>JSON.parse</code>.',
      );
    });
    for (const type of ['connected', 'disconnected']) {
      source.addEventListener(type, (e) => {
        this.count(e);
        let d = {};
        try {
          d = JSON.parse(e.data);
        } catch {}
        const extra = d.resumedFrom != null ? ` (resumed after ${d.resumedFrom}, ${d.replayed} replayed)` : '';
        this.chatEvent(e, `${d.client ?? '?'} ${type}${extra}; ${d.clients ?? '?'} online`);
        note(
          'named',
          `A <b>named event</b> (<code>event: ${type}</code>): it reaches <code>addEventListener('${type}')</code>, not <code>onmessage</code>.`,
        );
      });
    }
    this.render();
  }

  count(e) {
    this.state.events++;
    this.state.bytes += this.encoder.encode(e.data).length;
    this.state.lastEventId = e.lastEventId;
  }

  chatEvent(e, text) {
    const id = Number(e.lastEventId);
    if (Number.isInteger(id)) this.state.ids.push(id);
    this.state.chat.push({ id, type: e.type, text });
    if (this.state.chat.length > 2000) this.state.chat.splice(0, 1000);
    if (this.state.ids.length > 2000) this.state.ids.splice(0, 1000);
    this.log(e.type, `#${e.lastEventId} ${text}`, e.type === 'message' ? 'k-chat' : 'k-room');
    this.render();
  }

  log(type, text, kind = '') {
    const li = document.createElement('li');
    if (kind) li.className = kind;
    const t = document.createElement('span');
    t.className = 'type';
    t.textContent = type;
    li.append(t, ' ', text);
    this.el.log.prepend(li);
    while (this.el.log.children.length > LOG_MAX) this.el.log.lastElementChild.remove();
  }

  render() {
    const s = this.state;
    const rs = this.source ? this.source.readyState : 2;
    s.readyState = rs;
    if (this.el.ready.dataset.state !== String(rs)) {
      this.el.ready.dataset.state = String(rs);
      this.el.ready.textContent = this.source ? STATES[rs] : 'off';
    }
    this.el.events.textContent = s.events.toLocaleString('en');
    this.el.bytes.textContent = s.bytes.toLocaleString('en');
    this.el.reconnects.textContent = String(s.reconnects);
    this.el.lastId.textContent = s.lastEventId || '(none)';
  }

  /** Opens /burst; resolves once it is open with { source, done }, done resolving at `event: done`. */
  openBurst() {
    return new Promise((resolve, reject) => {
      const b = new this.Impl(`/burst?client=${this.key}`);
      let count = 0;
      let first = 0;
      let opened = false;
      let finish;
      let abort;
      const done = new Promise((res, rej) => {
        finish = res;
        abort = rej;
      });
      done.catch(() => {});
      b.onmessage = () => {
        if (count++ === 0) first = performance.now();
      };
      b.addEventListener('done', () => {
        const ms = performance.now() - first;
        b.close();
        finish({ count, ms });
      });
      b.onopen = () => {
        opened = true;
        resolve({ source: b, done });
      };
      // Any error ends the measurement (a reconnection would lose or repeat events).
      b.onerror = () => {
        b.close();
        const e = new Error(`the ${this.key} burst stream ${opened ? 'was interrupted' : 'could not open'}`);
        if (opened) abort(e);
        else reject(e);
      };
    });
  }
}

const panes = {
  native: new Pane('native', NativeEventSource, `/events?client=native-${Math.random().toString(36).slice(2, 6)}`),
  wasm: new Pane('wasm', WasmEventSource, '/events?client=wasm', { shared: true }),
};
globalThis.demo = {
  panes: Object.fromEntries(Object.entries(panes).map(([k, p]) => [k, p.state])),
  ready: false,
  lastBurst: null,
  native: true,
  sharing: null,
};

/** The panes this tab runs: the native one only in the first tab. */
const running = () => Object.values(panes).filter((p) => p.key === 'wasm' || globalThis.demo.native);

// Every native EventSource holds a connection of its own, and the browser gives a host about
// six: only the first tab of the demo runs the native pane (the one that gets this Web Lock).
function firstTab() {
  if (!navigator.locks) return Promise.resolve(true);
  return new Promise((resolve) => {
    navigator.locks.request('eventsource-wasm demo: the native pane', { ifAvailable: true }, (lock) => {
      resolve(lock !== null);
      return lock && new Promise(() => {}); // held while the tab lives
    });
  });
}

// How many tabs share the eventsource-wasm pane's connection, and whether this one holds it:
// navigator.locks.query() lists the source's lock (its name starts with "eventsource-wasm "
// and holds the stream's URL), held by one context and requested by each of the others. A
// lock of this tab's own says which client is this tab.
const tabLock = `eventsource-wasm demo: the tab ${Math.random().toString(36).slice(2)}`;
navigator.locks?.request(tabLock, () => new Promise(() => {}));
async function showSharing() {
  const tabs = $('#share-tabs');
  if (!navigator.locks) {
    tabs.textContent = 'this tab alone';
    $('#share-role').textContent = ' (no Web Locks here: serve the demo from localhost or over https to share)';
    return;
  }
  const { held = [], pending = [] } = await navigator.locks.query();
  const me = held.find((lock) => lock.name === tabLock)?.clientId;
  const url = JSON.stringify(new URL(panes.wasm.url, location.href).href);
  const ours = (lock) => lock.name.startsWith('eventsource-wasm ') && lock.name.includes(url);
  const holders = held.filter(ours);
  const count = holders.length + pending.filter(ours).length;
  const holding = holders.some((lock) => lock.clientId === me);
  const before = globalThis.demo.sharing;
  globalThis.demo.sharing = { tabs: count, holding };
  if (count > 1 && !(before?.tabs > 1)) {
    note(
      'shared',
      'Another tab opened the same stream with <code>{ shared: true }</code>. The server still sees <b>one connection</b>: the tab that holds it passes each event to the others over a <code>BroadcastChannel</code>.',
      true,
    );
  }
  if (holding && before && !before.holding && before.tabs) {
    note(
      'takeover',
      'The tab that held the shared connection went away, and <b>this tab took over</b>: it reconnected with the last event ID, and caught up with the others first, so no tab misses or repeats an event.',
      true,
    );
  }
  tabs.textContent = `${count} tab${count === 1 ? '' : 's'}`;
  $('#share-role').textContent = !count ? ' (not connected)' : holding ? ': this tab holds it' : ': another tab holds it';
}

async function post(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.error || `HTTP ${res.status}`);
  return json;
}

$('#chat').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const name = $('#chat-name').value.trim();
  const text = $('#chat-text').value.trim();
  if (!name || !text) return;
  try {
    const { id } = await post('/chat', { name, text });
    $('#chat-text').value = '';
    status(`Sent as event #${id}.`);
  } catch (e) {
    status(`Not sent: ${e.message}`);
  }
  $('#chat-text').focus();
});

$('#drop').addEventListener('click', async () => {
  try {
    const { dropped } = await post('/control/drop');
    status(`The server ended ${dropped} stream(s); watch both clients reconnect.`);
    note(
      'drop',
      'You asked the server to <b>end every stream</b>. The response body finished cleanly, which for an <code>EventSource</code> means: reconnect.',
      true,
    );
  } catch (e) {
    status(`Drop failed: ${e.message}`);
  }
});

$('#stop').addEventListener('click', async () => {
  try {
    await post('/control/stop');
    $('#resume').disabled = false;
    $('#stop').disabled = true;
    status('The server now answers 204 No Content: both clients will stop for good.');
  } catch (e) {
    status(`Stop failed: ${e.message}`);
  }
});

$('#resume').addEventListener('click', async () => {
  try {
    await post('/control/resume');
    $('#resume').disabled = true;
    $('#stop').disabled = false;
    for (const p of running()) p.connect();
    status('The server answers again; new clients were created (a CLOSED EventSource never reopens).');
    note(
      'resume',
      'A <code>CLOSED</code> <code>EventSource</code> cannot be reopened: <b>Resume</b> created two new ones. They connect without a <code>Last-Event-ID</code>, so the server sent them its recent history.',
      true,
    );
  } catch (e) {
    status(`Resume failed: ${e.message}`);
  }
});

$('#burst').addEventListener('click', async () => {
  const button = $('#burst');
  button.disabled = true;
  for (const p of running()) p.el.rate.textContent = 'running…';
  status('Burst: opening a dedicated stream per client…');
  const opened = [];
  try {
    // One client after the other: they share this page's main thread, so running both at
    // once would measure each one's share of it rather than its speed.
    const results = {};
    for (const p of running()) {
      status(`Burst: 10,000 events to ${p.key === 'native' ? 'the native EventSource' : 'eventsource-wasm'}…`);
      const r = await p.openBurst();
      opened.push([p, r]);
      await post('/control/burst');
      const { count, ms } = await r.done;
      const rate = ms > 0 ? Math.round((count / ms) * 1000) : count;
      results[p.key] = { count, ms, rate };
      p.state.burst = results[p.key];
      p.el.rate.textContent = `${count.toLocaleString('en')} in ${ms.toFixed(0)} ms: ${rate.toLocaleString('en')}/s`;
    }
    globalThis.demo.lastBurst = results;
    status('Burst done: the events per second are in each pane.');
    note(
      'burst',
      "The <b>burst</b> opened one more stream per client, one client after the other (they share this page's main thread), and sent 10,000 events then an <code>event: done</code>. The rate counts from the first event to <code>done</code>: reading, parsing and dispatching.",
      true,
    );
  } catch (e) {
    for (const [, r] of opened) r.source.close();
    for (const p of running()) p.el.rate.textContent = 'failed';
    status(`Burst failed: ${e.message}`);
  } finally {
    button.disabled = false;
  }
});

// readyState changes without an event (CONNECTING → OPEN happens before `open` is handled):
// poll it, cheaply, so the badge is always live.
setInterval(() => {
  for (const p of Object.values(panes)) p.render();
}, 100);
setInterval(showSharing, 500);

globalThis.demo.native = await firstTab();
if (globalThis.demo.native) panes.native.connect();
else $('#native-off').hidden = false;
panes.wasm.connect();
showSharing();
globalThis.demo.ready = true;
note(
  'start',
  "Two clients were created with <code>new EventSource('/events')</code>: the browser's own, and eventsource-wasm. Both start <code>CONNECTING</code> (0).",
);
