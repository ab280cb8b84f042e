// The client side of the resume test, the same in a page and in Node.js: what an app does
// to read a stream without losing or repeating an event.
//
//   const summary = await resume({ EventSource, impl: 'native' | 'ours', url, n, timeoutMs });
//
// The class reconnects by itself after a dropped or reset connection (sending
// `Last-Event-ID`). A 500, a 503 or a wrong Content-Type fails the source (CLOSED, no
// reconnection: spec 6), so on an error that leaves it CLOSED the app creates a new source
// that resumes after the last event ID it saw: with the native class through the
// `lastEventId` query parameter (it has no other way), with ours through its `lastEventId`
// option (sent as `Last-Event-ID` on the first request too).
//
// Every message is checked as it comes: its id must be the next one (0, 1, … n − 1) and its
// data exactly stream.mjs's. After event n − 1 it listens `quietMs` more, only to show that
// nothing else arrives, then closes. `timeoutMs` bounds the whole run: it then resolves with
// what it has, `timedOut` set.

import { expectedData } from './stream.mjs';

export function resume({ EventSource, impl, url, n, quietMs = 150, maxSources = 5000, timeoutMs = 60000 }) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = {
      impl,
      n,
      received: 0,
      next: 0,
      duplicates: 0,
      missing: 0,
      corrupt: 0,
      badIds: 0,
      afterEnd: 0,
      sources: 0,
      opens: 0,
      reconnecting: 0,
      failures: 0,
      reasons: {},
      anomalies: [],
      duration: 0,
      done: false,
      timedOut: false,
    };
    let lastSeen = '';
    let current = null;
    let finished = false;
    let guard = null;
    const note = (text) => {
      if (s.anomalies.length < 12) s.anomalies.push(text);
    };
    const finish = (why) => {
      if (finished) return;
      finished = true;
      clearTimeout(guard);
      current?.close();
      if (why) note(why);
      if (!s.done) s.duration = performance.now() - t0;
      resolve(s);
    };
    guard = setTimeout(() => {
      s.timedOut = true;
      finish(`timed out after ${timeoutMs} ms at event ${s.next} (${s.sources} sources, ${s.opens} opens)`);
    }, timeoutMs);
    const open = () => {
      if (++s.sources > maxSources) return finish(`gave up after ${maxSources} sources`);
      const es =
        impl === 'ours'
          ? new EventSource(url, { lastEventId: lastSeen })
          : new EventSource(lastSeen ? `${url}?lastEventId=${encodeURIComponent(lastSeen)}` : url);
      current = es;
      es.onopen = () => {
        s.opens++;
      };
      es.onmessage = (e) => {
        if (finished) return;
        s.received++;
        lastSeen = e.lastEventId;
        if (s.done) {
          s.afterEnd++;
          note(`after event ${n - 1}: id ${JSON.stringify(e.lastEventId)}`);
          return;
        }
        if (!/^(0|[1-9]\d*)$/.test(e.lastEventId)) {
          s.badIds++;
          note(`message with id ${JSON.stringify(e.lastEventId)} where ${s.next} was due`);
          return;
        }
        const id = Number(e.lastEventId);
        if (id < s.next) {
          s.duplicates++;
          note(`id ${id} again (after ${s.next - 1})`);
          return;
        }
        if (id > s.next) {
          s.missing += id - s.next;
          note(`ids ${s.next}..${id - 1} never came (${id} after ${s.next - 1})`);
        }
        s.next = id + 1;
        if (id >= n || e.data !== expectedData(id)) {
          s.corrupt++;
          note(
            `id ${id}: data ${JSON.stringify(e.data.slice(0, 120))}, expected ${id >= n ? 'no such event' : JSON.stringify(expectedData(id).slice(0, 120))}`,
          );
        }
        if (id === n - 1) {
          s.done = true;
          s.duration = performance.now() - t0;
          // Only to show that nothing more arrives: no event waits on this.
          setTimeout(() => finish(), quietMs);
        }
      };
      es.onerror = (e) => {
        if (es !== current || finished) return;
        // Ours says why (`reason`); the native class does not.
        const reason = `${es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'}${e.reason ? `: ${e.reason}` : ''}`;
        s.reasons[reason] = (s.reasons[reason] ?? 0) + 1;
        if (es.readyState === EventSource.CLOSED) {
          s.failures++;
          if (s.done) return finish();
          open();
        } else {
          s.reconnecting++;
        }
      };
      return undefined;
    };
    open();
  });
}
