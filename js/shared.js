// One connection for every same-origin tab, frame and worker (README, "One
// connection for every tab"): the wiring of the protocol. What the hubs of the
// contexts say to each other, and when a hub connects, is decided by a pure
// function, `step()` in share-protocol.js (its comment describes the protocol);
// this file feeds it what happens in the browser (the Web Lock, the
// BroadcastChannel, the holder's connection, timers, the page's lifecycle) and
// performs the actions it returns.

import { forEachEvent } from './eventsource.js';
import { CLOSED, CONNECTING, OPEN, initial, step } from './share-protocol.js';

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
          o.lastEventIdQueryParameter ?? null,
        ];
  // The version: the messages of another release of this file may differ.
  return `eventsource-wasm 1 ${JSON.stringify([url, ...same])}`;
}

/** An error's name and message, which survive postMessage (an Error's cloning is not everywhere). */
const portable = (cause) => (cause === undefined ? undefined : { name: cause?.name ?? 'Error', message: String(cause?.message ?? cause) });
const revive = (cause) => cause && Object.assign(new Error(cause.message), { name: cause.name });
const randomId = () => `${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`;

class Hub {
  constructor(name, url, options, load) {
    this.channel = new BroadcastChannel(name);
    // An error's cause crosses as its name and message (see `post`).
    this.channel.onmessage = ({ data: m }) => this.input({ t: 'message', m: m.t === 'error' ? { ...m, cause: revive(m.cause) } : m });
    this.name = name;
    this.url = url;
    this.options = options;
    this.load = load;
    this.state = initial(randomId(), options.lastEventId);
    this.subscriptions = [];
    this.connection = null; // holding: the wasm Connection
    this.held = null; // the lock is held: resolves the lock callback's promise
    this.abort = null; // the lock request's
    this.timer = null;
    this.outbox = null;
    this.inputs = []; // what happened while actions ran, taken in order
    this.stepping = false;
    // Page Lifecycle: a frozen page or one in the back/forward cache runs no
    // task, so it must neither hold the connection nor wait in the queue.
    const suspend = () => this.input({ t: 'suspend' });
    const resume = () => this.input({ t: 'resume' });
    this.lifecycle = [
      [globalThis.document, 'freeze', suspend],
      [globalThis.document, 'resume', resume],
      [globalThis.window, 'pagehide', suspend],
      [globalThis.window, 'pageshow', resume],
    ].filter(([target]) => target);
    for (const [target, type, listener] of this.lifecycle) target.addEventListener(type, listener);
    this.input({ t: 'start' });
  }

  /**
   * Something happened: the protocol's next step, then its actions, in order. An input
   * that arrives while they run (page code in a subscription's hooks) waits its turn.
   */
  input(input) {
    this.inputs.push(input);
    if (this.stepping) return;
    this.stepping = true;
    try {
      while (this.inputs.length) {
        const connection = this.connection;
        // While holding: what the wasm machine says now, never a copy.
        const live = connection && { lastEventId: connection.lastEventId(), rt: connection.reconnectionTime() };
        const [state, actions] = step(this.state, this.inputs.shift(), live);
        this.state = state;
        for (const action of actions) this.perform(action);
      }
    } finally {
      this.stepping = false;
    }
  }

  perform(a) {
    switch (a.do) {
      case 'lock':
        return this.lock();
      case 'abort-lock':
        return this.abort?.abort();
      case 'release': {
        const held = this.held;
        this.held = null;
        return held?.();
      }
      case 'post':
        this.flush(); // the events before it, first
        return this.channel?.postMessage({ ...a.m, ...(a.m.t === 'error' ? { cause: portable(a.m.cause) } : {}), from: this.state.id });
      case 'send':
        // Posted in one message per task: the events of one chunk travel together.
        if (!this.outbox) {
          this.outbox = [];
          queueMicrotask(() => this.flush());
        }
        this.outbox.push(a.event);
        return;
      case 'close-channel':
        this.channel?.close();
        this.channel = null;
        return;
      case 'connect':
        return this.connect(a);
      case 'disconnect': {
        const connection = this.connection;
        this.connection = null;
        connection?.close();
        connection?.free();
        return;
      }
      case 'timer':
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.input({ t: 'reports-due' }), a.ms);
        return;
      case 'cancel-timer':
        return clearTimeout(this.timer);
      case 'deliver':
        for (const s of [...this.subscriptions]) {
          if (s.closed || s.state !== OPEN) continue;
          s.lastEventIdSeen = a.event.id;
          s.hooks.message(a.event.type, a.event.data, a.event.id);
        }
        return;
      case 'greet':
        if (a.all) return this.greet(this.subscriptions, a.origin);
        // A new subscription to an open connection: in a task of its own, as from the network.
        return setTimeout(() => this.greet(this.subscriptions, this.state.origin));
      case 'fail':
        for (const s of [...this.subscriptions]) {
          if (s.closed) continue;
          s.state = a.error.readyState;
          s.hooks.error({ ...a.error });
        }
        return;
      case 'forget':
        if (hubs.get(this.name) === this) hubs.delete(this.name);
        for (const [target, type, listener] of this.lifecycle) target.removeEventListener(type, listener);
        return;
      default:
        throw new TypeError(`shared.js: unknown action ${JSON.stringify(a.do)}`);
    }
  }

  /** Queues for the lock; when it comes, tells the protocol how many wait behind. */
  lock() {
    const abort = new AbortController();
    this.abort = abort;
    let granted = false;
    navigator.locks
      .request(this.name, { signal: abort.signal }, async () => {
        granted = true;
        const { pending = [] } = await navigator.locks.query().catch(() => ({}));
        const held = new Promise((resolve) => {
          this.held = resolve;
        });
        this.input({ t: 'granted', pending: pending.filter((lock) => lock.name === this.name).length, claim: randomId() });
        return held; // the lock is kept until 'release'
      })
      .catch((error) => {
        // No lock to be had here (an opaque origin): a connection of its own.
        if (!granted && error?.name !== 'AbortError') this.input({ t: 'no-lock' });
      });
  }

  /** Makes the connection, as an unshared source would, with the protocol's ID and delay. */
  connect({ lastEventId, initialDelay }) {
    const options = { ...this.options, lastEventId, initialDelay: initialDelay ?? this.options.initialDelay };
    const hooks = {
      open: (origin) => this.input({ t: 'opened', origin }),
      messages: (batch) => forEachEvent(batch, (type, data, id) => this.input({ t: 'produced', type, data, id })),
      error: (error) => this.input({ t: 'failed', error }),
      // (Told to the sources of this context only: the one that holds the connection.)
      warning: (code, message) => {
        for (const s of [...this.subscriptions]) if (!s.closed) s.hooks.warning(code, message);
      },
    };
    const start = (Connection) => {
      if (this.state.holding && !this.connection) this.connection = new Connection(this.url, options, hooks);
    };
    const loaded = this.load();
    if (typeof loaded.then !== 'function') return start(loaded);
    loaded.then(start, (cause) => {
      if (this.state.holding)
        this.input({ t: 'failed', error: { readyState: CLOSED, reason: 'module', status: 0, delay: null, contentType: '', cause } });
    });
  }

  flush() {
    const list = this.outbox;
    this.outbox = null;
    if (list?.length) this.channel?.postMessage({ t: 'events', list, from: this.state.id });
  }

  subscribe(hooks) {
    const subscription = new Subscription(this, hooks);
    this.subscriptions.push(subscription);
    this.input({ t: 'subscribed' });
    return subscription;
  }

  unsubscribe(subscription) {
    this.subscriptions = this.subscriptions.filter((s) => s !== subscription);
    this.input({ t: 'unsubscribed', last: !this.subscriptions.length });
  }

  /** `open` to the subscriptions not yet open, as the connection is. */
  greet(subscriptions, origin) {
    if (this.state.readyState !== OPEN || this.state.position !== 'synced') return;
    for (const s of [...subscriptions]) {
      if (s.closed || s.state !== CONNECTING) continue;
      s.state = OPEN;
      s.hooks.open(origin);
    }
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
    return this.hub.connection?.reconnectionTime() ?? this.hub.state.rt;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.hub.unsubscribe(this);
  }

  free() {}
}
