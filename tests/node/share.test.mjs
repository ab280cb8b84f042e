// The cross-tab protocol of `shared` (js/share-protocol.js) as the pure function it is:
// inputs in, state and actions out, without a browser. The browser tests
// (tests/shared/run.mjs) keep the wiring honest: eight pages, hand-overs, exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSED, CONNECTING, KEEP_EVENTS, OPEN, REPORTS_MS, initial, step } from '../../js/share-protocol.js';

/** Runs inputs in order from `state`; returns the last state and every action, each as a short string. */
function run(state, inputs, live = null) {
  const all = [];
  for (const input of inputs) {
    const [next, actions] = step(state, input, live);
    assert.notEqual(next, state, 'a new state object');
    state = next;
    all.push(...actions.map(show));
  }
  return { state, actions: all };
}

/** An action as a short string: `post join -1`, `deliver 3`, `connect 7 30`, ... */
function show(a) {
  switch (a.do) {
    case 'post': {
      const { t, from, ...rest } = a.m;
      const detail = {
        join: () => rest.after,
        claim: () => rest.after,
        state: () =>
          `${rest.to ?? '*'} seq=${rest.seq} id=${rest.id} rs=${rest.readyState}${rest.replay ? ` replay=${rest.replay.map((e) => e.seq)}` : ''}`,
        report: () => `${rest.to} seq=${rest.seq} synced=${rest.synced} events=${rest.events.map((e) => e.seq)}`,
        bye: () => `seq=${rest.seq} id=${rest.id} rt=${rest.rt}`,
        open: () => rest.origin,
        error: () => `${rest.reason} ${rest.readyState}`,
      }[t];
      return `post ${t} ${detail?.() ?? ''}`.trim();
    }
    case 'send':
    case 'deliver':
      return `${a.do} ${a.event.seq}`;
    case 'connect':
      return `connect ${a.lastEventId} ${a.initialDelay}`;
    case 'greet':
      return `greet ${a.origin}${a.all ? '' : ' later'}`;
    case 'fail':
      return `fail ${a.error.reason} ${a.error.readyState}`;
    case 'timer':
      return `timer ${a.ms}`;
    default:
      return a.do;
  }
}

const event = (seq, id = String(seq), data = `d${seq}`) => ({ seq, type: 'message', data, id, rt: 3000 });
const fresh = () => initial('me', 'x0');
/** A hub started and told by the holder that the stream is OPEN at `seq` (its event IDs are the seqs). */
const listeningAt = (seq) =>
  run(fresh(), [
    { t: 'start' },
    { t: 'message', m: { t: 'state', from: 'h', readyState: OPEN, origin: 'o', seq, id: seq ? String(seq) : '', rt: 50 } },
  ]).state;

test("the first hub: queues, gets the lock alone, connects with the option's ID, numbers and posts what it receives", () => {
  const { state, actions } = run(fresh(), [
    { t: 'start' },
    { t: 'granted', pending: 0, claim: 'c1' },
    { t: 'opened', origin: 'https://a.test' },
    { t: 'produced', type: 'message', data: 'hi', id: '1' },
    { t: 'produced', type: 'tick', data: 'there', id: '2' },
  ]);
  assert.deepEqual(actions, [
    'lock',
    'post join -1',
    'post state * seq=0 id=x0 rs=0',
    'connect x0 null',
    'post open https://a.test',
    'greet https://a.test',
    'send 1',
    'deliver 1',
    'send 2',
    'deliver 2',
  ]);
  assert.equal(state.seq, 2);
  assert.equal(state.lastEventId, '2');
  assert.equal(state.readyState, OPEN);
  assert.deepEqual(
    state.kept.map((e) => [e.seq, e.type, e.data]),
    [
      [1, 'message', 'hi'],
      [2, 'tick', 'there'],
    ],
  );
});

test('while holding, the ID and the reconnection time come from the machine (live), not from copies', () => {
  const holding = run(fresh(), [{ t: 'start' }, { t: 'granted', pending: 0 }]).state;
  // An `id:` without data after the last event: only the machine knows it.
  const live = { lastEventId: 'only-in-the-machine', rt: 1234 };
  const joined = run(holding, [{ t: 'message', m: { t: 'join', from: 'other', after: -1 } }], live);
  assert.deepEqual(joined.actions, ['post state other seq=0 id=only-in-the-machine rs=0']);
  const produced = step(holding, { t: 'produced', type: 'message', data: 'a', id: '5' }, live)[1];
  assert.equal(produced.find((a) => a.do === 'send').event.rt, 1234);
  // Letting go: the goodbye carries them, and the hub keeps them for its next turn.
  const { state, actions } = run(holding, [{ t: 'suspend' }], live);
  assert.deepEqual(actions, ['disconnect', 'post bye seq=0 id=only-in-the-machine rt=1234', 'release', 'abort-lock']);
  assert.deepEqual([state.lastEventId, state.rt, state.holding, state.locked], ['only-in-the-machine', 1234, false, false]);
});

test("a hub that is not holding: adopts the holder's state, delivers each seq once and in order, greets when open", () => {
  const { state, actions } = run(fresh(), [
    { t: 'start' },
    { t: 'message', m: { t: 'events', from: 'h', list: [event(1)] } }, // before the state: not yet part of it
    { t: 'message', m: { t: 'state', from: 'h', to: 'me', readyState: OPEN, origin: 'o', seq: 4, id: '4', rt: 50 } },
    { t: 'message', m: { t: 'events', from: 'h', list: [event(3), event(4), event(5), event(6)] } },
    { t: 'message', m: { t: 'events', from: 'h', list: [event(6), event(7)] } },
    { t: 'message', m: { t: 'state', from: 'h', to: 'someone-else', readyState: OPEN, origin: 'o', seq: 9, id: '9', rt: 50 } },
  ]);
  assert.deepEqual(actions, ['lock', 'post join -1', 'greet o', 'deliver 5', 'deliver 6', 'deliver 7']);
  assert.deepEqual([state.seq, state.lastEventId, state.position, state.rt], [7, '7', 'synced', 3000]);
});

test("the holder's error reaches every subscription; CLOSED ends the hub (goodbye, lock and channel let go)", () => {
  const listening = listeningAt(1);
  const reconnecting = run(listening, [
    { t: 'message', m: { t: 'error', from: 'h', readyState: CONNECTING, reason: 'end-of-stream', status: 0, delay: 50 } },
    { t: 'message', m: { t: 'open', from: 'h', origin: 'o' } },
  ]);
  assert.deepEqual(reconnecting.actions, ['fail end-of-stream 0', 'greet o']);
  const closed = run(reconnecting.state, [
    { t: 'message', m: { t: 'error', from: 'h', readyState: CLOSED, reason: 'status', status: 204, delay: null } },
  ]);
  assert.deepEqual(closed.actions, ['fail status 2', 'abort-lock', 'close-channel', 'forget']);
  assert.equal(closed.state.closed, true);
  // Closed: nothing more is heard.
  assert.deepEqual(run(closed.state, [{ t: 'message', m: { t: 'events', list: [event(2)] } }, { t: 'resume' }]).actions, []);
  // The holder's own failure is posted to the others first.
  const holding = run(fresh(), [{ t: 'start' }, { t: 'granted', pending: 0 }]).state;
  const failed = run(holding, [{ t: 'failed', error: { readyState: CLOSED, reason: 'status', status: 204, delay: null } }]);
  assert.deepEqual(failed.actions, [
    'post error status 2',
    'fail status 2',
    'disconnect',
    'post bye seq=0 id=x0 rt=null',
    'release',
    'abort-lock',
    'close-channel',
    'forget',
  ]);
});

test('a new holder catches up with the most advanced of those waiting before it connects (claim, report)', () => {
  // Synced at seq 3, frozen meanwhile; the lock comes with two hubs waiting behind.
  const synced = listeningAt(3);
  const claim = run(synced, [{ t: 'granted', pending: 2, claim: 'c9' }]);
  assert.deepEqual(claim.actions, ['post claim 3', `timer ${REPORTS_MS}`]);
  const report = (from, seq, events, synced = true) => ({
    t: 'message',
    m: { t: 'report', from, to: 'me', claim: 'c9', synced, readyState: OPEN, origin: 'o', seq, id: String(seq), rt: 70, events },
  });
  const after = run(claim.state, [
    report('late', 0, [], false),
    { t: 'message', m: { t: 'report', from: 'stale', to: 'me', claim: 'an-older-claim', synced: true, seq: 99, events: [] } },
    report('ahead', 6, [event(4), event(5), event(6)]),
  ]);
  assert.deepEqual(after.actions, [
    'cancel-timer',
    'deliver 4',
    'deliver 5',
    'deliver 6',
    'post state * seq=6 id=6 rs=1',
    'connect 6 3000',
  ]);
  assert.deepEqual([after.state.seq, after.state.holding, after.state.claiming], [6, true, null]);
  // A fresh hub adopts the best report's place instead; with no report in time, it goes on alone.
  const adopted = run(run(fresh(), [{ t: 'start' }, { t: 'granted', pending: 1, claim: 'c9' }]).state, [report('ahead', 6, [])]);
  assert.deepEqual(adopted.actions, ['cancel-timer', 'greet o', 'post state * seq=6 id=6 rs=1', 'connect 6 70']);
  const timedOut = run(claim.state, [{ t: 'reports-due' }]);
  assert.deepEqual(timedOut.actions, ['cancel-timer', 'post state * seq=3 id=3 rs=1', 'connect 3 50']);
  // Meanwhile every hub answers a claim with its place and what it has after `after`.
  const answered = run(after.state, [{ t: 'message', m: { t: 'claim', from: 'next', claim: 'c10', after: 4 } }]);
  assert.deepEqual(answered.actions, ['post report next seq=6 synced=true events=5,6']);
});

test("frozen and resumed: lets go, then asks for what it missed; a new holder's announcement is not the answer", () => {
  const synced = listeningAt(2);
  const back = run(synced, [{ t: 'suspend' }, { t: 'message', m: { t: 'events', list: [event(3)] } }, { t: 'resume' }]);
  assert.deepEqual(back.actions, ['abort-lock', 'lock', 'post join 2']);
  assert.equal(back.state.position, 'resync');
  const announced = run(back.state, [
    { t: 'message', m: { t: 'state', from: 'h2', readyState: OPEN, origin: 'o', seq: 5, id: '5', rt: 50 } },
  ]);
  assert.deepEqual(announced.actions, ['post join 2']);
  const replayed = run(announced.state, [
    {
      t: 'message',
      m: {
        t: 'state',
        from: 'h2',
        to: 'me',
        readyState: OPEN,
        origin: 'o',
        seq: 5,
        id: '5',
        rt: 50,
        replay: [event(3), event(4), event(5)],
      },
    },
  ]);
  assert.deepEqual(replayed.actions, ['deliver 3', 'deliver 4', 'deliver 5', 'greet o']);
  // The holder answers a join with what followed `after`, from what it keeps.
  const holder = run(fresh(), [
    { t: 'start' },
    { t: 'granted', pending: 0 },
    ...[1, 2, 3].map((n) => ({ t: 'produced', type: 'message', data: 'x', id: String(n) })),
  ]).state;
  assert.deepEqual(run(holder, [{ t: 'message', m: { t: 'join', from: 'b', after: 1 } }]).actions, [
    'post state b seq=3 id=3 rs=0 replay=2,3',
  ]);
});

test('a goodbye after the last event carries the last event ID (an id: without data)', () => {
  const synced = listeningAt(2);
  assert.equal(run(synced, [{ t: 'message', m: { t: 'bye', seq: 2, id: '2b', rt: 80 } }]).state.lastEventId, '2b');
  assert.equal(run(synced, [{ t: 'message', m: { t: 'bye', seq: 1, id: 'old', rt: 80 } }]).state.lastEventId, '2');
});

test('subscriptions: a late one is greeted in a task of its own; the last one gone ends the hub; the lock after that is given back', () => {
  const open = listeningAt(0);
  assert.deepEqual(run(open, [{ t: 'subscribed' }]).actions, ['greet o later']);
  assert.deepEqual(run(fresh(), [{ t: 'start' }, { t: 'subscribed' }]).actions, ['lock', 'post join -1']);
  assert.deepEqual(run(open, [{ t: 'unsubscribed', last: false }]).actions, []);
  const ended = run(open, [{ t: 'unsubscribed', last: true }]);
  assert.deepEqual(ended.actions, ['abort-lock', 'close-channel', 'forget']);
  assert.deepEqual(run(ended.state, [{ t: 'granted', pending: 0 }]).actions, ['release']);
  // No lock to be had: a connection of its own, without the channel.
  assert.deepEqual(run(fresh(), [{ t: 'start' }, { t: 'no-lock' }]).actions, [
    'lock',
    'post join -1',
    'close-channel',
    'post state * seq=0 id=x0 rs=0',
    'connect x0 null',
  ]);
});

test('what a hub keeps to resend is bounded: the latest events, by count', () => {
  let state = run(fresh(), [{ t: 'start' }, { t: 'granted', pending: 0 }]).state;
  for (let n = 1; n <= 3 * KEEP_EVENTS; n++) [state] = step(state, { t: 'produced', type: 'message', data: 'x', id: String(n) });
  assert.ok(state.kept.length >= KEEP_EVENTS && state.kept.length <= 2 * KEEP_EVENTS, String(state.kept.length));
  assert.equal(state.kept.at(-1).seq, 3 * KEEP_EVENTS);
  assert.throws(() => step(state, { t: 'no-such-input' }), TypeError);
});
