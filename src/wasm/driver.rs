//! The driver: performs what [`Machine`] decides, and tells a [`Handler`]
//! what happened. Thin on purpose: every decision and every time is the
//! machine's (`machine.rs`, tested natively); the driver makes requests,
//! reads bodies, keeps one timer for [`Machine::poll_timeout`] and passes
//! what settles back to the machine, with the time.
//!
//! One way through: whatever settles is an input to the machine, which only
//! queues what happened; then [`Inner::drain`] takes the outputs one by one
//! ([`Machine::poll`]) and carries each out (a request, a probe, `open`, a
//! batch of events, `error`) with no borrow of the machine held. So a
//! handler (page code) may call anything at any point: `close()`, the
//! getters, which read the machine itself, a new source, or an `online`
//! event dispatched by hand, an input that arrives while outputs are being
//! carried out: it is queued, and taken by the same loop, in order.
//!
//! ```text
//! fetch, reads, timer, online ──► settled() ──► Machine input ──► queue
//!                                                                   │
//!          page code (may close, read getters, feed more input) ◄── drain(): poll, carry out
//! ```
//!
//! Callbacks, not futures: a connection owns, for its whole life, one JS
//! function (`settle`) that every request, probe and read of every attempt
//! settles into, tagged with the attempt's number so that what settles
//! after an abort is ignored; and one `online` listener. The JS side of it
//! is the few lines of inline JS below: one call makes a request (the
//! headers function awaited, the `RequestInit` built), one reads a chunk.
//!
//! Memory: `close()` gives back everything at once. The Rust closure behind
//! `settle` is owned by the connection and dropped by `close()`; JS keeps
//! only a small forwarding function (`port`), which promises still in
//! flight may call after that, into nothing. (Handed to the JS garbage
//! collector instead, the closure and the `Weak` it holds would keep the
//! connection's whole allocation until the function is finalized: in
//! Firefox, which collects late, hundreds of KiB under churn.)

use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::AbortController;

use crate::machine::{
    Error, ErrorReason, Machine, Output, ReadyState, Redirect, RetryPolicy, Settings, Warning, DEFAULT_METHOD,
};
use crate::parser::Parser;

// The JS half of the driver. `settle(attempt, kind, value, status,
// contentType, url)` is the connection's one callback; `kind` says what
// settled, a [`Settled`] that Rust hands to each call below (the JS names no
// number of its own). (Its numbers are always given: a debug build of the
// glue checks them.)
#[wasm_bindgen(inline_js = r#"
export const now = typeof performance === 'object' && performance.now ? () => performance.now() : Date.now;
export function port(closure) {
  const port = (attempt, kind, value, status, contentType, url) => port.closure?.(attempt, kind, value, status, contentType, url);
  port.closure = closure;
  return port;
}
export function detach(port) {
  port.closure = undefined;
}
export function defer(settle, start) {
  Promise.resolve().then(() => settle(0, start, undefined, 0));
}
export function timer(settle, delay, fired) {
  return setTimeout(settle, delay, 0, fired, undefined, 0);
}
export function clearTimer(timer) {
  clearTimeout(timer);
}
export function probe(options, url, signal, attempt, settle, probed) {
  fetch(url, { mode: 'no-cors', credentials: options.credentials ?? 'same-origin', cache: 'no-store', signal })
    .then((response) => settle(attempt, probed, response.type === 'opaque', 0), () => settle(attempt, probed, undefined, 0));
}
export function reader(response) {
  return response.body ? response.body.getReader() : null;
}
export function read(reader, attempt, settle, chunk, end, failed) {
  reader.read().then(
    ({ done, value }) =>
      done
        ? settle(attempt, end, undefined, 0)
        : // (An application's stream may hand over anything: only bytes are read, as fetch reads a body.)
          Object.prototype.toString.call(value) === '[object Uint8Array]'
          ? settle(attempt, chunk, value, 0)
          : settle(attempt, failed, new TypeError('the stream gave a chunk that is not a Uint8Array'), 0),
    (error) => settle(attempt, failed, error, 0),
  );
}
export function cancel(reader) {
  reader.cancel().catch(() => {});
}
export function listen(settle, online) {
  if (!('ononline' in globalThis)) return undefined;
  const listener = () => settle(0, online, undefined, 0);
  globalThis.addEventListener('online', listener);
  return listener;
}
export function unlisten(listener) {
  globalThis.removeEventListener('online', listener);
}
export function originOf(url) {
  try {
    return new URL(url).origin;
  } catch {
    return 'null';
  }
}
export function online() {
  return globalThis.navigator?.onLine !== false;
}
export function probesCors(options) {
  return !options.fetch && browser();
}
const browser = () => 'document' in globalThis || 'WorkerGlobalScope' in globalThis;
export function limitsConnections() {
  return browser();
}
export function hasLength(response) {
  return response.headers.has('content-length');
}
// The event streams open or connecting to each origin: this realm's, and where there are
// Web Locks, every tab's and worker's of the site (a shared lock each, held until released).
const held = {};
const lockName = (origin) => `eventsource-wasm ${origin}`;
export function hold(origin) {
  held[origin] = (held[origin] | 0) + 1;
  const token = { origin };
  const done = new Promise((resolve) => (token.release = resolve));
  globalThis.navigator?.locks?.request(lockName(origin), { mode: 'shared' }, () => done).catch(() => {});
  return token;
}
export function release(token) {
  held[token.origin]--;
  token.release();
}
export function count(origin, attempt, settle, counted) {
  Promise.resolve(globalThis.navigator?.locks?.query())
    .then((state) => state?.held.filter((lock) => lock.name === lockName(origin)).length)
    .catch(() => 0)
    .then((locked) => settle(attempt, counted, undefined, Math.min(Math.max(held[origin], locked | 0), 65535)));
}
"#)]
extern "C" {
    /// A function that calls `closure` with its arguments until `detach`ed,
    /// and then does nothing: what JS holds instead of the closure itself.
    fn port(closure: &JsValue) -> JsValue;
    fn detach(port: &JsValue);
    /// Milliseconds on a monotonic clock (`performance.now()`, else `Date.now()`).
    fn now() -> f64;
    /// Settles with `start` once the current task's microtasks ran.
    fn defer(settle: &JsValue, start: i32);
    /// Settles with `fired` in `delay` ms; returns the timer, for `clear_timer`.
    fn timer(settle: &JsValue, delay: u32, fired: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimer)]
    fn clear_timer(timer: &JsValue);
    /// Cancels the stream a reader reads (an application's stream, when its
    /// source closes).
    fn cancel(reader: &JsValue);
    /// A `no-cors` request for `url`, with the options' credentials mode:
    /// settles (`probed`) with whether its response is opaque.
    fn probe(options: &JsValue, url: &str, signal: &web_sys::AbortSignal, attempt: i32, settle: &JsValue, probed: i32);
    /// The response body's reader, or `null` without a body.
    #[wasm_bindgen(catch)]
    fn reader(response: &JsValue) -> Result<JsValue, JsValue>;
    /// Reads a chunk: settles with its bytes (`chunk`), the end (`end`), or
    /// the failure (`failed`).
    fn read(reader: &JsValue, attempt: i32, settle: &JsValue, chunk: i32, end: i32, failed: i32);
    /// Adds a listener that settles with `online` for the `online` event,
    /// where the runtime has the event; returns it.
    fn listen(settle: &JsValue, online: i32) -> JsValue;
    fn unlisten(listener: &JsValue);
    /// `URL.origin` of an absolute URL.
    #[wasm_bindgen(js_name = originOf)]
    fn origin_of(url: &str) -> String;
    /// `navigator.onLine`, true where there is none (Node.js 20).
    fn online() -> bool;
    /// Whether a failed request may be a CORS failure, to be probed: the
    /// runtime enforces CORS (a window or a worker, not Node.js), and the
    /// request goes through its `fetch`, not the options' own.
    #[wasm_bindgen(js_name = probesCors)]
    fn probes_cors(options: &JsValue) -> bool;
    /// Whether the runtime limits connections per host (a browser's window
    /// or worker).
    #[wasm_bindgen(js_name = limitsConnections)]
    fn limits_connections() -> bool;
    /// Whether a response has a `Content-Length` header.
    #[wasm_bindgen(js_name = hasLength)]
    fn has_length(response: &JsValue) -> bool;
    /// Counts a connection to `origin` as open (until `release`d): in this
    /// realm, and with a shared Web Lock for the tabs and workers of the site.
    fn hold(origin: &str) -> JsValue;
    fn release(token: &JsValue);
    /// Settles (`counted`) with the number of connections to `origin` held,
    /// this realm's or (with Web Locks) the site's, whichever is more, as
    /// its `status`.
    fn count(origin: &str, attempt: i32, settle: &JsValue, counted: i32);
}

// The request, in a JS module of its own: the JS class makes a source's first
// request with it too, while the wasm loads (`early`), which the connection
// adopts.
#[wasm_bindgen(module = "/js/request.js")]
extern "C" {
    /// Makes the request: the headers (a function's awaited) with `Accept`,
    /// `Last-Event-ID` and without the credentials headers if asked, the
    /// options' method, body and credentials mode, mode `cors`, cache
    /// `no-store`; settles with the response (`responded`), the failure of
    /// fetch (`fetch_failed`) or of making the request (`request_failed`).
    #[allow(clippy::too_many_arguments)]
    fn request(
        options: &JsValue,
        url: &str,
        last_event_id: Option<String>,
        drop_credentials: bool,
        signal: &web_sys::AbortSignal,
        attempt: i32,
        settle: &JsValue,
        responded: i32,
        fetch_failed: i32,
        request_failed: i32,
    );
    /// Takes over the request the class made early (the first attempt's):
    /// it settles as `request` would; returns its controller.
    fn adopt(
        early: &JsValue,
        attempt: i32,
        settle: &JsValue,
        responded: i32,
        fetch_failed: i32,
        request_failed: i32,
    ) -> AbortController;
    /// Aborts the request the class made early.
    fn abandon(early: &JsValue);
}

/// What settled: the `kind` of `settle`, defined here alone (the JS above
/// is handed the ones each call settles with, as numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
enum Settled {
    /// The source was made (and the current task's microtasks ran).
    Start,
    /// Response headers arrived.
    Response,
    /// The `no-cors` probe settled.
    Probe,
    /// Fetch rejected.
    FetchFailed,
    /// The request could not be made (the headers function failed).
    RequestFailed,
    /// A chunk of the body.
    Chunk,
    /// The end of the body.
    End,
    /// Reading the body failed.
    ReadFailed,
    /// The runtime's `online` event.
    Online,
    /// The timer fired.
    Timer,
    /// The connections to the origin were counted.
    Counted,
}

impl Settled {
    /// The kind numbered `kind`, if any.
    fn from(kind: i32) -> Option<Settled> {
        Settled::ALL.get(kind as usize).copied()
    }

    /// In the order of their numbers.
    const ALL: [Settled; 11] = [
        Settled::Start,
        Settled::Response,
        Settled::Probe,
        Settled::FetchFailed,
        Settled::RequestFailed,
        Settled::Chunk,
        Settled::End,
        Settled::ReadFailed,
        Settled::Online,
        Settled::Timer,
        Settled::Counted,
    ];
}

/// The Rust side of `settle(attempt, kind, value, status, contentType, url)`.
type SettleClosure = Closure<dyn Fn(i32, i32, JsValue, i32, JsValue, JsValue)>;

/// Receives what happens: the JS class's hooks, or the Rust API's callbacks.
/// It is called with no borrow of the connection held: it may call anything.
pub(crate) trait Handler: 'static {
    /// `open`, with the origin of the response's final URL.
    fn open(&self, origin: &str);
    /// A batch of events ([`Machine::take_events`]): dispatch each in
    /// order, and none after the source is closed.
    fn messages(&self, batch: &str);
    /// `error`; `content_type` is the response's, for a wrong one, and
    /// `cause` the JS error behind a failure (else `undefined`).
    fn error(&self, error: &Error, content_type: &str, cause: &JsValue);
    /// Something looks wrong, though nothing failed (each kind once).
    fn warning(&self, warning: Warning);
}

/// What a connection is made with.
pub(crate) struct Options {
    /// The request options, as the JS class has them: `credentials`
    /// (`"omit"`, `"same-origin"`, `"include"`), `method`, `headers`
    /// (headers, or a function returning them or a promise of them, called
    /// before every request), `body` (never a stream), `fetch` (a custom
    /// fetch function); a missing one takes the standard's value.
    pub request: JsValue,
    pub policy: RetryPolicy,
    /// Milliseconds without a byte before reconnecting; 0: never.
    pub inactivity_timeout: u32,
    pub seed: u64,
    /// The first request, made by the JS class while the wasm loaded
    /// (`early` in `js/request.js`), or `undefined`.
    pub early: JsValue,
    /// For a source fed by an application's stream
    /// ([`Machine::from_stream`]): a reader of it (the stream locked); else
    /// `undefined`.
    pub stream: JsValue,
    /// Whether to look for what makes a stream seem to send nothing
    /// ([`Warning`]).
    pub diagnostics: bool,
}

/// One source's connection: the machine, what is in flight, and the handler.
pub(crate) struct Inner<H> {
    request: JsValue,
    pub handler: H,
    machine: RefCell<Machine>,
    /// Set while [`Inner::drain`] runs: an input that arrives meanwhile (from
    /// page code) is only queued, for that loop to take.
    draining: Cell<bool>,
    /// Set when the document aborted its fetches (`window.stop()`) since the
    /// last request began: the request in flight failed by an abort.
    stopped: Cell<bool>,
    /// The number of the attempt in flight: what settles with another is late.
    attempt: Cell<i32>,
    abort: RefCell<Option<AbortController>>,
    /// The request the JS class made early, until the first attempt takes it.
    early: RefCell<JsValue>,
    /// The reader of a source fed by a stream, until it opens.
    stream: RefCell<JsValue>,
    /// The response of [`Output::Open`], until it is taken.
    response: RefCell<JsValue>,
    reader: RefCell<JsValue>,
    /// What the next `error` reports besides the machine's [`Error`]: the JS
    /// error behind a failure, and a wrong Content-Type.
    cause: RefCell<JsValue>,
    content_type: RefCell<String>,
    /// The one timer (it settles with [`Settled::Timer`]), and the deadline
    /// it was set for.
    timer: RefCell<Option<(f64, JsValue)>>,
    /// The connection's one callback, as JS calls it: a `port` to `closure`
    /// (see the inline JS); and its `online` listener.
    settle: JsValue,
    /// The Rust side of `settle`, dropped (with the `Weak` it holds) by `close()`.
    closure: RefCell<Option<SettleClosure>>,
    online: RefCell<JsValue>,
    /// A slice of a chunk, copied into wasm memory.
    chunk: RefCell<Vec<u8>>,
    /// While the machine uses a connection (and the connection limit is
    /// diagnosed): the token of `hold`. (An `Option`: looked at after every
    /// input, where `JsValue::is_undefined` would cross into JS.)
    held: RefCell<Option<JsValue>>,
}

impl<H: Handler> Inner<H> {
    /// Starts connecting to `url` (absolute), once the current task's
    /// microtasks ran (so that what fails at once is reported to handlers
    /// set right after).
    pub fn start(url: &str, options: Options, parser: Parser, handler: H) -> Rc<Self> {
        let method = Reflect::get(&options.request, &"method".into()).ok().and_then(|method| method.as_string());
        let mut settings = Settings {
            policy: options.policy,
            inactivity_timeout: options.inactivity_timeout,
            method: method.unwrap_or_else(|| DEFAULT_METHOD.into()),
            probe_cors: probes_cors(&options.request),
            online_events: false,
            seed: options.seed,
            diagnose_buffering: options.diagnostics,
            diagnose_connection_limit: options.diagnostics && limits_connections(),
        };
        let inner = Rc::new_cyclic(|me: &Weak<Self>| {
            let weak = me.clone();
            // `Fn`, not `FnMut`: page code run from it may settle again (an
            // `online` event dispatched by hand), and must not find it busy.
            let closure =
                SettleClosure::new(move |attempt, kind, value, status, content_type: JsValue, url: JsValue| {
                    if let Some(inner) = weak.upgrade() {
                        inner.settled(attempt, kind, value, status as u16, content_type, url);
                    }
                });
            let settle = port(closure.as_ref());
            let online = listen(&settle, Settled::Online as i32);
            settings.online_events = !online.is_undefined();
            let machine = if options.stream.is_undefined() {
                Machine::new(url, &origin_of(url), parser, settings)
            } else {
                Machine::from_stream(parser, settings)
            };
            Inner {
                request: options.request,
                handler,
                machine: RefCell::new(machine),
                draining: Cell::new(false),
                stopped: Cell::new(false),
                attempt: Cell::new(0),
                abort: RefCell::new(None),
                early: RefCell::new(options.early),
                stream: RefCell::new(options.stream),
                response: RefCell::new(JsValue::UNDEFINED),
                reader: RefCell::new(JsValue::UNDEFINED),
                cause: RefCell::new(JsValue::UNDEFINED),
                content_type: RefCell::new(String::new()),
                timer: RefCell::new(None),
                settle,
                closure: RefCell::new(Some(closure)),
                online: RefCell::new(online),
                chunk: RefCell::new(Vec::new()),
                held: RefCell::new(None),
            }
        });
        defer(&inner.settle, Settled::Start as i32);
        inner
    }

    /// The document aborted its fetches (`window.stop()`, which the JS class
    /// sees): fetch and the body's reader reject with the `TypeError` of a
    /// network error, but the request in flight was aborted (spec 4: fail).
    /// (The Rust API does not see the call.)
    #[cfg(feature = "js-connection")]
    pub fn stopped(&self) {
        self.stopped.set(true);
    }

    /// `reset()` (see [`Machine::reset`]).
    pub fn reset(&self) {
        self.machine.borrow_mut().reset();
    }

    /// The readyState, as the page has been told it (the machine's).
    pub fn ready_state(&self) -> ReadyState {
        self.machine.borrow().ready_state()
    }

    /// The last event ID string (the machine's).
    pub fn last_event_id(&self) -> String {
        self.machine.borrow().last_event_id().into()
    }

    /// The reconnection time (ms): the server's `retry`, else the policy's
    /// initial delay (the machine's).
    pub fn reconnection_time(&self) -> u32 {
        self.machine.borrow().reconnection_time()
    }

    /// Whatever settled: the start, a response, a probe, a chunk, a failure,
    /// the `online` event. An input to the machine, then its outputs.
    fn settled(&self, attempt: i32, kind: i32, value: JsValue, status: u16, content_type: JsValue, url: JsValue) {
        let Some(kind) = Settled::from(kind) else { return };
        if attempt != self.attempt.get()
            && !matches!(kind, Settled::Start | Settled::Online | Settled::Timer | Settled::Counted)
        {
            return;
        }
        let now = now();
        if matches!(kind, Settled::FetchFailed | Settled::RequestFailed | Settled::End | Settled::ReadFailed) {
            // Nothing of this attempt is in flight any more: nothing to abort
            // (a custom fetch may look at its signal).
            self.abort.take();
        }
        // Each input borrows the machine for itself alone.
        let machine = &self.machine;
        match kind {
            Settled::Start => machine.borrow_mut().start(now),
            Settled::Online => machine.borrow_mut().online(now),
            Settled::Timer => {
                self.timer.take();
                machine.borrow_mut().handle_timeout(now, online());
            }
            Settled::Response => {
                let content_type = content_type.as_string();
                let redirected = url.as_string().map(|url| {
                    let origin = origin_of(&url);
                    (url, origin)
                });
                let redirected = redirected.as_ref().map(|(url, origin)| Redirect { url, origin });
                let length = has_length(&value);
                self.response.replace(value);
                machine.borrow_mut().response(now, status, content_type.as_deref(), redirected, length);
                self.content_type.replace(content_type.unwrap_or_default());
            }
            Settled::FetchFailed => {
                let name = Reflect::get(&value, &"name".into()).ok().and_then(|name| name.as_string());
                let aborted = self.stopped.get() || name.as_deref() == Some("AbortError");
                self.cause.replace(value);
                machine.borrow_mut().fetch_failed(now, aborted);
            }
            Settled::Probe => {
                self.abort_in_flight();
                machine.borrow_mut().probe_settled(now, value.as_bool());
            }
            Settled::RequestFailed => {
                self.cause.replace(value);
                machine.borrow_mut().request_failed(now);
            }
            // (The count comes as the status; less this connection.)
            Settled::Counted => machine.borrow_mut().connections_counted(u32::from(status).saturating_sub(1)),
            Settled::Chunk => return self.chunk(now, value.unchecked_into()),
            Settled::End => machine.borrow_mut().end_of_stream(now),
            Settled::ReadFailed => {
                self.cause.replace(value);
                machine.borrow_mut().read_failed(now, self.stopped.get());
            }
        }
        self.drain();
    }

    /// Takes the machine's outputs and carries each out, in order, until
    /// none is left (or the source is closed: `close()` drops them); then
    /// sets the timer. Page code runs here, with nothing borrowed.
    fn drain(&self) {
        if self.draining.replace(true) {
            return; // an input from page code: the loop below takes its outputs
        }
        loop {
            let output = self.machine.borrow_mut().poll();
            match output {
                None => break,
                Some(Output::Fetch) => self.fetch(),
                Some(Output::Probe) => {
                    let controller = self.new_attempt();
                    let url = String::from(self.machine.borrow().request().url);
                    let (attempt, settle) = (self.attempt.get(), &self.settle);
                    probe(&self.request, &url, &controller.signal(), attempt, settle, Settled::Probe as i32);
                }
                Some(Output::Open) => self.open(),
                Some(Output::Events) => {
                    let batch = self.machine.borrow_mut().take_events();
                    self.handler.messages(&batch);
                    self.machine.borrow_mut().recycle(batch);
                }
                Some(Output::Error(error)) => {
                    self.abort_in_flight();
                    let (cause, content_type) = (self.cause.take(), self.content_type.take());
                    let content_type =
                        if error.reason == ErrorReason::ContentType { content_type.as_str() } else { "" };
                    self.handler.error(&error, content_type, &cause);
                    if error.ready_state == ReadyState::Closed {
                        // Failed for good: what the connection holds is given back
                        // now, whoever keeps its handle (the Rust API's may be kept).
                        self.close();
                    }
                }
                Some(Output::CountConnections) => {
                    let origin = origin_of(self.machine.borrow().request().url);
                    count(&origin, self.attempt.get(), &self.settle, Settled::Counted as i32);
                }
                Some(Output::Warning(warning)) => self.handler.warning(warning),
            }
        }
        self.draining.set(false);
        self.arm();
        self.hold();
    }

    /// Counts the connection as open to its origin while the machine uses
    /// one (for [`Output::CountConnections`], here and in the site's other
    /// tabs), and no longer once it does not.
    fn hold(&self) {
        let machine = self.machine.borrow();
        let uses = machine.uses_connection() && machine.settings().diagnose_connection_limit;
        if uses && self.held.borrow().is_none() {
            self.held.replace(Some(hold(&origin_of(machine.request().url))));
        } else if !uses {
            self.release();
        }
    }

    /// The connection opened: fire `open`, then read the body.
    fn open(&self) {
        let response = self.response.take();
        // spec 25: the origin of the final URL, after redirects.
        let origin = String::from(self.machine.borrow().origin());
        self.handler.open(&origin);
        if self.ready_state() != ReadyState::Open {
            return; // closed by a handler
        }
        let stream = self.stream.take();
        match if stream.is_undefined() { reader(&response) } else { Ok(stream) } {
            Ok(reader) if reader.is_null() => self.machine.borrow_mut().end_of_stream(now()),
            Ok(reader) => {
                self.read(&reader);
                self.reader.replace(reader);
            }
            Err(error) => {
                self.cause.replace(error);
                self.machine.borrow_mut().read_failed(now(), false);
            }
        }
    }

    /// A chunk of the body: parsed a bounded slice at a time (a browser may
    /// hand over megabytes at once; wasm memory holds the parser's buffers,
    /// at most its maximum buffer size, plus one slice), its outputs carried
    /// out whenever the machine stops; then the next read.
    fn chunk(&self, now: f64, bytes: Uint8Array) {
        // Out of its cell while page code runs (a handler may close the source).
        let mut chunk = self.chunk.take();
        let length = bytes.length();
        let mut start = 0;
        while start < length && self.ready_state() == ReadyState::Open {
            let end = length.min(start + SLICE);
            chunk.resize((end - start) as usize, 0);
            if start == 0 && end == length {
                bytes.copy_to(&mut chunk);
            } else {
                bytes.subarray(start, end).copy_to(&mut chunk);
            }
            start = end;
            let mut offset = 0;
            while offset < chunk.len() && self.ready_state() == ReadyState::Open {
                offset += self.machine.borrow_mut().feed(now, &chunk[offset..]);
                self.drain();
            }
        }
        if self.ready_state() == ReadyState::Open {
            if chunk.capacity() <= SLICE as usize {
                self.chunk.replace(chunk);
            }
            // (Out of its cell: a stream of the page's may run page code here.)
            let reader = self.reader.borrow().clone();
            self.read(&reader);
        }
    }

    /// Makes the machine's request, or takes over the one the JS class made
    /// early, if it is that request.
    fn fetch(&self) {
        // What a failure of the previous attempt left is no one's now.
        self.cause.take();
        self.content_type.take();
        let kinds = (Settled::Response as i32, Settled::FetchFailed as i32, Settled::RequestFailed as i32);
        let early = self.early.take();
        if !early.is_undefined() {
            self.abort_in_flight(); // (a new attempt: nothing is in flight)
            let (attempt, settle) = (self.attempt.get(), &self.settle);
            // In flight since before the connection: a `window.stop()` the
            // connection was told of meanwhile aborted it (`stopped` is kept).
            let controller = adopt(&early, attempt, settle, kinds.0, kinds.1, kinds.2);
            self.abort.replace(Some(controller));
            return;
        }
        let (url, last_event_id, drop_credentials) = {
            let machine = self.machine.borrow();
            let next = machine.request();
            (String::from(next.url), next.last_event_id.map(String::from), next.drop_credentials)
        };
        let controller = self.new_attempt();
        self.stopped.set(false);
        // (A headers function, page code, runs in this call.)
        let (attempt, settle) = (self.attempt.get(), &self.settle);
        let signal = controller.signal();
        request(
            &self.request,
            &url,
            last_event_id,
            drop_credentials,
            &signal,
            attempt,
            settle,
            kinds.0,
            kinds.1,
            kinds.2,
        );
    }

    /// Reads the next chunk of the body.
    fn read(&self, reader: &JsValue) {
        let (chunk, end, failed) = (Settled::Chunk as i32, Settled::End as i32, Settled::ReadFailed as i32);
        read(reader, self.attempt.get(), &self.settle, chunk, end, failed);
    }

    /// Aborts what is in flight and numbers a new attempt.
    fn new_attempt(&self) -> AbortController {
        self.abort_in_flight();
        let controller = AbortController::new().unwrap_throw();
        self.abort.replace(Some(controller.clone()));
        controller
    }

    /// Sets the one timer for the machine's deadline, unless it is set for
    /// that deadline or an earlier one (it then fires early, and is set again).
    fn arm(&self) {
        let Some(deadline) = self.machine.borrow().poll_timeout() else {
            return self.cancel_timer();
        };
        if matches!(&*self.timer.borrow(), Some((set, _)) if *set <= deadline) {
            return;
        }
        self.cancel_timer();
        let delay = (deadline - now()).clamp(0.0, f64::from(crate::machine::MAX_TIMER_DELAY));
        // Rounded up: a timer that fires early costs another one.
        let timer = timer(&self.settle, delay as u32 + u32::from(delay.fract() > 0.0), Settled::Timer as i32);
        self.timer.replace(Some((deadline, timer)));
    }
}

impl<H> Inner<H> {
    /// `close()`: aborts the fetch, cancels a pending reconnection; nothing
    /// more is dispatched, not even the rest of the current batch (spec 13).
    ///
    /// Gives back at once what the connection no longer needs: the closure
    /// behind `settle` (JS keeps a detached `port`, which late promises call
    /// into nothing), the timer, the parser's buffers and the chunk's copy.
    /// What is left (the last event ID, the reconnection time) is freed
    /// with the connection.
    pub fn close(&self) {
        self.machine.borrow_mut().close();
        self.chunk.take();
        // An application's stream is cancelled, as an aborted fetch cancels its body.
        let stream = self.stream.take();
        let reader = if stream.is_undefined() { self.reader.borrow().clone() } else { stream };
        if self.machine.borrow().is_from_stream() && !reader.is_undefined() {
            cancel(&reader);
        }
        self.abort_in_flight();
        let early = self.early.take();
        if !early.is_undefined() {
            abandon(&early);
        }
        self.response.take();
        self.cause.take();
        self.cancel_timer();
        let listener = self.online.replace(JsValue::UNDEFINED);
        if !listener.is_undefined() {
            unlisten(&listener);
        }
        self.release();
        detach(&self.settle);
        // While it runs (close() from a handler), wasm-bindgen frees it when it returns.
        drop(self.closure.take());
    }

    /// Stops counting the connection as open.
    fn release(&self) {
        if let Some(token) = self.held.take() {
            release(&token);
        }
    }

    /// Cancels the timer, if one is set.
    fn cancel_timer(&self) {
        if let Some((_, timer)) = self.timer.take() {
            clear_timer(&timer);
        }
    }

    /// Aborts the request, the probe or the read in flight; what they settle
    /// with now is late.
    fn abort_in_flight(&self) {
        self.attempt.set(self.attempt.get().wrapping_add(1));
        self.reader.replace(JsValue::UNDEFINED);
        if let Some(controller) = self.abort.take() {
            controller.abort();
        }
    }
}

impl<H> Drop for Inner<H> {
    /// The last handle is gone: closed (a connection nobody can close any
    /// more must not go on fetching).
    fn drop(&mut self) {
        self.close();
    }
}

/// The most bytes of a read copied into wasm memory at once.
const SLICE: u32 = 64 * 1024;

/// A random seed for the retry policy's jitter.
pub(crate) fn seed() -> u64 {
    (js_sys::Math::random() * 9007199254740992.0) as u64
}
