//! The driver: performs what [`Machine`] decides, with `fetch`, a stream
//! reader and timers, and tells a [`Handler`] what happened. Thin on
//! purpose: every decision is made in `machine.rs`, which is tested natively.
//!
//! Re-entrancy: a handler may call `close()` while a chunk is being parsed.
//! `close()` only sets a flag, aborts the fetch and drops the timer; it never
//! waits for the machine, which the parsing code holds. The sink checks the
//! flag after each event and stops the chunk at once.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::future::{poll_fn, Future};
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::Poll;

use gloo_timers::callback::Timeout;
use gloo_timers::future::TimeoutFuture;
use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    AbortController, EventTarget, Headers, ReadableStreamDefaultReader, ReadableStreamReadResult, RequestCache,
    RequestCredentials, RequestInit, RequestMode, RequestRedirect, Response, ResponseType, Url,
};

use crate::machine::{retry_delay, FailReason, Interruption, Machine, NetworkError, ReadyState, Transition};
use crate::parser::{Event, ParseError, Sink};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`: in windows, workers and Node.js alike.
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch_with_init(url: &str, init: &RequestInit) -> Result<Promise, JsValue>;

    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    fn now() -> f64;
}

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
    pub detail: &'a str,
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

/// The request options, read once when the source is made.
pub(crate) struct Config {
    pub credentials: RequestCredentials,
    pub method: String,
    /// `undefined`, headers (a `Headers`, an object or a sequence of pairs),
    /// or a function returning headers (or a promise of them), called
    /// before every request.
    pub headers: JsValue,
    /// `undefined` or a body fetch takes (never a stream).
    pub body: JsValue,
    /// A custom fetch function, or `undefined`.
    pub fetch: JsValue,
    /// Milliseconds without a byte before reconnecting; 0: never.
    pub inactivity_timeout: u32,
    /// Whether the runtime enforces CORS (a browser, not Node.js): then a
    /// failed fetch may be a CORS failure, which must not be retried.
    pub cors: bool,
}

/// One source's connection: shared by the attempt in flight, the timers and
/// the handle that can close it.
pub(crate) struct Inner<H> {
    /// The absolute URL; after a redirect, the final URL, which
    /// reconnections fetch (the request's URL list grew).
    url: RefCell<String>,
    config: Config,
    pub handler: H,
    machine: RefCell<Machine>,
    /// The machine's reconnection time, readable while the machine is busy.
    reconnection_time: Cell<u32>,
    /// Set when a redirect to another origin was followed: fetch dropped the
    /// credentials headers there, so reconnections to the final URL do too.
    crossed_origin: Cell<bool>,
    /// Set by `close()`; read by the code that holds `machine`.
    closed: Cell<bool>,
    /// Set when the document aborted its fetches (`window.stop()`) since the
    /// last `fetch()` began: the request in flight failed by an abort.
    stopped: Cell<bool>,
    abort: RefCell<Option<AbortController>>,
    /// Waiting to reconnect: the timer, the `online` listener, and whether
    /// the wait is still on (the first of the two to fire ends it).
    waiting: Cell<bool>,
    timer: RefCell<Option<Timeout>>,
    online: RefCell<Option<Closure<dyn FnMut()>>>,
}

impl<H: Handler> Inner<H> {
    /// Starts connecting to `url` (absolute).
    pub fn start(url: String, config: Config, machine: Machine, handler: H) -> Rc<Self> {
        let inner = Rc::new(Inner {
            url: RefCell::new(url),
            config,
            handler,
            reconnection_time: Cell::new(machine.reconnection_time()),
            machine: RefCell::new(machine),
            crossed_origin: Cell::new(false),
            closed: Cell::new(false),
            stopped: Cell::new(false),
            abort: RefCell::new(None),
            waiting: Cell::new(true),
            timer: RefCell::new(None),
            online: RefCell::new(None),
        });
        wake(&inner);
        inner
    }

    /// `close()`: aborts the fetch, cancels a pending reconnection; nothing
    /// more is dispatched, not even the rest of the current chunk (spec 13).
    pub fn close(&self) {
        self.closed.set(true);
        if let Ok(mut machine) = self.machine.try_borrow_mut() {
            machine.close();
        } // else: a chunk is being parsed; that code closes the machine.
        self.abort_fetch();
        self.stop_waiting();
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
}

/// The headers fetch removes at a redirect to another origin: `Authorization`
/// by the Fetch standard; undici (Node.js) also the others, which browsers
/// never let a script set.
const CROSS_ORIGIN_DROPPED: [&str; 4] = ["Authorization", "Proxy-Authorization", "Cookie", "Host"];

/// The origin of an absolute URL (`None` if it does not parse).
fn origin_of(url: &str) -> Option<String> {
    Url::new(url).ok().map(|url| url.origin())
}

/// Ends the wait for a reconnection (or the start) and runs the attempt,
/// once however many of the timer and the `online` event fire.
fn wake<H: Handler>(inner: &Rc<Inner<H>>) {
    if inner.waiting.replace(false) {
        spawn_local(run(inner.clone()));
    }
}

/// One connection attempt, then what it ends in.
async fn run<H: Handler>(inner: Rc<Inner<H>>) {
    // The timer or listener that woke us has fired; drop them here, outside
    // their own callbacks.
    inner.stop_waiting();
    let (transition, detail, cause) = attempt(&inner).await;
    carry_out(&inner, transition, &detail, &cause);
}

/// What an attempt ended in, with what the `error` event says of it: the
/// Content-Type of a wrong response, and the JS error behind a failure.
type Outcome = (Transition, String, JsValue);

fn outcome(transition: Transition) -> Outcome {
    (transition, String::new(), JsValue::UNDEFINED)
}

async fn attempt<H: Handler>(inner: &Rc<Inner<H>>) -> Outcome {
    if inner.closed.get() || !inner.machine.borrow_mut().connect() {
        return outcome(Transition::None);
    }
    if !fetchable_scheme(&inner.url.borrow()) {
        return outcome(inner.network_error(NetworkError::Futile));
    }
    let (controller, init, headers) = match inner.request_init().await {
        Ok(request) => request,
        Err(error) if inner.closed.get() => return (Transition::None, String::new(), error),
        Err(error) => return (inner.machine.borrow_mut().request_failed(), String::new(), error),
    };
    if inner.closed.get() {
        return outcome(Transition::None);
    }
    inner.abort.replace(Some(controller));
    let mut watchdog = Watchdog::new(inner.config.inactivity_timeout);

    let response: Response = loop {
        inner.stopped.set(false);
        let fetched = match inner.fetch(&init) {
            Ok(promise) => watchdog.guard(JsFuture::from(promise)).await,
            Err(error) => Some(Err(error)),
        };
        match fetched {
            None => return inner.timed_out(),
            // Read structurally: a custom fetch may return another library's
            // Response class (undici's, in Node.js).
            Some(Ok(response)) if response.is_object() && Reflect::has(&response, &"status".into()) == Ok(true) => {
                break response.unchecked_into();
            }
            Some(Ok(_)) => {
                let error = js_sys::TypeError::new("the fetch option did not resolve to a Response");
                return (inner.network_error(NetworkError::Transient), String::new(), error.into());
            }
            Some(Err(error)) => {
                let kind = inner.classify(&error).await;
                match inner.network_error(kind) {
                    // The same request, the same signal, less the header.
                    Transition::RetryWithoutLastEventId => {
                        let _ = headers.delete("Last-Event-ID");
                    }
                    transition => return (transition, String::new(), error),
                }
            }
        }
    };
    let final_url =
        if response.redirected() { inner.follow_redirect(response.url()) } else { inner.url.borrow().clone() };
    let content_type = response.headers().get("content-type").ok().flatten();
    let transition = inner.machine.borrow_mut().response(response.status(), content_type.as_deref());
    if transition != Transition::Open {
        inner.abort_fetch();
        return (transition, content_type.unwrap_or_default(), JsValue::UNDEFINED);
    }
    // spec 25: the origin of the final URL, after redirects.
    let origin = origin_of(&final_url);
    inner.handler.open(origin.as_deref().unwrap_or("null"));
    if inner.closed.get() {
        return outcome(Transition::None);
    }
    let Some(body) = response.body() else {
        return outcome(inner.machine.borrow_mut().end_of_body());
    };
    let Ok(reader) = ReadableStreamDefaultReader::new(&body) else {
        return outcome(inner.network_error(NetworkError::Transient));
    };
    // Bounded: a browser may hand over megabytes at once; they are copied
    // into wasm memory a slice at a time, so that memory is the parser's
    // buffers (at most its maximum buffer size) plus this.
    let mut chunk = Vec::new();
    loop {
        let result: ReadableStreamReadResult = match watchdog.guard(JsFuture::from(reader.read())).await {
            None => return inner.timed_out(),
            Some(Ok(result)) => result.unchecked_into(),
            Some(Err(_)) if inner.closed.get() => return outcome(Transition::None),
            Some(Err(error)) => {
                let kind = if inner.stopped.get() { NetworkError::Aborted } else { NetworkError::Transient };
                return (inner.network_error(kind), String::new(), error);
            }
        };
        if result.get_done().unwrap_or(true) {
            return outcome(inner.machine.borrow_mut().end_of_body());
        }
        watchdog.touch();
        let bytes: Uint8Array = result.get_value().unchecked_into();
        let length = bytes.length();
        let mut start = 0;
        while start < length {
            let end = length.min(start + SLICE);
            chunk.resize((end - start) as usize, 0);
            if start == 0 && end == length {
                bytes.copy_to(&mut chunk);
            } else {
                bytes.subarray(start, end).copy_to(&mut chunk);
            }
            start = end;
            let transition = {
                let mut machine = inner.machine.borrow_mut();
                let mut sink = Dispatch { inner };
                let (_, transition) = machine.feed(&chunk, &mut sink);
                inner.handler.flush();
                if inner.closed.get() {
                    machine.close();
                }
                transition
            };
            if inner.closed.get() {
                return outcome(Transition::None);
            }
            if transition != Transition::None {
                inner.abort_fetch();
                return outcome(transition);
            }
        }
    }
}

/// The most bytes of a read copied into wasm memory at once.
const SLICE: u32 = 64 * 1024;

/// Tells the handler what happened, and schedules the reconnection.
fn carry_out<H: Handler>(inner: &Rc<Inner<H>>, transition: Transition, detail: &str, cause: &JsValue) {
    let (ready_state, reason, status, delay) = match transition {
        // (A retry without Last-Event-ID is made within the attempt.)
        Transition::None | Transition::Open | Transition::RetryWithoutLastEventId => return,
        Transition::Reconnect { delay_ms, cause } => {
            let reason = match cause {
                Interruption::EndOfBody => ErrorReason::EndOfStream,
                Interruption::Network => ErrorReason::Network,
                Interruption::Timeout => ErrorReason::Timeout,
                Interruption::Request => ErrorReason::Request,
            };
            (ReadyState::Connecting, reason, 0, Some(delay_ms))
        }
        Transition::Fail(why) => {
            let (reason, status) = match why {
                FailReason::Status(status) => (ErrorReason::Status, status),
                FailReason::ContentType => (ErrorReason::ContentType, 200),
                FailReason::Network(_) => (ErrorReason::Network, 0),
                FailReason::Parse(ParseError::BufferFull { .. }) => (ErrorReason::BufferFull, 0),
                FailReason::RetriesExhausted => (ErrorReason::RetriesExhausted, 0),
            };
            (ReadyState::Closed, reason, status, None)
        }
    };
    inner.handler.error(&ErrorInfo { ready_state, reason, status, delay, detail, cause });
    if let Some(delay) = delay {
        if !inner.closed.get() {
            inner.wait(delay);
        }
    }
}

impl<H: Handler> Inner<H> {
    /// The request of spec 2 and 11, with the options': the headers (a
    /// callback's awaited), the method and body, the credentials mode. The
    /// headers are the init's own, for a retry without `Last-Event-ID`.
    async fn request_init(&self) -> Result<(AbortController, RequestInit, Headers), JsValue> {
        let config = &self.config;
        let mut headers = config.headers.clone();
        if let Some(callback) = headers.dyn_ref::<Function>() {
            let value = callback.call0(&JsValue::UNDEFINED)?;
            headers = JsFuture::from(Promise::resolve(&value)).await?;
        }
        let headers = if headers.is_undefined() || headers.is_null() {
            Headers::new()?
        } else {
            Headers::new_with_str_sequence_sequence(&headers)?
        };
        if self.crossed_origin.get() {
            for name in CROSS_ORIGIN_DROPPED {
                headers.delete(name)?;
            }
        }
        if !headers.has("accept")? {
            headers.set("Accept", "text/event-stream")?;
        }
        match self.machine.borrow().last_event_id_header() {
            None => headers.delete("Last-Event-ID")?,
            Some(last_event_id) => headers.set("Last-Event-ID", &byte_string(last_event_id))?,
        }
        let controller = AbortController::new()?;
        let init = RequestInit::new();
        init.set_method(&config.method);
        init.set_headers(&headers);
        if !config.body.is_undefined() {
            init.set_body(&config.body);
        }
        init.set_mode(RequestMode::Cors);
        init.set_credentials(config.credentials);
        init.set_cache(RequestCache::NoStore);
        init.set_redirect(RequestRedirect::Follow);
        init.set_signal(Some(&controller.signal()));
        Ok((controller, init, headers))
    }

    /// Calls the custom fetch with the URL and init, or the global one.
    fn fetch(&self, init: &RequestInit) -> Result<Promise, JsValue> {
        let url = self.url.borrow();
        match self.config.fetch.dyn_ref::<Function>() {
            Some(fetch) => Ok(Promise::resolve(&fetch.call2(&JsValue::UNDEFINED, &url.as_str().into(), init)?)),
            // (url, init), not a Request: in Node.js (undici), aborting the
            // signal of a Request made here sometimes left the connection
            // open (tests/node, "100 sources"); with (url, init) it never did.
            None => global_fetch_with_init(&url, init),
        }
    }

    /// After a redirect, reconnections go to the final URL (the request's
    /// URL list grew; whatwg/html#503), with the request fetch sent there:
    /// without the credentials headers if the redirect crossed origins. A
    /// method other than GET or HEAD may have become GET at the redirect
    /// (301, 302, 303: the response does not say): those sources reconnect
    /// to the original URL, and fetch follows the redirect again. Returns
    /// the final URL.
    fn follow_redirect(&self, final_url: String) -> String {
        let method = &self.config.method;
        if method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD") {
            if origin_of(&final_url) != origin_of(&self.url.borrow()) {
                self.crossed_origin.set(true);
            }
            self.url.replace(final_url.clone());
        }
        final_url
    }

    fn network_error(&self, error: NetworkError) -> Transition {
        self.machine.borrow_mut().network_error(error)
    }

    /// The inactivity timeout expired: abort, and reestablish.
    fn timed_out(&self) -> Outcome {
        self.abort_fetch();
        outcome(self.machine.borrow_mut().timed_out())
    }

    fn abort_fetch(&self) {
        if let Some(controller) = self.abort.take() {
            controller.abort();
        }
    }

    /// Waits `delay` ms, then reconnects; offline (`navigator.onLine` false),
    /// waits for the `online` event instead, and reconnects as soon as it
    /// fires, even before the delay is over. Where no `online` event fires
    /// (Chromium's workers have `navigator.onLine` but not the events), it
    /// looks at `navigator.onLine` again every second instead.
    fn wait(self: &Rc<Self>, delay: u32) {
        self.waiting.set(true);
        let global = js_sys::global();
        let events = Reflect::has(&global, &"ononline".into()).unwrap_or(false);
        if events {
            let next = self.clone();
            let listener = Closure::<dyn FnMut()>::new(move || wake(&next));
            let _ = global
                .unchecked_ref::<EventTarget>()
                .add_event_listener_with_callback("online", listener.as_ref().unchecked_ref());
            self.online.replace(Some(listener));
        }
        self.arm(delay, events);
    }

    fn arm(self: &Rc<Self>, delay: u32, events: bool) {
        let next = self.clone();
        let timer = Timeout::new(delay, move || {
            if !offline() {
                wake(&next);
            } else if !events {
                // Re-armed outside this timer's own callback, which it replaces.
                spawn_local(async move {
                    if next.waiting.get() {
                        next.arm(OFFLINE_POLL_MS, false);
                    }
                });
            }
        });
        self.timer.replace(Some(timer));
    }

    fn stop_waiting(&self) {
        self.waiting.set(false);
        drop(self.timer.take());
        if let Some(listener) = self.online.take() {
            let _ = js_sys::global()
                .unchecked_ref::<EventTarget>()
                .remove_event_listener_with_callback("online", listener.as_ref().unchecked_ref());
        }
    }

    /// Tells a CORS failure from an unreachable server (transient): `fetch`
    /// rejects with the same `TypeError` for both (spec 5). A `no-cors`
    /// probe of the same URL, aborted as soon as its headers arrive, settles
    /// it: if it fails too, nothing answered (transient); if its response is
    /// opaque, a server answered from another origin, so the failure was
    /// CORS; if it is a plain same-origin response, CORS cannot have been
    /// the cause (a reset: transient). The one case it gets wrong is a
    /// cross-origin connection reset before its headers that answers the
    /// probe: it is taken for a CORS failure. A custom fetch is not probed:
    /// its failures are transient. An abort (`close()`, the document's
    /// `window.stop()`, an `AbortError`) fails.
    async fn classify(&self, error: &JsValue) -> NetworkError {
        let aborted = Reflect::get(error, &"name".into()).ok().and_then(|name| name.as_string());
        if self.closed.get() || self.stopped.get() || aborted.as_deref() == Some("AbortError") {
            return NetworkError::Aborted;
        }
        if !self.config.cors || !self.config.fetch.is_undefined() {
            return NetworkError::Transient;
        }
        let Ok(controller) = AbortController::new() else {
            return NetworkError::Transient;
        };
        let init = RequestInit::new();
        init.set_mode(RequestMode::NoCors);
        init.set_credentials(self.config.credentials);
        init.set_cache(RequestCache::NoStore);
        init.set_signal(Some(&controller.signal()));
        let probe = global_fetch_with_init(&self.url.borrow(), &init);
        let probe = match probe {
            Ok(probe) => JsFuture::from(probe).await,
            Err(error) => Err(error),
        };
        controller.abort();
        match probe {
            Ok(response) if response.unchecked_ref::<Response>().type_() == ResponseType::Opaque => NetworkError::Cors,
            Ok(_) => NetworkError::Transient,
            Err(_) if self.closed.get() => NetworkError::Aborted,
            Err(_) => NetworkError::Transient,
        }
    }
}

/// How often a runtime without `online` events is asked whether it is back
/// online, while a reconnection waits for it.
const OFFLINE_POLL_MS: u32 = 1000;

/// Whether the runtime enforces CORS: a window or a worker, not Node.js.
pub(crate) fn enforces_cors() -> bool {
    let global = js_sys::global();
    ["document", "WorkerGlobalScope"].iter().any(|name| Reflect::has(&global, &(*name).into()).unwrap_or(false))
}

/// Whether the runtime says it is offline (`navigator.onLine` is false;
/// Node.js 20 has no `navigator`).
fn offline() -> bool {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).unwrap_or(JsValue::UNDEFINED);
    navigator.is_object() && Reflect::get(&navigator, &"onLine".into()).ok().and_then(|v| v.as_bool()) == Some(false)
}

/// The inactivity timeout of one attempt: one timer at a time, rearmed for
/// the time left when it fires after some activity, so that a chunk costs a
/// clock read, not a timer.
struct Watchdog {
    timeout: u32,
    last_activity: f64,
    timer: Option<TimeoutFuture>,
}

impl Watchdog {
    fn new(timeout: u32) -> Self {
        let timer = (timeout > 0).then(|| TimeoutFuture::new(timeout));
        Watchdog { timeout, last_activity: now(), timer }
    }

    /// Something arrived.
    fn touch(&mut self) {
        if self.timer.is_some() {
            self.last_activity = now();
        }
    }

    /// `future`'s output, or `None` if nothing arrives in time.
    async fn guard<F: Future + Unpin>(&mut self, mut future: F) -> Option<F::Output> {
        poll_fn(|cx| {
            if let Poll::Ready(output) = Pin::new(&mut future).poll(cx) {
                return Poll::Ready(Some(output));
            }
            while let Some(timer) = &mut self.timer {
                if Pin::new(timer).poll(cx).is_pending() {
                    break;
                }
                let idle = now() - self.last_activity;
                if idle >= f64::from(self.timeout) {
                    return Poll::Ready(None);
                }
                self.timer = Some(TimeoutFuture::new(self.timeout - idle as u32));
            }
            Poll::Pending
        })
        .await
    }
}

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

/// Whether fetch can load the URL's scheme; others fail at once (spec 5).
fn fetchable_scheme(url: &str) -> bool {
    let scheme = url.split(':').next().unwrap_or("");
    ["http", "https", "data", "blob"].iter().any(|s| scheme.eq_ignore_ascii_case(s))
}

/// A header value carrying `text` UTF-8 encoded (spec 11): `Headers` takes a
/// ByteString, one character per byte.
fn byte_string(text: &str) -> String {
    text.bytes().map(char::from).collect()
}
