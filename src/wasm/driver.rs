//! The driver: performs what [`Machine`] decides, and tells a [`Handler`]
//! what happened. Thin on purpose: every decision and every time is the
//! machine's (`machine.rs`, tested natively); the driver makes requests,
//! reads bodies, keeps one timer for [`Machine::poll_timeout`] and passes
//! what settles back to the machine, with the time.
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
//!
//! Re-entrancy: a handler may call `close()` while a chunk is being parsed.
//! `close()` only sets a flag, aborts the fetch and drops the timer; it never
//! waits for the machine, which the parsing code holds. The sink checks the
//! flag after each event and stops the chunk at once.

use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::ops::ControlFlow;

use gloo_timers::callback::Timeout;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::AbortController;

use crate::machine::{
    retry_delay, FailReason, Interruption, Machine, ReadyState, Redirect, RetryPolicy, Settings, Transition,
};
use crate::parser::{Event, ParseError, Parser, Sink};

// The JS half of the driver. `settle(attempt, kind, value, status,
// contentType, url)` is the connection's one callback; `kind` is one of the
// `SETTLED_*` constants below. (Its numbers are always given: a debug build
// of the glue checks them.)
#[wasm_bindgen(inline_js = r#"
const DROPPED = ['Authorization', 'Proxy-Authorization', 'Cookie', 'Host'];
export const now = typeof performance === 'object' && performance.now ? () => performance.now() : Date.now;
export function port(closure) {
  const port = (attempt, kind, value, status, contentType, url) => port.closure?.(attempt, kind, value, status, contentType, url);
  port.closure = closure;
  return port;
}
export function detach(port) {
  port.closure = undefined;
}
export function defer(settle) {
  Promise.resolve().then(() => settle(0, 0, undefined, 0));
}
export function request(options, url, lastEventId, dropCredentials, signal, attempt, settle) {
  let kind = 4;
  new Promise((resolve) => resolve(typeof options.headers === 'function' ? options.headers() : options.headers))
    .then((init) => {
      const headers = new Headers(init ?? undefined);
      if (dropCredentials) for (const name of DROPPED) headers.delete(name);
      if (!headers.has('accept')) headers.set('Accept', 'text/event-stream');
      if (lastEventId === undefined) headers.delete('Last-Event-ID');
      else headers.set('Last-Event-ID', lastEventId);
      const { fetch: custom, method = 'GET', body, credentials = 'same-origin' } = options;
      const request = { method, headers, mode: 'cors', credentials, cache: 'no-store', redirect: 'follow', signal };
      if (body !== undefined) request.body = body;
      kind = 3;
      return custom ? custom(url, request) : fetch(url, request);
    })
    .then((response) => {
      // Read structurally: a custom fetch may return another library's Response (undici's).
      if (typeof response?.status !== 'number') throw new TypeError('the fetch option did not resolve to a Response');
      return response;
    })
    .then(
      (response) => settle(attempt, 1, response, response.status, response.headers.get('content-type'), response.redirected ? response.url : undefined),
      (error) => settle(attempt, kind, error, 0),
    );
}
export function probe(options, url, signal, attempt, settle) {
  fetch(url, { mode: 'no-cors', credentials: options.credentials ?? 'same-origin', cache: 'no-store', signal })
    .then((response) => settle(attempt, 2, response.type === 'opaque', 0), () => settle(attempt, 2, undefined, 0));
}
export function reader(response) {
  return response.body ? response.body.getReader() : null;
}
export function read(reader, attempt, settle) {
  reader.read().then((result) => settle(attempt, result.done ? 6 : 5, result.value, 0), (error) => settle(attempt, 7, error, 0));
}
export function listen(settle) {
  if (!('ononline' in globalThis)) return undefined;
  const listener = () => settle(0, 8, undefined, 0);
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
  return !options.fetch && ('document' in globalThis || 'WorkerGlobalScope' in globalThis);
}
"#)]
extern "C" {
    /// A function that calls `closure` with its arguments until `detach`ed,
    /// and then does nothing: what JS holds instead of the closure itself.
    fn port(closure: &JsValue) -> JsValue;
    fn detach(port: &JsValue);
    /// Milliseconds on a monotonic clock (`performance.now()`, else `Date.now()`).
    fn now() -> f64;
    /// Calls `settle(0, SETTLED_START)` once the current task's microtasks ran.
    fn defer(settle: &JsValue);
    /// Makes the request: the headers (a function's awaited) with `Accept`,
    /// `Last-Event-ID` and without the credentials headers if asked, the
    /// options' method, body and credentials mode, mode `cors`, cache
    /// `no-store`; settles with the response or the failure.
    fn request(
        options: &JsValue,
        url: &str,
        last_event_id: Option<String>,
        drop_credentials: bool,
        signal: &web_sys::AbortSignal,
        attempt: u32,
        settle: &JsValue,
    );
    /// A `no-cors` request for `url`, with the options' credentials mode:
    /// settles with whether its response is opaque.
    fn probe(options: &JsValue, url: &str, signal: &web_sys::AbortSignal, attempt: u32, settle: &JsValue);
    /// The response body's reader, or `null` without a body.
    #[wasm_bindgen(catch)]
    fn reader(response: &JsValue) -> Result<JsValue, JsValue>;
    /// Reads a chunk: settles with its bytes, the end, or the failure.
    fn read(reader: &JsValue, attempt: u32, settle: &JsValue);
    /// Adds `settle(0, SETTLED_ONLINE)` as an `online` listener, where the
    /// runtime has the event; returns it.
    fn listen(settle: &JsValue) -> JsValue;
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
}

/// The Rust side of `settle(attempt, kind, value, status, contentType, url)`.
type SettleClosure = Closure<dyn FnMut(u32, u32, JsValue, u32, JsValue, JsValue)>;

/// What settled (the `kind` of `settle`).
const SETTLED_START: u32 = 0;
const SETTLED_RESPONSE: u32 = 1;
const SETTLED_PROBE: u32 = 2;
const SETTLED_FETCH_FAILED: u32 = 3;
const SETTLED_REQUEST_FAILED: u32 = 4;
const SETTLED_CHUNK: u32 = 5;
const SETTLED_END: u32 = 6;
const SETTLED_READ_FAILED: u32 = 7;
const SETTLED_ONLINE: u32 = 8;

/// Why the source fired `error` (the `reason` of the JS class's error event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorReason {
    /// The server ended the response body (reconnecting).
    EndOfStream,
    /// The fetch or the read failed (reconnecting); or, when the source is
    /// closed, a CORS failure or a URL that fetch cannot load.
    Network,
    /// Nothing arrived for longer than the inactivity timeout (reconnecting).
    Timeout,
    /// The response status was not 200 (closed).
    Status,
    /// The Content-Type was not `text/event-stream` (closed).
    ContentType,
    /// An event or a line exceeded the maximum buffer size (closed).
    BufferFull,
    /// The retry policy's attempts all failed (closed).
    RetriesExhausted,
    /// The request could not be made, e.g. the headers callback failed
    /// (reconnecting).
    Request,
}

impl ErrorReason {
    /// The name the JS class uses: `"end-of-stream"`, `"network"`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorReason::EndOfStream => "end-of-stream",
            ErrorReason::Network => "network",
            ErrorReason::Timeout => "timeout",
            ErrorReason::Status => "status",
            ErrorReason::ContentType => "content-type",
            ErrorReason::BufferFull => "buffer-full",
            ErrorReason::RetriesExhausted => "retries-exhausted",
            ErrorReason::Request => "request",
        }
    }
}

/// What an `error` says, as the driver reports it.
pub(crate) struct ErrorInfo<'a> {
    pub ready_state: ReadyState,
    pub reason: ErrorReason,
    /// The response status, when a response came; else 0.
    pub status: u16,
    /// The delay before the next attempt, when reconnecting.
    pub delay: Option<u32>,
    /// The wrong Content-Type, if that was the reason.
    pub content_type: &'a str,
    /// The JS error behind the failure, or `undefined`.
    pub cause: &'a JsValue,
}

/// Receives what happens: the JS class's hooks, or the Rust API's callbacks.
pub(crate) trait Handler: 'static {
    fn open(&self, origin: &str);
    /// An event; a handler may keep it until `flush`.
    fn message(&self, event: Event<'_>);
    /// Dispatches the events kept so far: called after each slice of input,
    /// and before a `retry` changes the reconnection time.
    fn flush(&self) {}
    fn error(&self, error: &ErrorInfo<'_>);
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
}

/// One source's connection: the machine, what is in flight, and the handler.
pub(crate) struct Inner<H> {
    request: JsValue,
    pub handler: H,
    machine: RefCell<Machine>,
    /// The machine's reconnection time, readable while the machine is busy.
    reconnection_time: Cell<u32>,
    /// Set by `close()`; read by the code that holds `machine`.
    closed: Cell<bool>,
    /// Set when the document aborted its fetches (`window.stop()`) since the
    /// last request began: the request in flight failed by an abort.
    stopped: Cell<bool>,
    /// The number of the attempt in flight: what settles with another is late.
    attempt: Cell<u32>,
    abort: RefCell<Option<AbortController>>,
    reader: RefCell<JsValue>,
    /// The JS error behind a failed fetch, while the probe runs.
    cause: RefCell<JsValue>,
    /// The one timer, and the deadline it was set for.
    timer: RefCell<Option<(f64, Timeout)>>,
    /// The connection's one callback, as JS calls it: a `port` to `closure`
    /// (see the inline JS); and its `online` listener.
    settle: JsValue,
    /// The Rust side of `settle`, dropped (with the `Weak` it holds) by `close()`.
    closure: RefCell<Option<SettleClosure>>,
    online: RefCell<JsValue>,
    /// A slice of a chunk, copied into wasm memory.
    chunk: RefCell<Vec<u8>>,
    me: Weak<Self>,
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
            method: method.unwrap_or_else(|| "GET".into()),
            probe_cors: probes_cors(&options.request),
            online_events: false,
            seed: options.seed,
        };
        let inner = Rc::new_cyclic(|me: &Weak<Self>| {
            let weak = me.clone();
            let closure =
                SettleClosure::new(move |attempt, kind, value, status, content_type: JsValue, url: JsValue| {
                    if let Some(inner) = weak.upgrade() {
                        inner.settled(attempt, kind, value, status as u16, content_type, url);
                    }
                });
            let settle = port(closure.as_ref());
            let online = listen(&settle);
            settings.online_events = !online.is_undefined();
            let machine = Machine::new(url, &origin_of(url), parser, settings);
            Inner {
                request: options.request,
                handler,
                reconnection_time: Cell::new(machine.reconnection_time()),
                machine: RefCell::new(machine),
                closed: Cell::new(false),
                stopped: Cell::new(false),
                attempt: Cell::new(0),
                abort: RefCell::new(None),
                reader: RefCell::new(JsValue::UNDEFINED),
                cause: RefCell::new(JsValue::UNDEFINED),
                timer: RefCell::new(None),
                settle,
                closure: RefCell::new(Some(closure)),
                online: RefCell::new(online),
                chunk: RefCell::new(Vec::new()),
                me: me.clone(),
            }
        });
        defer(&inner.settle);
        inner
    }

    /// The document aborted its fetches (`window.stop()`, which the JS class
    /// sees): fetch and the body's reader reject with the `TypeError` of a
    /// network error, but the request in flight was aborted (spec 4: fail).
    pub fn stopped(&self) {
        self.stopped.set(true);
    }

    /// The readyState (CLOSED as soon as `close()` was called).
    pub fn ready_state(&self) -> ReadyState {
        match self.machine.try_borrow() {
            _ if self.closed.get() => ReadyState::Closed,
            Ok(machine) => machine.ready_state(),
            Err(_) => ReadyState::Open, // dispatching
        }
    }

    /// The last event ID string; `None` while an event is being dispatched
    /// (the event's last event ID is the current one then).
    pub fn last_event_id(&self) -> Option<String> {
        self.machine.try_borrow().ok().map(|machine| machine.last_event_id().into())
    }

    /// The reconnection time (ms): the server's `retry`, else the policy's
    /// initial delay.
    pub fn reconnection_time(&self) -> u32 {
        self.reconnection_time.get()
    }

    /// Whatever settled: the start, a response, a probe, a chunk, a failure,
    /// the `online` event.
    fn settled(&self, attempt: u32, kind: u32, value: JsValue, status: u16, content_type: JsValue, url: JsValue) {
        if self.closed.get() || (attempt != self.attempt.get() && kind != SETTLED_START && kind != SETTLED_ONLINE) {
            return;
        }
        let now = now();
        if matches!(kind, SETTLED_FETCH_FAILED | SETTLED_REQUEST_FAILED | SETTLED_END | SETTLED_READ_FAILED) {
            // Nothing of this attempt is in flight any more: nothing to abort
            // (a custom fetch may look at its signal).
            self.abort.take();
        }
        let mut cause = JsValue::UNDEFINED;
        let transition = match kind {
            SETTLED_START => self.machine.borrow_mut().start(now),
            SETTLED_ONLINE => self.machine.borrow_mut().online(now),
            SETTLED_RESPONSE => {
                let content_type = content_type.as_string();
                let redirected = url.as_string().map(|url| {
                    let origin = origin_of(&url);
                    (url, origin)
                });
                let redirected = redirected.as_ref().map(|(url, origin)| Redirect { url, origin });
                let transition = self.machine.borrow_mut().response(now, status, content_type.as_deref(), redirected);
                if transition == Transition::Open {
                    return self.open(&value);
                }
                return self.carry_out(transition, content_type.as_deref().unwrap_or(""), &cause);
            }
            SETTLED_FETCH_FAILED => {
                let name = Reflect::get(&value, &"name".into()).ok().and_then(|name| name.as_string());
                let aborted = self.stopped.get() || name.as_deref() == Some("AbortError");
                cause = value;
                self.cause.replace(cause.clone());
                self.machine.borrow_mut().fetch_failed(now, aborted)
            }
            SETTLED_PROBE => {
                self.abort_in_flight();
                cause = self.cause.take();
                self.machine.borrow_mut().probe_settled(now, value.as_bool())
            }
            SETTLED_REQUEST_FAILED => {
                cause = value;
                self.machine.borrow_mut().request_failed(now)
            }
            SETTLED_CHUNK => return self.chunk(now, value.unchecked_into()),
            SETTLED_END => self.machine.borrow_mut().end_of_stream(now),
            SETTLED_READ_FAILED => {
                cause = value;
                self.machine.borrow_mut().read_failed(now, self.stopped.get())
            }
            _ => Transition::None,
        };
        self.carry_out(transition, "", &cause);
    }

    /// The response opened the connection: fire `open`, read the body.
    fn open(&self, response: &JsValue) {
        // spec 25: the origin of the final URL, after redirects.
        let origin = String::from(self.machine.borrow().origin());
        self.handler.open(&origin);
        if self.closed.get() {
            return;
        }
        let transition = match reader(response) {
            Ok(reader) if reader.is_null() => self.machine.borrow_mut().end_of_stream(now()),
            Ok(reader) => {
                read(&reader, self.attempt.get(), &self.settle);
                self.reader.replace(reader);
                Transition::None
            }
            Err(error) => {
                let transition = self.machine.borrow_mut().read_failed(now(), false);
                return self.carry_out(transition, "", &error);
            }
        };
        self.carry_out(transition, "", &JsValue::UNDEFINED);
    }

    /// A chunk of the body: parsed a bounded slice at a time (a browser may
    /// hand over megabytes at once; wasm memory holds the parser's buffers,
    /// at most its maximum buffer size, plus one slice), then the next read.
    fn chunk(&self, now: f64, bytes: Uint8Array) {
        let length = bytes.length();
        let mut start = 0;
        let mut transition = Transition::None;
        let mut chunk = self.chunk.borrow_mut();
        while start < length && transition == Transition::None {
            let end = length.min(start + SLICE);
            chunk.resize((end - start) as usize, 0);
            if start == 0 && end == length {
                bytes.copy_to(&mut chunk);
            } else {
                bytes.subarray(start, end).copy_to(&mut chunk);
            }
            start = end;
            let mut machine = self.machine.borrow_mut();
            let mut sink = Dispatch { inner: self };
            transition = machine.feed(now, &chunk, &mut sink).1;
            self.handler.flush();
            if self.closed.get() {
                machine.close();
                *chunk = Vec::new();
                return;
            }
        }
        if chunk.capacity() > SLICE as usize {
            *chunk = Vec::new();
        }
        drop(chunk);
        if transition == Transition::None {
            read(&self.reader.borrow(), self.attempt.get(), &self.settle);
        }
        self.carry_out(transition, "", &JsValue::UNDEFINED);
    }

    /// Does what the machine said, then sets the timer for its deadline.
    fn carry_out(&self, transition: Transition, content_type: &str, cause: &JsValue) {
        match transition {
            Transition::None | Transition::Open => {}
            Transition::Connect | Transition::RetryWithoutLastEventId => self.fetch(),
            Transition::Probe => {
                let controller = self.new_attempt();
                let machine = self.machine.borrow();
                probe(&self.request, machine.request().url, &controller.signal(), self.attempt.get(), &self.settle);
            }
            Transition::Reconnect { delay_ms, cause: why } => {
                self.abort_in_flight();
                let reason = match why {
                    Interruption::EndOfStream => ErrorReason::EndOfStream,
                    Interruption::Network => ErrorReason::Network,
                    Interruption::Timeout => ErrorReason::Timeout,
                    Interruption::Request => ErrorReason::Request,
                };
                let info = ErrorInfo {
                    ready_state: ReadyState::Connecting,
                    reason,
                    status: 0,
                    delay: Some(delay_ms),
                    content_type,
                    cause,
                };
                self.handler.error(&info);
            }
            Transition::Fail(why) => {
                self.abort_in_flight();
                let (reason, status) = match why {
                    FailReason::Status(status) => (ErrorReason::Status, status),
                    FailReason::ContentType => (ErrorReason::ContentType, 200),
                    FailReason::Network(_) => (ErrorReason::Network, 0),
                    FailReason::Parse(ParseError::BufferFull { .. }) => (ErrorReason::BufferFull, 0),
                    FailReason::RetriesExhausted => (ErrorReason::RetriesExhausted, 0),
                };
                let info =
                    ErrorInfo { ready_state: ReadyState::Closed, reason, status, delay: None, content_type, cause };
                self.handler.error(&info);
                // Failed for good: what the connection holds is given back now,
                // whoever keeps its handle (the Rust API's may be kept).
                self.close();
            }
        }
        self.arm();
    }

    /// Makes the machine's request.
    fn fetch(&self) {
        let controller = self.new_attempt();
        self.stopped.set(false);
        let machine = self.machine.borrow();
        let next = machine.request();
        // A header value carries the ID UTF-8 encoded (spec 11): `Headers`
        // takes a ByteString, one character per byte.
        let last_event_id = next.last_event_id.map(|id| id.bytes().map(char::from).collect());
        request(
            &self.request,
            next.url,
            last_event_id,
            next.drop_credentials,
            &controller.signal(),
            self.attempt.get(),
            &self.settle,
        );
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
        if self.closed.get() {
            return;
        }
        let Some(deadline) = self.machine.borrow().poll_timeout() else {
            drop(self.timer.take());
            return;
        };
        if matches!(&*self.timer.borrow(), Some((set, _)) if *set <= deadline) {
            return;
        }
        let weak = self.me.clone();
        let delay = (deadline - now()).clamp(0.0, f64::from(crate::machine::MAX_TIMER_DELAY));
        // Rounded up: a timer that fires early costs another one.
        let timer = Timeout::new(delay as u32 + u32::from(delay.fract() > 0.0), move || {
            if let Some(inner) = weak.upgrade() {
                inner.timer.take();
                if !inner.closed.get() {
                    let transition = inner.machine.borrow_mut().handle_timeout(now(), online());
                    inner.carry_out(transition, "", &JsValue::UNDEFINED);
                }
            }
        });
        self.timer.replace(Some((deadline, timer)));
    }
}

impl<H> Inner<H> {
    /// `close()`: aborts the fetch, cancels a pending reconnection; nothing
    /// more is dispatched, not even the rest of the current chunk (spec 13).
    ///
    /// Gives back at once what the connection no longer needs: the closure
    /// behind `settle` (JS keeps a detached `port`, which late promises call
    /// into nothing), the timer, the parser's buffers and the chunk's copy.
    /// What is left (the last event ID, the reconnection time) is freed
    /// with the connection.
    pub fn close(&self) {
        self.closed.set(true);
        if let Ok(mut machine) = self.machine.try_borrow_mut() {
            machine.close();
        } // else: a chunk is being parsed; that code closes the machine.
        if let Ok(mut chunk) = self.chunk.try_borrow_mut() {
            *chunk = Vec::new();
        } // else: the same code frees it.
        self.abort_in_flight();
        self.cause.replace(JsValue::UNDEFINED);
        drop(self.timer.take());
        let listener = self.online.replace(JsValue::UNDEFINED);
        if !listener.is_undefined() {
            unlisten(&listener);
        }
        detach(&self.settle);
        // While it runs (close() from a handler), wasm-bindgen frees it when it returns.
        drop(self.closure.take());
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

/// Hands each event to the page; stops the chunk once `close()` was called.
struct Dispatch<'a, H> {
    inner: &'a Inner<H>,
}

impl<H: Handler> Sink for Dispatch<'_, H> {
    fn event(&mut self, event: Event<'_>) -> ControlFlow<()> {
        self.inner.handler.message(event);
        if self.inner.closed.get() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
    fn retry(&mut self, millis: u64) -> ControlFlow<()> {
        // The events before it see the reconnection time they came with.
        self.inner.handler.flush();
        // The machine has taken it; keep a copy readable while it is busy.
        self.inner.reconnection_time.set(retry_delay(millis));
        if self.inner.closed.get() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// A random seed for the retry policy's jitter.
pub(crate) fn seed() -> u64 {
    (js_sys::Math::random() * 9007199254740992.0) as u64
}
