//! The browser driver: performs what [`Machine`] decides, with `fetch`, a
//! stream reader and timers. Thin on purpose: every decision is made in
//! `machine.rs`, which is tested natively.
//!
//! The JS class (`js/eventsource.js`) creates one [`Connection`] per
//! `EventSource`, with its options (already validated and completed) and a
//! hooks object; the connection calls `hooks.open(origin)`,
//! `hooks.message(type, data, lastEventId)` and `hooks.error(readyState,
//! reason, status, delay, detail, cause)`, and the class turns those into
//! events.
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
    AbortController, EventTarget, Headers, ReadableStreamDefaultReader, ReadableStreamReadResult, Request,
    RequestCache, RequestCredentials, RequestInit, RequestMode, RequestRedirect, Response, ResponseType, Url,
};

use crate::machine::{
    retry_delay, FailReason, Interruption, Machine, NetworkError, ReadyState, RetryPolicy, Transition,
};
use crate::parser::{Event, ParseError, Parser, Sink};

pub mod stream_parser;

#[wasm_bindgen]
extern "C" {
    /// The JS class's private hooks object.
    #[wasm_bindgen(typescript_type = "ConnectionHooks")]
    pub type Hooks;
    #[wasm_bindgen(method, catch)]
    fn open(this: &Hooks, origin: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn message(this: &Hooks, event_type: &str, data: &str, last_event_id: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn error(
        this: &Hooks,
        ready_state: u8,
        reason: &str,
        status: u16,
        delay: i32,
        detail: &str,
        cause: &JsValue,
    ) -> Result<(), JsValue>;

    /// The global `fetch`: in windows, workers and Node.js alike.
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(request: &Request) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch_with_init(url: &str, init: &RequestInit) -> Result<Promise, JsValue>;

    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    fn now() -> f64;
}

/// One `EventSource`'s connection, driven from Rust.
#[wasm_bindgen]
pub struct Connection {
    inner: Rc<Inner>,
}

/// The request options, read once from the JS class's options object.
struct Config {
    credentials: RequestCredentials,
    method: String,
    /// `undefined`, a `Headers`, or a function returning headers (or a
    /// promise of them), called before every request.
    headers: JsValue,
    body: JsValue,
    /// A custom fetch function, or `undefined`.
    fetch: JsValue,
    /// Milliseconds without a byte before reconnecting; 0: never.
    inactivity_timeout: u32,
}

struct Inner {
    /// The absolute URL (the JS class parsed it); after a redirect, the final
    /// URL, which reconnections fetch (the request's URL list grew).
    url: RefCell<String>,
    config: Config,
    /// Whether the runtime enforces CORS (a browser, not Node.js): then a
    /// failed fetch may be a CORS failure, which must not be retried.
    cors: bool,
    hooks: Hooks,
    machine: RefCell<Machine>,
    /// The machine's reconnection time, readable while the machine is busy.
    reconnection_time: Cell<u32>,
    /// Set by `close()`; read by the code that holds `machine`.
    closed: Cell<bool>,
    abort: RefCell<Option<AbortController>>,
    /// Waiting to reconnect: the timer, the `online` listener, and whether
    /// the wait is still on (the first of the two to fire ends it).
    waiting: Cell<bool>,
    timer: RefCell<Option<Timeout>>,
    online: RefCell<Option<Closure<dyn FnMut()>>>,
}

#[wasm_bindgen]
impl Connection {
    /// Starts connecting to `url` (absolute) with the JS class's `options`
    /// (`credentials`, `method`, `headers`, `body`, `fetch`,
    /// `inactivityTimeout`, `maxBufferSize`, `lastEventId`, and the retry
    /// policy's `initialDelay`, `maxDelay`, `multiplier`, `jitter`,
    /// `maxAttempts`; a missing one takes the standard's value). `cors`
    /// says whether the runtime enforces CORS.
    #[wasm_bindgen(constructor)]
    pub fn new(url: String, options: &JsValue, cors: bool, hooks: Hooks) -> Connection {
        let field = |name: &str| Reflect::get(options, &name.into()).unwrap_or(JsValue::UNDEFINED);
        let number = |name: &str, default: f64| field(name).as_f64().unwrap_or(default);
        let defaults = RetryPolicy::default();
        let policy = RetryPolicy {
            initial_delay: number("initialDelay", defaults.initial_delay.into()) as u32,
            max_delay: number("maxDelay", defaults.max_delay.into()) as u32,
            multiplier: number("multiplier", defaults.multiplier),
            jitter: number("jitter", defaults.jitter),
            max_attempts: number("maxAttempts", defaults.max_attempts.into()) as u32,
        };
        let mut parser = match field("maxBufferSize").as_f64() {
            Some(limit) => Parser::with_max_buffer_size(limit as usize),
            None => Parser::new(),
        };
        if let Some(id) = field("lastEventId").as_string() {
            parser.set_last_event_id(&id);
        }
        let seed = (js_sys::Math::random() * 9007199254740992.0) as u64;
        let machine = Machine::with_policy(parser, policy, seed);
        let config = Config {
            credentials: match field("credentials").as_string().as_deref() {
                Some("include") => RequestCredentials::Include,
                Some("omit") => RequestCredentials::Omit,
                _ => RequestCredentials::SameOrigin,
            },
            method: field("method").as_string().unwrap_or_else(|| "GET".into()),
            headers: field("headers"),
            body: field("body"),
            fetch: field("fetch"),
            inactivity_timeout: number("inactivityTimeout", 0.0) as u32,
        };
        let inner = Rc::new(Inner {
            url: RefCell::new(url),
            config,
            cors,
            hooks,
            reconnection_time: Cell::new(machine.reconnection_time()),
            machine: RefCell::new(machine),
            closed: Cell::new(false),
            abort: RefCell::new(None),
            waiting: Cell::new(true),
            timer: RefCell::new(None),
            online: RefCell::new(None),
        });
        wake(&inner);
        Connection { inner }
    }

    /// `close()`: aborts the fetch, cancels a pending reconnection; nothing
    /// more is dispatched, not even the rest of the current chunk (spec 13).
    pub fn close(&self) {
        let inner = &self.inner;
        inner.closed.set(true);
        if let Ok(mut machine) = inner.machine.try_borrow_mut() {
            machine.close();
        } // else: a chunk is being parsed; that code closes the machine.
        inner.abort_fetch();
        inner.stop_waiting();
    }

    /// The last event ID string; `undefined` while an event is being
    /// dispatched (the event's `lastEventId` is the current one then).
    #[wasm_bindgen(js_name = lastEventId)]
    pub fn last_event_id(&self) -> Option<String> {
        self.inner.machine.try_borrow().ok().map(|machine| machine.last_event_id().into())
    }

    /// The reconnection time (ms): the server's `retry`, else the policy's
    /// initial delay.
    #[wasm_bindgen(js_name = reconnectionTime)]
    pub fn reconnection_time(&self) -> u32 {
        self.inner.reconnection_time.get()
    }
}

/// Ends the wait for a reconnection (or the start) and runs the attempt,
/// once however many of the timer and the `online` event fire.
fn wake(inner: &Rc<Inner>) {
    if inner.waiting.replace(false) {
        spawn_local(run(inner.clone()));
    }
}

/// One connection attempt, then what it ends in.
async fn run(inner: Rc<Inner>) {
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

async fn attempt(inner: &Rc<Inner>) -> Outcome {
    if inner.closed.get() || !inner.machine.borrow_mut().connect() {
        return outcome(Transition::None);
    }
    if !fetchable_scheme(&inner.url.borrow()) {
        return outcome(inner.network_error(NetworkError::Futile));
    }
    let (controller, init) = match inner.request_init().await {
        Ok(request) => request,
        Err(error) if inner.closed.get() => return (Transition::None, String::new(), error),
        Err(error) => return (inner.machine.borrow_mut().request_failed(), String::new(), error),
    };
    if inner.closed.get() {
        return outcome(Transition::None);
    }
    inner.abort.replace(Some(controller));
    let mut watchdog = Watchdog::new(inner.config.inactivity_timeout);

    let fetched = match inner.fetch(&init) {
        Ok(promise) => watchdog.guard(JsFuture::from(promise)).await,
        Err(error) => Some(Err(error)),
    };
    let response: Response = match fetched {
        None => return inner.timed_out(),
        Some(Ok(response)) if response.is_instance_of::<Response>() => response.unchecked_into(),
        Some(Ok(_)) => {
            let error = js_sys::TypeError::new("the fetch option did not resolve to a Response");
            return (inner.network_error(NetworkError::Transient), String::new(), error.into());
        }
        Some(Err(error)) => {
            let kind = inner.classify(&error).await;
            return (inner.network_error(kind), String::new(), error);
        }
    };
    if response.redirected() {
        inner.url.replace(response.url());
    }
    let content_type = response.headers().get("content-type").ok().flatten();
    let transition = inner.machine.borrow_mut().response(response.status(), content_type.as_deref());
    if transition != Transition::Open {
        inner.abort_fetch();
        return (transition, content_type.unwrap_or_default(), JsValue::UNDEFINED);
    }
    // spec 25: the origin of the final URL, after redirects.
    let origin = Url::new(&inner.url.borrow()).map(|url| url.origin());
    let _ = inner.hooks.open(origin.as_deref().unwrap_or("null"));
    if inner.closed.get() {
        return outcome(Transition::None);
    }
    let Some(body) = response.body() else {
        return outcome(inner.machine.borrow_mut().end_of_body());
    };
    let Ok(reader) = ReadableStreamDefaultReader::new(&body) else {
        return outcome(inner.network_error(NetworkError::Transient));
    };
    let mut chunk = Vec::new();
    loop {
        let result: ReadableStreamReadResult = match watchdog.guard(JsFuture::from(reader.read())).await {
            None => return inner.timed_out(),
            Some(Ok(result)) => result.unchecked_into(),
            Some(Err(_)) if inner.closed.get() => return outcome(Transition::None),
            Some(Err(error)) => return (inner.network_error(NetworkError::Transient), String::new(), error),
        };
        if result.get_done().unwrap_or(true) {
            return outcome(inner.machine.borrow_mut().end_of_body());
        }
        watchdog.touch();
        let bytes: Uint8Array = result.get_value().unchecked_into();
        chunk.resize(bytes.length() as usize, 0);
        bytes.copy_to(&mut chunk);
        let transition = {
            let mut machine = inner.machine.borrow_mut();
            let mut sink = Dispatch { inner };
            let (_, transition) = machine.feed(&chunk, &mut sink);
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

/// Tells the page what happened, and schedules the reconnection.
fn carry_out(inner: &Rc<Inner>, transition: Transition, detail: &str, cause: &JsValue) {
    let (state, reason, status, delay) = match transition {
        Transition::None | Transition::Open => return,
        Transition::Reconnect { delay_ms, cause } => {
            let reason = match cause {
                Interruption::EndOfBody => "end-of-stream",
                Interruption::Network => "network",
                Interruption::Timeout => "timeout",
                Interruption::Request => "request",
            };
            (ReadyState::Connecting, reason, 0, delay_ms as i32)
        }
        Transition::Fail(why) => {
            let (reason, status) = match why {
                FailReason::Status(status) => ("status", status),
                FailReason::ContentType => ("content-type", 200),
                FailReason::Network(_) => ("network", 0),
                FailReason::Parse(ParseError::BufferFull { .. }) => ("buffer-full", 0),
                FailReason::RetriesExhausted => ("retries-exhausted", 0),
            };
            (ReadyState::Closed, reason, status, -1)
        }
    };
    let _ = inner.hooks.error(state as u8, reason, status, delay, detail, cause);
    if state == ReadyState::Connecting && !inner.closed.get() {
        inner.wait(delay as u32);
    }
}

impl Inner {
    /// The request of spec 2 and 11, with the options': the headers (a
    /// callback's awaited), the method and body, the credentials mode.
    async fn request_init(&self) -> Result<(AbortController, RequestInit), JsValue> {
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
        if !headers.has("accept")? {
            headers.set("Accept", "text/event-stream")?;
        }
        let machine = self.machine.borrow();
        let last_event_id = machine.last_event_id();
        if last_event_id.is_empty() {
            headers.delete("Last-Event-ID")?;
        } else {
            headers.set("Last-Event-ID", &byte_string(last_event_id))?;
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
        Ok((controller, init))
    }

    /// Calls the custom fetch with the URL and init, or the global one.
    fn fetch(&self, init: &RequestInit) -> Result<Promise, JsValue> {
        let url = self.url.borrow();
        match self.config.fetch.dyn_ref::<Function>() {
            Some(fetch) => Ok(Promise::resolve(&fetch.call2(&JsValue::UNDEFINED, &url.as_str().into(), init)?)),
            None => global_fetch(&Request::new_with_str_and_init(&url, init)?),
        }
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
    /// fires, even before the delay is over.
    fn wait(self: &Rc<Self>, delay: u32) {
        self.waiting.set(true);
        let global = js_sys::global();
        if Reflect::has(&global, &"addEventListener".into()).unwrap_or(false) {
            let next = self.clone();
            let listener = Closure::<dyn FnMut()>::new(move || wake(&next));
            let _ = global
                .unchecked_ref::<EventTarget>()
                .add_event_listener_with_callback("online", listener.as_ref().unchecked_ref());
            self.online.replace(Some(listener));
        }
        let next = self.clone();
        let timer = Timeout::new(delay, move || {
            if !offline() {
                wake(&next);
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

    /// Tells a CORS failure (futile) from an unreachable server (transient):
    /// `fetch` rejects with the same `TypeError` for both (spec 5). A
    /// `no-cors` probe of the same URL, aborted as soon as its headers
    /// arrive, settles it: if it fails too, nothing answered (transient); if
    /// its response is opaque, a server answered from another origin, so the
    /// failure was CORS (futile); if it is a plain same-origin response, CORS
    /// cannot have been the cause (a reset: transient). The one case it gets
    /// wrong is a cross-origin connection reset before its headers that
    /// answers the probe: it fails instead of reconnecting. A custom fetch is
    /// not probed: its failures are transient.
    async fn classify(&self, error: &JsValue) -> NetworkError {
        let aborted = Reflect::get(error, &"name".into()).ok().and_then(|name| name.as_string());
        if self.closed.get() || aborted.as_deref() == Some("AbortError") {
            return NetworkError::Aborted;
        }
        if !self.cors || !self.config.fetch.is_undefined() {
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
            Ok(response) if response.unchecked_ref::<Response>().type_() == ResponseType::Opaque => {
                NetworkError::Futile
            }
            Ok(_) => NetworkError::Transient,
            Err(_) if self.closed.get() => NetworkError::Aborted,
            Err(_) => NetworkError::Transient,
        }
    }
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
struct Dispatch<'a> {
    inner: &'a Inner,
}

impl Sink for Dispatch<'_> {
    fn event(&mut self, event: Event<'_>) -> ControlFlow<()> {
        let _ = self.inner.hooks.message(event.event_type, event.data, event.last_event_id);
        if self.inner.closed.get() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
    fn retry(&mut self, millis: u64) -> ControlFlow<()> {
        // The machine has taken it; keep a copy readable while it is busy.
        self.inner.reconnection_time.set(retry_delay(millis));
        ControlFlow::Continue(())
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
