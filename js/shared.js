// One connection for every same-origin tab, frame and worker (README, "One
// connection for every tab"). A source made with `shared` subscribes to the
// hub of its context for that stream (one hub per channel name and context).
// The hubs of all contexts meet on a BroadcastChannel of that name; the one
// that holds the Web Lock of the same name runs the only connection (a wasm
// Connection, as an unshared source would), numbers its events and posts
// them to the others. The lock's queue is the line of succession: when the
// holder goes (its last source closed, its page closed, crashed or frozen),
// the next hub in the queue gets the lock and connects again with the last
// event ID.
//
// Messages on the channel, each with `from` (the sender's hub id):
//   join   {after}         a hub arrived (after -1) or came back and asks for the
//                          events after `after`
//   state  {to?, readyState, origin, seq, id, rt, replay?}   the holder: its answer
//                          to a join (to that hub), or its announcement on taking over
//   open   {origin}        the connection opened
//   events {list}          events in order, each {seq, type, data, id, rt}
//   error  {readyState, reason, status, delay, contentType, cause}
//   bye    {seq, id, rt}   the holder lets go (the last event ID may have changed
//                          after the last event: an `id:` without data)
//   claim  {claim, after}  a hub got the lock: every hub waiting for it answers with
//   report {to, claim, synced, readyState, origin, seq, id, rt, events}: its place in
//                          the stream and the events it has after `after`
//
// Exactly once: `seq` numbers the events of the stream across holders, and
// every hub delivers each seq at most once, in order. A new holder first
// catches up with the most advanced of the others (claim, report: it knows
// how many to expect from the lock's queue), so that none is ahead of it;
// it connects with the last event ID it then has, and numbers what the
// server sends after it from there: a server that resends what followed
// that ID gives the same events the same numbers, and whoever had them
// already drops them.

import { forEachEvent } from './eventsource.js';

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

/** How long a new holder waits for the reports of the others (a safety net: they answer at once). */
const REPORTS_MS = 1000;
/** What every hub keeps of the latest events, to resend to a context that missed some (one that was frozen). */
const KEEP_EVENTS = 256;
const KEEP_CHARS = 256 * 1024;

const hubs = new Map(); // channel name -> this context's Hub

/**
 * The connection of a source made with `shared` (the interface of the wasm
 * Connection the class drives), or null where sharing cannot work here: no
 * Web Locks (Node.js, an insecure context, an old engine) or no
 * BroadcastChannel. The source then connects on its own.
 */
export function shareConnection(url, options, hooks, load) {
  if (typeof BroadcastChannel !== 'function' || typeof globalThis.navigator?.locks?.request !== 'function') return null;
  const name = channelName(url, options);
  let hub = hubs.get(name);
  if (!hub) {
    try {
      hub = new Hub(name, url, options, load);
    } catch {
      return null; // e.g. an opaque origin's BroadcastChannel
    }
    hubs.set(name, hub);
  }
  return hub.subscribe(hooks);
}

/**
 * The lock's and the channel's name: the absolute URL and what makes two
 * sources' connections the same (the request, the retry policy and the
 * limits), or the URL and the key the application gave as `shared`.
 */
function channelName(url, o) {
  const same =
    typeof o.shared === 'string'
      ? [o.shared]
      : [
          o.credentials,
          o.method,
          o.body ?? null,
          o.headers ? [...o.headers] : null,
          o.initialDelay,
          o.maxDelay,
          o.multiplier,
          o.jitter,
          o.maxAttempts,
          o.inactivityTimeout,
          o.maxBufferSize ?? null,
        ];
  // The version: the messages of another release of this file may differ.
  return `eventsource-wasm 1 ${JSON.stringify([url, ...same])}`;
}

/** An error's name and message, which survive postMessage (an Error's cloning is not everywhere). */
const portable = (cause) => (cause === undefined ? undefined : { name: cause?.name ?? 'Error', message: String(cause?.message ?? cause) });
const revive = (cause) => cause && Object.assign(new Error(cause.message), { name: cause.name });

class Hub {
  constructor(name, url, options, load) {
    this.channel = new BroadcastChannel(name);
    this.channel.onmessage = (event) => this.receive(event.data);
    this.name = name;
    this.url = url;
    this.options = options;
    this.load = load;
    this.id = `${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`;
    this.subscriptions = [];
    this.readyState = CONNECTING; // the connection's, as last heard
    this.origin = '';
    this.seq = 0; // the last event delivered here (or, holding, produced)
    this.position = 'fresh'; // 'fresh' (no seq yet), 'synced', 'resync' (came back: asks for what it missed)
    this.lastEventId = options.lastEventId;
    this.rt = null; // the reconnection time, once heard
    this.kept = [];
    this.keptChars = 0;
    this.outbox = null;
    this.connection = null; // holding: the wasm Connection
    this.release = null; // holding: lets go of the lock
    this.claiming = null; // taking over: { claim, count, reports, done } until the others answered
    this.closed = false;
    this.suspended = false;
    // Page Lifecycle: a frozen page or one in the back/forward cache runs no
    // task, so it must neither hold the connection nor wait in the queue.
    const suspend = () => this.suspend();
    const resume = () => this.resume();
    this.lifecycle = [
      [globalThis.document, 'freeze', suspend],
      [globalThis.document, 'resume', resume],
      [globalThis.window, 'pagehide', suspend],
      [globalThis.window, 'pageshow', resume],
    ].filter(([target]) => target);
    for (const [target, type, listener] of this.lifecycle) target.addEventListener(type, listener);
    this.join();
  }

  subscribe(hooks) {
    const subscription = new Subscription(this, hooks);
    this.subscriptions.push(subscription);
    // Already open: `open` comes in a task of its own, as from the network.
    if (this.readyState === OPEN && this.position === 'synced') setTimeout(() => this.greet([subscription]));
    return subscription;
  }

  unsubscribe(subscription) {
    this.subscriptions = this.subscriptions.filter((s) => s !== subscription);
    if (!this.subscriptions.length) this.shutdown();
  }

  // ---- the lock ---------------------------------------------------------------------

  /** Queues for the lock and asks the holder for the state (and, coming back, what was missed). */
  join() {
    const abort = new AbortController();
    this.abort = abort;
    let granted = false;
    navigator.locks
      .request(this.name, { signal: abort.signal }, () => {
        granted = true;
        return this.hold(abort.signal);
      })
      .catch((error) => {
        // No lock to be had here (an opaque origin): a connection of its own.
        if (!granted && error?.name !== 'AbortError' && !this.closed) this.alone();
      });
    this.post({ t: 'join', after: this.position === 'resync' ? this.seq : -1 });
  }

  /** The lock came: catch up, then take over the connection; the promise keeps the lock until `stop()`. */
  async hold(aborted) {
    const { pending = [] } = this.channel ? await navigator.locks.query().catch(() => ({})) : {};
    const count = pending.filter((lock) => lock.name === this.name).length;
    if (count && !aborted.aborted && !this.closed) await this.catchUp(count);
    if (aborted.aborted || this.closed) return undefined;
    this.position = 'synced';
    const held = new Promise((resolve) => {
      this.release = resolve;
    });
    this.post({ t: 'state', ...this.status() });
    this.connect();
    return held;
  }

  /**
   * Asks the `count` hubs waiting for the lock where they are in the stream,
   * and takes the events it lacks from the most advanced.
   */
  async catchUp(count) {
    const claim = `${this.id}.${Math.random().toString(36).slice(2)}`;
    const synced = this.position !== 'fresh';
    const reports = await new Promise((resolve) => {
      const list = [];
      const timer = setTimeout(() => this.claiming?.done(), REPORTS_MS);
      this.claiming = {
        claim,
        list,
        count,
        done: () => {
          clearTimeout(timer);
          this.claiming = null;
          resolve(list);
        },
      };
      this.post({ t: 'claim', claim, after: synced ? this.seq : -1 });
    });
    if (this.closed) return;
    const best = reports.filter((r) => r.synced).sort((a, b) => b.seq - a.seq)[0];
    if (!best) return;
    if (!synced) {
      this.adopt(best);
    } else {
      this.position = 'synced';
      for (const event of reports.flatMap((r) => r.events).sort((a, b) => a.seq - b.seq)) this.deliver(event);
      if (best.seq === this.seq) this.lastEventId = best.id;
    }
  }

  /** Where no lock can be taken: this context connects for itself alone. */
  alone() {
    this.channel?.close();
    this.channel = null;
    this.hold({ aborted: false });
  }

  /** The holder lets go: the connection closes, the others hear a goodbye, the lock goes to the next. */
  stop() {
    const connection = this.connection;
    this.connection = null;
    if (connection) {
      this.lastEventId = connection.lastEventId() ?? this.lastEventId;
      this.rt = connection.reconnectionTime();
      connection.close();
      connection.free();
    }
    this.post({ t: 'bye', seq: this.seq, id: this.lastEventId, rt: this.rt });
    const release = this.release;
    this.release = null;
    release();
  }

  /** Out of the line: let go of the connection if held, leave the queue. */
  leave() {
    if (this.release) this.stop();
    this.abort.abort();
    this.claiming?.done();
  }

  suspend() {
    if (this.closed || this.suspended) return;
    this.suspended = true;
    this.leave();
  }

  resume() {
    if (this.closed || !this.suspended) return;
    this.suspended = false;
    if (this.position === 'synced') this.position = 'resync';
    this.join();
  }

  shutdown() {
    if (this.closed) return;
    this.closed = true;
    if (hubs.get(this.name) === this) hubs.delete(this.name);
    this.leave();
    this.channel?.close();
    this.channel = null;
    for (const [target, type, listener] of this.lifecycle) target.removeEventListener(type, listener);
  }

  // ---- holding: the connection ------------------------------------------------------

  connect() {
    const options = { ...this.options, lastEventId: this.lastEventId, initialDelay: this.rt ?? this.options.initialDelay };
    const hooks = {
      open: (origin) => this.opened(origin),
      messages: (batch) => forEachEvent(batch, (type, data, id) => this.produced(type, data, id)),
      error: (info) => this.failed(info),
    };
    const start = (Connection) => {
      if (this.release) this.connection = new Connection(this.url, options, hooks);
    };
    const loaded = this.load();
    if (typeof loaded.then !== 'function') return start(loaded);
    loaded.then(start, (cause) => {
      if (this.release) this.failed({ readyState: CLOSED, reason: 'module', status: 0, delay: null, contentType: '', cause });
    });
  }

  opened(origin) {
    this.readyState = OPEN;
    this.origin = origin;
    this.post({ t: 'open', origin });
    this.greet(this.subscriptions);
  }

  produced(type, data, id) {
    const event = { seq: this.seq + 1, type, data, id, rt: this.connection?.reconnectionTime() ?? this.rt };
    // Posted in one message per task: the events of one chunk travel together.
    if (!this.outbox) {
      this.outbox = [];
      queueMicrotask(() => this.flush());
    }
    this.outbox.push(event);
    this.deliver(event);
  }

  failed(error) {
    this.readyState = error.readyState;
    this.post({ t: 'error', ...error, cause: portable(error.cause) });
    this.fail(error);
  }

  status() {
    const connection = this.connection;
    return {
      readyState: this.readyState,
      origin: this.origin,
      seq: this.seq,
      id: connection?.lastEventId() ?? this.lastEventId,
      rt: connection?.reconnectionTime() ?? this.rt,
    };
  }

  flush() {
    const list = this.outbox;
    this.outbox = null;
    if (list?.length) this.channel?.postMessage({ t: 'events', list, from: this.id });
  }

  post(message) {
    this.flush(); // the events before it, first
    this.channel?.postMessage({ ...message, from: this.id });
  }

  // ---- every hub: the channel, the subscriptions ------------------------------------

  receive(m) {
    if (this.closed || this.suspended || (m.to && m.to !== this.id)) return;
    if (m.t === 'join') {
      if (this.release) {
        const replay = m.after < 0 ? undefined : this.kept.filter((event) => event.seq > m.after);
        this.post({ t: 'state', to: m.from, ...this.status(), replay });
      }
      return;
    }
    if (m.t === 'claim') {
      const events = this.position === 'synced' && m.after >= 0 ? this.kept.filter((event) => event.seq > m.after) : [];
      this.post({ t: 'report', to: m.from, claim: m.claim, synced: this.position === 'synced', ...this.status(), events });
      return;
    }
    if (m.t === 'report') {
      const claiming = this.claiming;
      if (claiming?.claim === m.claim) {
        claiming.list.push(m);
        if (claiming.list.length === claiming.count) claiming.done();
      }
      return;
    }
    if (m.t === 'bye') {
      if (m.seq === this.seq) {
        this.lastEventId = m.id; // an `id:` without data, after the last event
        this.rt = m.rt;
      }
      return;
    }
    if (this.release) return; // a former holder's, late: this context connects for itself now
    if (m.t === 'state') this.adopt(m);
    else if (this.position !== 'synced')
      return; // before the state: not yet part of it
    else if (m.t === 'events') for (const event of m.list) this.deliver(event);
    else if (m.t === 'open') {
      this.readyState = OPEN;
      this.origin = m.origin;
      this.greet(this.subscriptions);
    } else if (m.t === 'error') {
      this.readyState = m.readyState;
      this.fail({ ...m, cause: revive(m.cause) });
    }
  }

  /** The holder's state: the place in the stream of a hub that has none, or that came back. */
  adopt(m) {
    if (this.position === 'resync') {
      if (!m.replay && m.seq > this.seq) {
        // A new holder's announcement, not the answer: ask it for what was missed.
        this.post({ t: 'join', after: this.seq });
        return;
      }
      this.position = 'synced';
      for (const event of m.replay ?? []) this.deliver(event);
    } else if (this.position === 'fresh') {
      this.position = 'synced';
      this.seq = m.seq;
      this.lastEventId = m.id;
    }
    this.rt = m.rt ?? this.rt;
    this.readyState = m.readyState;
    this.origin = m.origin;
    if (m.readyState === OPEN) this.greet(this.subscriptions);
  }

  /** An event, to every open subscription here, unless it was delivered already. */
  deliver(event) {
    if (event.seq <= this.seq) return;
    this.seq = event.seq;
    this.lastEventId = event.id;
    this.rt = event.rt;
    this.keep(event);
    for (const s of [...this.subscriptions]) {
      if (s.closed || s.state !== OPEN) continue;
      s.lastEventIdSeen = event.id;
      s.hooks.message(event.type, event.data, event.id);
    }
  }

  keep(event) {
    const kept = this.kept;
    kept.push(event);
    this.keptChars += event.data.length;
    if (kept.length > 2 * KEEP_EVENTS || this.keptChars > 2 * KEEP_CHARS) {
      let drop = 0;
      while (kept.length - drop > KEEP_EVENTS || (this.keptChars > KEEP_CHARS && drop < kept.length - 1)) {
        this.keptChars -= kept[drop++].data.length;
      }
      kept.splice(0, drop);
    }
  }

  /** `open` to the subscriptions not yet open, as the connection is. */
  greet(subscriptions) {
    if (this.readyState !== OPEN || this.position !== 'synced') return;
    for (const s of [...subscriptions]) {
      if (s.closed || s.state !== CONNECTING) continue;
      s.state = OPEN;
      s.hooks.open(this.origin);
    }
  }

  /** An `error`, to every subscription here; CLOSED ends the shared connection for all of them. */
  fail({ readyState, reason, status, delay, contentType, cause }) {
    for (const s of [...this.subscriptions]) {
      if (s.closed) continue;
      s.state = readyState;
      s.hooks.error({ readyState, reason, status, delay, contentType, cause });
    }
    if (readyState === CLOSED) this.shutdown();
  }
}

/** One shared source's handle on its hub. */
class Subscription {
  constructor(hub, hooks) {
    this.hub = hub;
    this.hooks = hooks;
    this.state = CONNECTING;
    this.closed = false;
    this.lastEventIdSeen = null; // that of the last event delivered here
  }

  readyState() {
    return this.closed ? CLOSED : this.state;
  }

  /** null before any event: the source's own (its lastEventId option). */
  lastEventId() {
    return this.lastEventIdSeen;
  }

  reconnectionTime() {
    return this.hub.connection?.reconnectionTime() ?? this.hub.rt;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.hub.unsubscribe(this);
  }

  free() {}
}
