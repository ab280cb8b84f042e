//! The Rust API: the same source as the JS class, for Rust/wasm applications
//! (Yew, Leptos, Dioxus...), with callbacks and, behind the `stream`
//! feature, a [`futures_core::Stream`] of events.
//!
//! ```ignore
//! use eventsource_wasm::wasm::{EventSource, Options, SourceEvent};
//! use eventsource_wasm::machine::RetryPolicy;
//!
//! let options = Options {
//!     headers: vec![("Authorization".into(), format!("Bearer {token}"))],
//!     retry: RetryPolicy { initial_delay: 500, max_delay: 30_000, multiplier: 2.0, jitter: 0.5, ..Default::default() },
//!     inactivity_timeout: Some(45_000),
//!     ..Default::default()
//! };
//! let source = EventSource::with_options("/events", options)?;
//! source.on_message(|event| log(&format!("{}: {}", event.event_type, event.data)));
//! source.on_error(|error| if error.ready_state == ReadyState::Closed { log(error.reason.as_str()) });
//!
//! // With the `stream` feature, in an async block:
//! let mut events = source.events();
//! while let Some(event) = events.next().await {
//!     if let SourceEvent::Message(message) = event { /* ... */ }
//! }
//! ```
//!
//! (This example runs, in Chromium and Firefox, as `rust_api_*` in
//! `tests/driver.rs`.)

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{Headers, RequestCredentials, Url};

use super::driver::{seed, Handler, Inner, Options as DriverOptions};
use crate::machine::{
    events_in, Error, ErrorReason, ReadyState, RetryPolicy, Warning, DEFAULT_CREDENTIALS, DEFAULT_METHOD, STREAM_URL,
};
use crate::parser::Parser;

/// The options beyond the standard; `Options::default()` is the standard
/// `EventSource` (same-origin credentials, GET, 3 s reconnection for ever).
#[derive(Default)]
pub struct Options {
    /// `RequestCredentials::Include` is the standard's `withCredentials`.
    pub credentials: Option<RequestCredentials>,
    /// Extra request headers, sent on every request.
    pub headers: Vec<(String, String)>,
    /// A JS function returning headers (or a promise of them), called before
    /// every request, e.g. to send a refreshed token; it replaces `headers`.
    pub headers_fn: Option<Function>,
    /// The request method; `None` is GET.
    pub method: Option<String>,
    /// The request body (a string, `Blob`, `FormData`, `URLSearchParams`,
    /// `ArrayBuffer`...: never a stream), sent again on every reconnection.
    pub body: Option<JsValue>,
    /// A custom fetch function, called as `fetch(url, init)`.
    pub fetch: Option<Function>,
    /// When to reconnect and when to give up.
    pub retry: RetryPolicy,
    /// Reconnect when nothing arrives for this many milliseconds.
    pub inactivity_timeout: Option<u32>,
    /// The parser's cap on one event or line, in bytes (default 16 MiB).
    pub max_buffer_size: Option<usize>,
    /// The initial last event ID, sent as `Last-Event-ID` on the first
    /// request too.
    pub last_event_id: String,
    /// Send the last event ID as this query parameter of the URL (e.g.
    /// `lastEventID`) instead of the `Last-Event-ID` header, which makes a
    /// cross-origin request need a CORS preflight; removed from the URL of a
    /// request with no ID.
    pub last_event_id_query_parameter: Option<String>,
    /// Do not look for what makes a stream seem to send nothing (the
    /// browser's per-host connection limit, a buffering proxy): no
    /// [`SourceEvent::Warning`], nothing in the console.
    pub no_diagnostics: bool,
}

/// A `message` or named event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageEvent {
    /// `message`, or the `event:` field's value.
    pub event_type: String,
    /// The data.
    pub data: String,
    /// The last event ID.
    pub last_event_id: String,
    /// The origin of the stream's final URL.
    pub origin: String,
}

/// An `error` event: the readyState it left, and why.
#[derive(Debug, Clone)]
pub struct ErrorEvent {
    /// `Connecting` (a reconnection follows) or `Closed`.
    pub ready_state: ReadyState,
    /// Why.
    pub reason: ErrorReason,
    /// The response status, when a response came; else 0.
    pub status: u16,
    /// The delay (ms) before the next attempt, when reconnecting.
    pub delay: Option<u32>,
    /// The wrong Content-Type, when that is the reason.
    pub content_type: String,
    /// The JS error behind the failure, or `undefined`.
    pub cause: JsValue,
}

/// Everything a source tells, in order.
#[derive(Debug, Clone)]
pub enum SourceEvent {
    /// The connection opened.
    Open,
    /// An event arrived.
    Message(MessageEvent),
    /// The connection was lost (and will be reestablished) or failed.
    Error(ErrorEvent),
    /// Something looks wrong, though nothing failed (each kind once per
    /// source; also said in the console): [`Warning::message`] says what,
    /// and the fix.
    Warning(Warning),
}

type Callback<T> = RefCell<Option<Box<dyn FnMut(&T)>>>;

/// The callbacks and the streams' queues.
#[derive(Default)]
struct Callbacks {
    /// Set once the source is closed: the callbacks are dropped then (they
    /// may hold a handle to their source: that cycle ends here).
    closed: Cell<bool>,
    origin: RefCell<String>,
    /// The last event ID of the event being dispatched, while its callback
    /// runs: what [`EventSource::last_event_id`] says then.
    dispatching: RefCell<Option<String>>,
    open: Callback<()>,
    message: Callback<MessageEvent>,
    error: Callback<ErrorEvent>,
    warning: Callback<Warning>,
    queues: RefCell<Vec<Weak<RefCell<Queue>>>>,
}

#[derive(Default)]
struct Queue {
    events: VecDeque<SourceEvent>,
    ended: bool,
    #[cfg_attr(not(feature = "stream"), allow(dead_code))]
    waker: Option<core::task::Waker>,
}

impl Callbacks {
    fn emit(&self, event: SourceEvent) {
        let ended = matches!(&event, SourceEvent::Error(error) if error.ready_state == ReadyState::Closed);
        match &event {
            SourceEvent::Open => call(&self.open, &(), &self.closed),
            SourceEvent::Message(message) => call(&self.message, message, &self.closed),
            SourceEvent::Error(error) => call(&self.error, error, &self.closed),
            SourceEvent::Warning(warning) => call(&self.warning, warning, &self.closed),
        }
        self.queues.borrow_mut().retain(|queue| match queue.upgrade() {
            Some(queue) => {
                let mut queue = queue.borrow_mut();
                queue.events.push_back(event.clone());
                queue.ended |= ended;
                if let Some(waker) = queue.waker.take() {
                    waker.wake();
                }
                true
            }
            None => false,
        });
        if ended {
            self.close();
        }
    }

    /// Drops the callbacks and ends the streams.
    fn close(&self) {
        self.closed.set(true);
        drop((self.open.take(), self.message.take(), self.error.take(), self.warning.take()));
        for queue in self.queues.take() {
            if let Some(queue) = queue.upgrade() {
                let mut queue = queue.borrow_mut();
                queue.ended = true;
                if let Some(waker) = queue.waker.take() {
                    waker.wake();
                }
            }
        }
    }
}

/// Calls a callback, if one is set. It is taken out while it runs, so that
/// it may set another (which then stays) or close the source.
fn call<T>(slot: &Callback<T>, value: &T, closed: &Cell<bool>) {
    if let Some(mut callback) = slot.take() {
        callback(value);
        let mut slot = slot.borrow_mut();
        if slot.is_none() && !closed.get() {
            *slot = Some(callback);
        }
    }
}

impl Handler for Callbacks {
    fn open(&self, origin: &str) {
        self.origin.replace(origin.into());
        self.emit(SourceEvent::Open);
    }
    fn messages(&self, batch: &str) {
        for event in events_in(batch) {
            if self.closed.get() {
                break; // closed by a callback: nothing more (spec 13)
            }
            self.dispatching.replace(Some(event.last_event_id.into()));
            self.emit(SourceEvent::Message(MessageEvent {
                event_type: event.event_type.into(),
                data: event.data.into(),
                last_event_id: event.last_event_id.into(),
                origin: self.origin.borrow().clone(),
            }));
            self.dispatching.take();
        }
    }
    fn error(&self, error: &Error, content_type: &str, cause: &JsValue) {
        self.emit(SourceEvent::Error(ErrorEvent {
            ready_state: error.ready_state,
            reason: error.reason,
            status: error.status,
            delay: error.delay,
            content_type: content_type.into(),
            cause: cause.clone(),
        }));
    }
    fn warning(&self, warning: Warning) {
        let mut text = String::from("eventsource-wasm: ");
        text.push_str(&warning.message());
        console_warn(&text);
        self.emit(SourceEvent::Warning(warning));
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn console_warn(text: &str);
}

/// An event source, from Rust. Cloning gives another handle to the same
/// source; the last handle dropped (a stream of [`EventSource::events`]
/// holds one) closes it.
#[derive(Clone)]
pub struct EventSource {
    handle: Rc<Handle>,
}

/// Its `inner` is the connection's only strong reference: dropping the last
/// handle drops it, which closes the connection.
struct Handle {
    url: String,
    inner: Rc<Inner<Callbacks>>,
}

impl EventSource {
    /// The standard `EventSource` for `url` (resolved against the page's
    /// base URL). Connects once the current task ends, so callbacks set
    /// right after see everything.
    pub fn new(url: &str) -> Result<EventSource, JsValue> {
        Self::with_options(url, Options::default())
    }

    /// An event source with the options beyond the standard.
    pub fn with_options(url: &str, options: Options) -> Result<EventSource, JsValue> {
        let url = resolve(url)?;
        let mut parser = options.max_buffer_size.map_or_else(Parser::new, Parser::with_max_buffer_size);
        parser.set_last_event_id(&options.last_event_id);
        let headers: JsValue = match options.headers_fn {
            Some(function) => function.into(),
            None if options.headers.is_empty() => JsValue::UNDEFINED,
            None => {
                let headers = Headers::new()?;
                for (name, value) in &options.headers {
                    headers.append(name, value)?;
                }
                headers.into()
            }
        };
        let request = Object::new();
        let credentials = match options.credentials {
            Some(RequestCredentials::Include) => "include",
            Some(RequestCredentials::Omit) => "omit",
            _ => DEFAULT_CREDENTIALS,
        };
        let method = options.method.unwrap_or_else(|| DEFAULT_METHOD.into());
        let body = options.body.unwrap_or(JsValue::UNDEFINED);
        let fetch = options.fetch.map_or(JsValue::UNDEFINED, Into::into);
        let query = options.last_event_id_query_parameter.map_or(JsValue::UNDEFINED, Into::into);
        for (name, value) in [
            ("credentials", credentials.into()),
            ("method", method.into()),
            ("headers", headers),
            ("body", body),
            ("fetch", fetch),
            ("lastEventIdQueryParameter", query),
        ] {
            Reflect::set(&request, &name.into(), &value)?;
        }
        let options = DriverOptions {
            request: request.into(),
            policy: options.retry,
            inactivity_timeout: options.inactivity_timeout.unwrap_or(0),
            seed: seed(),
            early: JsValue::UNDEFINED,
            stream: JsValue::UNDEFINED,
            diagnostics: !options.no_diagnostics,
        };
        let inner = Inner::start(&url, options, parser, Callbacks::default());
        Ok(EventSource { handle: Rc::new(Handle { url, inner }) })
    }

    /// A source fed by `stream`, a `ReadableStream` of bytes, instead of a
    /// URL: the JS class's `EventSource.fromReadableStream()`
    /// (whatwg/html#12272). Its URL is `about:event-stream`, its events'
    /// origin `"null"`; it opens, reports the stream's events, and when the
    /// stream ends or fails reports an error (`EndOfStream` or `Network`)
    /// and is closed, with no reconnection; [`EventSource::close`] cancels
    /// the stream. A locked stream is an error (a `TypeError`); the stream
    /// is locked from now on.
    pub fn from_readable_stream(stream: &web_sys::ReadableStream) -> Result<EventSource, JsValue> {
        if stream.locked() {
            return Err(js_sys::TypeError::new("the stream is locked").into());
        }
        let options = DriverOptions {
            request: Object::new().into(),
            policy: RetryPolicy::default(),
            inactivity_timeout: 0,
            seed: seed(),
            early: JsValue::UNDEFINED,
            stream: stream.get_reader().into(),
            diagnostics: true,
        };
        let inner = Inner::start(STREAM_URL, options, Parser::new(), Callbacks::default());
        Ok(EventSource { handle: Rc::new(Handle { url: STREAM_URL.into(), inner }) })
    }

    /// Drops the event being assembled and any incomplete line, as a new
    /// connection does (whatwg/html#12272): between two streams piped into a
    /// source made by [`EventSource::from_readable_stream`].
    pub fn reset(&self) {
        self.handle.inner.reset();
    }

    /// The absolute URL.
    pub fn url(&self) -> &str {
        &self.handle.url
    }

    /// `Connecting`, `Open` or `Closed`.
    pub fn ready_state(&self) -> ReadyState {
        self.handle.inner.ready_state()
    }

    /// The last event ID string (from inside a message callback: its
    /// event's).
    pub fn last_event_id(&self) -> String {
        let dispatching = self.handle.inner.handler.dispatching.borrow().clone();
        dispatching.unwrap_or_else(|| self.handle.inner.last_event_id())
    }

    /// The reconnection time (ms): the server's `retry`, else the policy's
    /// initial delay.
    pub fn reconnection_time(&self) -> u32 {
        self.handle.inner.reconnection_time()
    }

    /// Closes the source for good: nothing more is reported, and the
    /// streams end.
    pub fn close(&self) {
        self.handle.inner.close();
        self.handle.inner.handler.close();
    }

    // Callbacks may hold a handle to their source: the cycle lasts until the
    // source is closed (by `close()`, or by failing), when they are dropped.
    // Set after that, they are never called.

    /// Calls `callback` when the connection opens (replacing any earlier one).
    pub fn on_open(&self, mut callback: impl FnMut() + 'static) {
        self.set(&self.handle.inner.handler.open, Box::new(move |_: &()| callback()));
    }

    /// Calls `callback` for every event, `message` or named.
    pub fn on_message(&self, callback: impl FnMut(&MessageEvent) + 'static) {
        self.set(&self.handle.inner.handler.message, Box::new(callback));
    }

    /// Calls `callback` for every `error`.
    pub fn on_error(&self, callback: impl FnMut(&ErrorEvent) + 'static) {
        self.set(&self.handle.inner.handler.error, Box::new(callback));
    }

    /// Calls `callback` for every [`Warning`] (each kind once per source).
    pub fn on_warning(&self, callback: impl FnMut(&Warning) + 'static) {
        self.set(&self.handle.inner.handler.warning, Box::new(callback));
    }

    fn set<T>(&self, slot: &Callback<T>, callback: Box<dyn FnMut(&T)>) {
        if !self.handle.inner.handler.closed.get() {
            slot.replace(Some(callback));
        }
    }

    /// A stream of everything from now on; it ends after the `error` that
    /// closes the source, or at [`EventSource::close`]. It keeps the source
    /// open while it lives. Events wait in memory until polled.
    #[cfg(feature = "stream")]
    pub fn events(&self) -> Events {
        let queue =
            Rc::new(RefCell::new(Queue { ended: self.ready_state() == ReadyState::Closed, ..Queue::default() }));
        self.handle.inner.handler.queues.borrow_mut().push(Rc::downgrade(&queue));
        Events { queue, _source: self.clone() }
    }
}

/// The events of an [`EventSource`], as a [`futures_core::Stream`].
#[cfg(feature = "stream")]
pub struct Events {
    queue: Rc<RefCell<Queue>>,
    _source: EventSource,
}

#[cfg(feature = "stream")]
impl futures_core::Stream for Events {
    type Item = SourceEvent;

    fn poll_next(
        self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<Option<SourceEvent>> {
        let mut queue = self.queue.borrow_mut();
        match queue.events.pop_front() {
            Some(event) => core::task::Poll::Ready(Some(event)),
            None if queue.ended => core::task::Poll::Ready(None),
            None => {
                queue.waker = Some(cx.waker().clone());
                core::task::Poll::Pending
            }
        }
    }
}

/// `url` resolved against the document's base URL or the worker's location.
fn resolve(url: &str) -> Result<String, JsValue> {
    let global = js_sys::global();
    let base = Reflect::get(&global, &"document".into())
        .and_then(|document| Reflect::get(&document, &"baseURI".into()))
        .ok()
        .and_then(|base| base.as_string())
        .or_else(|| {
            let location = Reflect::get(&global, &"location".into()).ok()?;
            Reflect::get(&location, &"href".into()).ok()?.as_string()
        });
    let parsed = match base {
        Some(base) => Url::new_with_base(url, &base),
        None => Url::new(url),
    };
    Ok(parsed?.href())
}
