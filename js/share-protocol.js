// The cross-tab protocol of `shared` (README, "One connection for every tab") as a pure
// function: `step(state, input, live)` returns the hub's next state and the actions to
// perform, and does nothing itself. shared.js wires it to the browser: it feeds in what
// happens (the Web Lock granted, a message on the BroadcastChannel, the holder's
// connection opening, an event, an error, a timer, the page frozen or resumed) and
// performs the actions (post, request or release the lock, connect, deliver to the
// subscriptions, set a timer). Tested without a browser by tests/node/share.test.mjs.
//
// A source made with `shared` subscribes to the hub of its context for that stream (one
// hub per channel name and context). The hubs of all contexts meet on a BroadcastChannel
// of that name; the one that holds the Web Lock of the same name runs the only
// connection (a wasm Connection, as an unshared source would), numbers its events and
// posts them to the others. The lock's queue is the line of succession: when the holder
// goes (its last source closed, its page closed, crashed or frozen), the next hub in the
// queue gets the lock and connects again with the last event ID.
//
// Messages on the channel, each with `from` (the sender's hub id; shared.js adds it):
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
// Exactly once: `seq` numbers the events of the stream across holders, and every hub
// delivers each seq at most once, in order. A new holder first catches up with the most
// advanced of the others (claim, report: it knows how many to expect from the lock's
// queue), so that none is ahead of it; it connects with the last event ID it then has,
// and numbers what the server sends after it from there: a server that resends what
// followed that ID gives the same events the same numbers, and whoever had them already
// drops them.
//
// Inputs (`t`):
//   start                      the hub was made: queue for the lock, ask for the state
//   granted {pending, claim}   the lock came, `pending` hubs wait behind; `claim` is a
//                              fresh random id for the catch-up
//   reports-due                the catch-up's time limit
//   no-lock                    no lock can be had here: connect alone
//   message {m}                a message from the channel
//   opened {origin}            the holder's connection opened
//   produced {type, data, id}  an event of the holder's connection
//   failed {error}             an `error` of the holder's connection (or its module)
//   subscribed                 a source subscribed here
//   unsubscribed {last}        a source left; `last`: none is left
//   suspend, resume            the page was frozen (or hidden into the back/forward
//                              cache), and resumed
// `live`, while this hub holds the connection: what its machine says now,
// `{ lastEventId, rt }` (the last event ID and the reconnection time): never a copy.
//
// Actions (`do`):
//   lock                       queue for the lock
//   abort-lock                 leave the queue
//   release                    let go of the lock (held since `granted`)
//   post {m}                   post `m` on the channel (produced events first)
//   send {event}               post an event, with the others of the same task
//   close-channel
//   connect {lastEventId, initialDelay}   make the connection
//   disconnect                 close and free it
//   timer {ms}, cancel-timer   the catch-up's time limit (`reports-due`)
//   deliver {event}            to every open subscription here
//   greet {origin, all}        `open` to the subscriptions not yet open (`all`: or
//                              only the newest, later, in a task of its own)
//   fail {error}               `error` to every subscription here
//   forget                     this hub is closed: a new source makes a new one

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSED = 2;

/** How long a new holder waits for the reports of the others (a safety net: they answer at once). */
export const REPORTS_MS = 1000;
/** What every hub keeps of the latest events, to resend to a context that missed some (one that was frozen). */
export const KEEP_EVENTS = 256;
export const KEEP_CHARS = 256 * 1024;

/** A hub's state before its first input. */
export function initial(id, lastEventId) {
  return {
    id,
    readyState: CONNECTING, // the connection's, as last heard
    origin: '',
    seq: 0, // the last event delivered here (or, holding, produced)
    position: 'fresh', // 'fresh' (no seq yet), 'synced', 'resync' (came back: asks for what it missed)
    lastEventId,
    rt: null, // the reconnection time, once heard
    kept: [],
    keptChars: 0,
    locked: false, // the lock is held
    holding: false, // and, caught up, the connection is made (or being made)
    claiming: null, // the lock held, catching up: { claim, count, synced, reports } until the others answered
    closed: false,
    suspended: false,
  };
}

/** One step: returns `[next state, actions]`; `state` is not changed. */
export function step(state, input, live = null) {
  const run = new Run({ ...state }, live);
  run.input(input);
  return [run.s, run.actions];
}

/** One step's work: the state being made, and the actions so far. */
class Run {
  constructor(s, live) {
    this.s = s;
    this.live = live;
    this.actions = [];
  }

  act(action) {
    this.actions.push(action);
  }

  input(i) {
    const s = this.s;
    switch (i.t) {
      case 'start':
        return this.join();
      case 'granted':
        return this.granted(i);
      case 'reports-due':
        return this.finishClaim();
      case 'no-lock':
        if (s.closed) return;
        this.act({ do: 'close-channel' });
        return this.takeOver();
      case 'message':
        return this.receive(i.m);
      case 'opened':
        s.readyState = OPEN;
        s.origin = i.origin;
        this.act({ do: 'post', m: { t: 'open', origin: i.origin } });
        return this.greet(true);
      case 'produced': {
        const event = { seq: s.seq + 1, type: i.type, data: i.data, id: i.id, rt: this.live?.rt ?? s.rt };
        this.act({ do: 'send', event });
        return this.deliver(event);
      }
      case 'failed':
        s.readyState = i.error.readyState;
        this.act({ do: 'post', m: { t: 'error', ...i.error } });
        return this.fail(i.error);
      case 'subscribed':
        // Already open: `open` comes in a task of its own, as from the network.
        if (s.readyState === OPEN && s.position === 'synced') this.act({ do: 'greet', origin: s.origin, all: false });
        return;
      case 'unsubscribed':
        if (i.last) this.shutdown();
        return;
      case 'suspend':
        if (s.closed || s.suspended) return;
        s.suspended = true;
        return this.leave();
      case 'resume':
        if (s.closed || !s.suspended) return;
        s.suspended = false;
        if (s.position === 'synced') s.position = 'resync';
        return this.join();
      default:
        throw new TypeError(`share-protocol: unknown input ${JSON.stringify(i.t)}`);
    }
  }

  // ---- the lock -----------------------------------------------------------------------

  /** Queues for the lock and asks the holder for the state (and, coming back, what was missed). */
  join() {
    this.act({ do: 'lock' });
    this.act({ do: 'post', m: { t: 'join', after: this.s.position === 'resync' ? this.s.seq : -1 } });
  }

  /** The lock came: catch up with the `pending` others first, if any, then take over. */
  granted({ pending, claim }) {
    const s = this.s;
    if (s.closed || s.suspended) return this.act({ do: 'release' });
    s.locked = true;
    if (!pending) return this.takeOver();
    const synced = s.position !== 'fresh';
    s.claiming = { claim, count: pending, synced, reports: [] };
    this.act({ do: 'post', m: { t: 'claim', claim, after: synced ? s.seq : -1 } });
    this.act({ do: 'timer', ms: REPORTS_MS });
  }

  /** The reports are in (or their time is up): take the events lacking from the most advanced. */
  finishClaim() {
    const s = this.s;
    const claiming = s.claiming;
    if (!claiming) return;
    s.claiming = null;
    this.act({ do: 'cancel-timer' });
    if (s.closed) return;
    const best = claiming.reports.filter((r) => r.synced).sort((a, b) => b.seq - a.seq)[0];
    if (best && !claiming.synced) {
      this.adopt(best);
    } else if (best) {
      s.position = 'synced';
      for (const event of claiming.reports.flatMap((r) => r.events).sort((a, b) => a.seq - b.seq)) this.deliver(event);
      if (best.seq === s.seq) s.lastEventId = best.id;
    }
    this.takeOver();
  }

  /** Holding, caught up: announce the state and connect with the last event ID. */
  takeOver() {
    const s = this.s;
    s.holding = true;
    s.position = 'synced';
    this.act({ do: 'post', m: { t: 'state', ...this.status() } });
    this.act({ do: 'connect', lastEventId: s.lastEventId, initialDelay: s.rt });
  }

  /** The holder lets go: the connection closes, the others hear a goodbye, the lock goes to the next. */
  stop() {
    const s = this.s;
    if (this.live) {
      s.lastEventId = this.live.lastEventId;
      s.rt = this.live.rt;
      this.live = null;
    }
    s.holding = false;
    this.act({ do: 'disconnect' });
    this.act({ do: 'post', m: { t: 'bye', seq: s.seq, id: s.lastEventId, rt: s.rt } });
  }

  /** Out of the line: let go of the connection if held, and of the lock, leave the queue. */
  leave() {
    const s = this.s;
    if (s.holding) this.stop();
    if (s.claiming) {
      s.claiming = null;
      this.act({ do: 'cancel-timer' });
    }
    if (s.locked) {
      s.locked = false;
      this.act({ do: 'release' });
    }
    this.act({ do: 'abort-lock' });
  }

  shutdown() {
    if (this.s.closed) return;
    this.s.closed = true;
    this.leave();
    this.act({ do: 'close-channel' });
    this.act({ do: 'forget' });
  }

  /** Where this hub is in the stream: the machine's ID and time while holding. */
  status() {
    const s = this.s;
    return {
      readyState: s.readyState,
      origin: s.origin,
      seq: s.seq,
      id: this.live?.lastEventId ?? s.lastEventId,
      rt: this.live?.rt ?? s.rt,
    };
  }

  // ---- every hub: the channel ---------------------------------------------------------

  receive(m) {
    const s = this.s;
    if (s.closed || s.suspended || (m.to && m.to !== s.id)) return;
    const post = (message) => this.act({ do: 'post', m: message });
    switch (m.t) {
      case 'join':
        if (s.holding) {
          const replay = m.after < 0 ? undefined : s.kept.filter((event) => event.seq > m.after);
          post({ t: 'state', to: m.from, ...this.status(), replay });
        }
        return;
      case 'claim': {
        const synced = s.position === 'synced';
        const events = synced && m.after >= 0 ? s.kept.filter((event) => event.seq > m.after) : [];
        post({ t: 'report', to: m.from, claim: m.claim, synced, ...this.status(), events });
        return;
      }
      case 'report': {
        const claiming = s.claiming;
        if (claiming?.claim !== m.claim) return;
        s.claiming = { ...claiming, reports: [...claiming.reports, m] };
        if (s.claiming.reports.length === claiming.count) this.finishClaim();
        return;
      }
      case 'bye':
        if (m.seq === s.seq) {
          s.lastEventId = m.id; // an `id:` without data, after the last event
          s.rt = m.rt;
        }
        return;
    }
    if (s.holding) return; // a former holder's, late: this context connects for itself now
    if (m.t === 'state') return this.adopt(m);
    if (s.position !== 'synced') return; // before the state: not yet part of it
    if (m.t === 'events') {
      for (const event of m.list) this.deliver(event);
    } else if (m.t === 'open') {
      s.readyState = OPEN;
      s.origin = m.origin;
      this.greet(true);
    } else if (m.t === 'error') {
      const { readyState, reason, status, delay, contentType, cause } = m;
      s.readyState = readyState;
      this.fail({ readyState, reason, status, delay, contentType, cause });
    }
  }

  /** The holder's state: the place in the stream of a hub that has none, or that came back. */
  adopt(m) {
    const s = this.s;
    if (s.position === 'resync') {
      if (!m.replay && m.seq > s.seq) {
        // A new holder's announcement, not the answer: ask it for what was missed.
        this.act({ do: 'post', m: { t: 'join', after: s.seq } });
        return;
      }
      s.position = 'synced';
      for (const event of m.replay ?? []) this.deliver(event);
    } else if (s.position === 'fresh') {
      s.position = 'synced';
      s.seq = m.seq;
      s.lastEventId = m.id;
    }
    s.rt = m.rt ?? s.rt;
    s.readyState = m.readyState;
    s.origin = m.origin;
    if (m.readyState === OPEN) this.greet(true);
  }

  /** An event, to every open subscription here, unless it was delivered already. */
  deliver(event) {
    const s = this.s;
    if (event.seq <= s.seq) return;
    s.seq = event.seq;
    s.lastEventId = event.id;
    s.rt = event.rt;
    this.keep(event);
    this.act({ do: 'deliver', event });
  }

  keep(event) {
    const s = this.s;
    let kept = [...s.kept, event];
    let chars = s.keptChars + event.data.length;
    if (kept.length > 2 * KEEP_EVENTS || chars > 2 * KEEP_CHARS) {
      let drop = 0;
      while (kept.length - drop > KEEP_EVENTS || (chars > KEEP_CHARS && drop < kept.length - 1)) chars -= kept[drop++].data.length;
      kept = kept.slice(drop);
    }
    s.kept = kept;
    s.keptChars = chars;
  }

  /** `open` to the subscriptions not yet open, as the connection is. */
  greet(all) {
    const s = this.s;
    if (s.readyState === OPEN && s.position === 'synced') this.act({ do: 'greet', origin: s.origin, all });
  }

  /** An `error`, to every subscription here; CLOSED ends the shared connection for all of them. */
  fail(error) {
    this.act({ do: 'fail', error });
    if (error.readyState === CLOSED) this.shutdown();
  }
}
