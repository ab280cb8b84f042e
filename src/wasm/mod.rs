//! The browser driver: performs what [`Machine`] decides, with `fetch`, a
//! stream reader and timers. Thin on purpose: every decision is made in
//! `machine.rs`, which is tested natively.
//!
//! The JS class (`js/eventsource.js`) creates one [`Connection`] per
//! `EventSource` and gives it a hooks object; the connection calls
//! `hooks.open(origin)`, `hooks.message(type, data, lastEventId)` and
//! `hooks.error(readyState)`, and the class turns those into events.
//!
//! Re-entrancy: a handler may call `close()` while a chunk is being parsed.
//! `close()` only sets a flag, aborts the fetch and drops the timer; it never
//! waits for the machine, which the parsing code holds. The sink checks the
//! flag after each event and stops the chunk at once.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::ops::ControlFlow;

use gloo_timers::callback::Timeout;
use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    AbortController, Headers, ReadableStreamDefaultReader, ReadableStreamReadResult, Request, RequestCache,
    RequestCredentials, RequestInit, RequestMode, RequestRedirect, Response, ResponseType, Url,
};

use crate::machine::{Machine, NetworkError, ReadyState, Transition};
use crate::parser::{Event, Parser, Sink};

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
    fn error(this: &Hooks, ready_state: u8) -> Result<(), JsValue>;

    /// The global `fetch`: in windows, workers and Node.js alike.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &Request) -> Promise;
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch_with_init(url: &str, init: &RequestInit) -> Result<Promise, JsValue>;
}

/// One `EventSource`'s connection, driven from Rust.
#[wasm_bindgen]
pub struct Connection {
    inner: Rc<Inner>,
}

struct Inner {
    /// The absolute URL (the JS class parsed it); after a redirect, the final
    /// URL, which reconnections fetch (the request's URL list grew).
    url: RefCell<String>,
    credentials: RequestCredentials,
    /// Whether the runtime enforces CORS (a browser, not Node.js): then a
    /// failed fetch may be a CORS failure, which must not be retried.
    cors: bool,
    hooks: Hooks,
    machine: RefCell<Machine>,
    /// Set by `close()`; read by the code that holds `machine`.
    closed: Cell<bool>,
    abort: RefCell<Option<AbortController>>,
    timer: RefCell<Option<Timeout>>,
}

#[wasm_bindgen]
impl Connection {
    /// Starts connecting to `url` (absolute). `with_credentials` sends
    /// cookies cross-origin; `cors` says whether the runtime enforces CORS.
    #[wasm_bindgen(constructor)]
    pub fn new(url: String, with_credentials: bool, cors: bool, hooks: Hooks) -> Connection {
        let credentials = if with_credentials { RequestCredentials::Include } else { RequestCredentials::SameOrigin };
        let inner = Rc::new(Inner {
            url: RefCell::new(url),
            credentials,
            cors,
            hooks,
            machine: RefCell::new(Machine::new(Parser::new())),
            closed: Cell::new(false),
            abort: RefCell::new(None),
            timer: RefCell::new(None),
        });
        spawn_local(run(inner.clone()));
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
        drop(inner.timer.take());
    }
}

/// One connection attempt, then what it ends in.
async fn run(inner: Rc<Inner>) {
    // The timer that woke us (if any) has fired; drop it here, outside its
    // own callback.
    drop(inner.timer.take());
    let transition = attempt(&inner).await;
    carry_out(&inner, transition);
}

async fn attempt(inner: &Rc<Inner>) -> Transition {
    if inner.closed.get() || !inner.machine.borrow_mut().connect() {
        return Transition::None;
    }
    if !fetchable_scheme(&inner.url.borrow()) {
        return inner.network_error(NetworkError::Futile);
    }
    let Ok(controller) = AbortController::new() else {
        return inner.network_error(NetworkError::Futile);
    };
    let request = match inner.request(&controller) {
        Ok(request) => request,
        Err(_) => return inner.network_error(NetworkError::Futile),
    };
    inner.abort.replace(Some(controller));

    let response: Response = match JsFuture::from(global_fetch(&request)).await {
        Ok(response) => response.unchecked_into(),
        Err(error) => {
            let kind = inner.classify(&error).await;
            return inner.network_error(kind);
        }
    };
    if response.redirected() {
        inner.url.replace(response.url());
    }
    let content_type = response.headers().get("content-type").ok().flatten();
    let transition = inner.machine.borrow_mut().response(response.status(), content_type.as_deref());
    if transition != Transition::Open {
        inner.abort_fetch();
        return transition;
    }
    // spec 25: the origin of the final URL, after redirects.
    let origin = Url::new(&inner.url.borrow()).map(|url| url.origin());
    let _ = inner.hooks.open(origin.as_deref().unwrap_or("null"));
    if inner.closed.get() {
        return Transition::None;
    }
    let Some(body) = response.body() else {
        return inner.machine.borrow_mut().end_of_body();
    };
    let Ok(reader) = ReadableStreamDefaultReader::new(&body) else {
        return inner.network_error(NetworkError::Transient);
    };
    let mut chunk = Vec::new();
    loop {
        let result: ReadableStreamReadResult = match JsFuture::from(reader.read()).await {
            Ok(result) => result.unchecked_into(),
            Err(_) if inner.closed.get() => return Transition::None,
            Err(_) => return inner.network_error(NetworkError::Transient),
        };
        if result.get_done().unwrap_or(true) {
            return inner.machine.borrow_mut().end_of_body();
        }
        let bytes: Uint8Array = result.get_value().unchecked_into();
        chunk.resize(bytes.length() as usize, 0);
        bytes.copy_to(&mut chunk);
        let transition = {
            let mut machine = inner.machine.borrow_mut();
            let (_, transition) = machine.feed(&chunk, &mut Dispatch { hooks: &inner.hooks, closed: &inner.closed });
            if inner.closed.get() {
                machine.close();
            }
            transition
        };
        if inner.closed.get() {
            return Transition::None;
        }
        if transition != Transition::None {
            inner.abort_fetch();
            return transition;
        }
    }
}

/// Tells the page what happened, and schedules the reconnection.
fn carry_out(inner: &Rc<Inner>, transition: Transition) {
    match transition {
        Transition::None | Transition::Open => {}
        Transition::Reconnect { delay_ms } => {
            let _ = inner.hooks.error(ReadyState::Connecting as u8);
            if inner.closed.get() {
                return;
            }
            let next = inner.clone();
            let timer = Timeout::new(delay_ms, move || spawn_local(run(next)));
            inner.timer.replace(Some(timer));
        }
        Transition::Fail(_) => {
            let _ = inner.hooks.error(ReadyState::Closed as u8);
        }
    }
}

impl Inner {
    /// The request of spec 2 and 11.
    fn request(&self, controller: &AbortController) -> Result<Request, JsValue> {
        let headers = Headers::new()?;
        headers.set("Accept", "text/event-stream")?;
        let machine = self.machine.borrow();
        let last_event_id = machine.last_event_id();
        if !last_event_id.is_empty() {
            headers.set("Last-Event-ID", &byte_string(last_event_id))?;
        }
        let init = RequestInit::new();
        init.set_method("GET");
        init.set_headers(&headers);
        init.set_mode(RequestMode::Cors);
        init.set_credentials(self.credentials);
        init.set_cache(RequestCache::NoStore);
        init.set_redirect(RequestRedirect::Follow);
        init.set_signal(Some(&controller.signal()));
        Request::new_with_str_and_init(&self.url.borrow(), &init)
    }

    fn network_error(&self, error: NetworkError) -> Transition {
        self.machine.borrow_mut().network_error(error)
    }

    fn abort_fetch(&self) {
        if let Some(controller) = self.abort.take() {
            controller.abort();
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
    /// answers the probe: it fails instead of reconnecting.
    async fn classify(&self, error: &JsValue) -> NetworkError {
        let aborted = js_sys::Reflect::get(error, &"name".into()).ok().and_then(|name| name.as_string());
        if self.closed.get() || aborted.as_deref() == Some("AbortError") {
            return NetworkError::Aborted;
        }
        if !self.cors {
            return NetworkError::Transient;
        }
        let Ok(controller) = AbortController::new() else {
            return NetworkError::Transient;
        };
        let init = RequestInit::new();
        init.set_mode(RequestMode::NoCors);
        init.set_credentials(self.credentials);
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

/// Hands each event to the page; stops the chunk once `close()` was called.
struct Dispatch<'a> {
    hooks: &'a Hooks,
    closed: &'a Cell<bool>,
}

impl Sink for Dispatch<'_> {
    fn event(&mut self, event: Event<'_>) -> ControlFlow<()> {
        let _ = self.hooks.message(event.event_type, event.data, event.last_event_id);
        if self.closed.get() {
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
