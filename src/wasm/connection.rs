//! The JS class's side: `js/eventsource.js` creates one [`Connection`] per
//! `EventSource`, with its options (already checked) and a hooks object; the
//! connection calls `hooks.open(origin)`, `hooks.messages(batch)` and
//! `hooks.error(readyState, reason, status, delay, contentType, cause)`, and the
//! class turns those into events.
//!
//! `batch` holds the events of a slice of input, each as its type, data and
//! last event ID, every one followed by a CR: no field can contain a CR (the
//! parser ends lines there), so `batch.split('\r')` gives them back. One
//! string per slice (or per 4 KiB of events) rather than three per event:
//! crossing into JS and decoding UTF-8 cost more per call than per byte.

use alloc::rc::Rc;
use alloc::string::String;
use core::cell::RefCell;

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use super::driver::{seed, ErrorInfo, Handler, Inner, Options};
use crate::machine::RetryPolicy;
use crate::parser::{Event, Parser};

#[wasm_bindgen]
extern "C" {
    /// The JS class's private hooks object.
    #[wasm_bindgen(typescript_type = "ConnectionHooks")]
    pub type Hooks;
    #[wasm_bindgen(method, catch)]
    fn open(this: &Hooks, origin: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn messages(this: &Hooks, batch: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn error(
        this: &Hooks,
        ready_state: u8,
        reason: &str,
        status: u16,
        delay: i32,
        content_type: &str,
        cause: &JsValue,
    ) -> Result<(), JsValue>;
}

/// The hooks, and the events kept for the next `messages` call.
pub(crate) struct JsHandler {
    hooks: Hooks,
    batch: RefCell<String>,
}

/// A batch's allocation is kept for the next one up to this size.
const KEEP_BATCH: usize = 64 * 1024;

/// A batch is dispatched once it holds this many bytes: in JS its fields are
/// slices of one string (V8 and SpiderMonkey keep substrings as views of
/// their parent), so a page that keeps one `event.data` keeps at most this
/// much more text alive than the event itself.
const BATCH_BYTES: usize = 4 * 1024;

impl Handler for JsHandler {
    fn open(&self, origin: &str) {
        let _ = self.hooks.open(origin);
    }
    fn message(&self, event: Event<'_>) {
        let full = {
            let mut batch = self.batch.borrow_mut();
            for field in [event.event_type, event.data, event.last_event_id] {
                batch.push_str(field);
                batch.push('\r');
            }
            batch.len() >= BATCH_BYTES
        };
        if full {
            self.flush();
        }
    }
    fn flush(&self) {
        // Taken out: the page's handlers run meanwhile.
        let mut batch = self.batch.take();
        if !batch.is_empty() {
            let _ = self.hooks.messages(&batch);
            batch.clear();
        }
        if batch.capacity() <= KEEP_BATCH {
            self.batch.replace(batch);
        }
    }
    fn error(&self, error: &ErrorInfo<'_>) {
        let delay = error.delay.map_or(-1, |delay| delay as i32);
        let reason = error.reason.as_str();
        let _ = self.hooks.error(error.ready_state as u8, reason, error.status, delay, error.content_type, error.cause);
    }
}

/// One `EventSource`'s connection, driven from Rust. Freed (by the JS class,
/// or by wasm-bindgen's finalizer), it closes: it holds the connection's only
/// strong reference, and the connection closes when dropped.
#[wasm_bindgen]
pub struct Connection {
    inner: Rc<Inner<JsHandler>>,
}

#[wasm_bindgen]
impl Connection {
    /// Starts connecting to `url` (absolute) with the JS class's `options`
    /// (`credentials`, `method`, `headers`, `body`, `fetch`,
    /// `inactivityTimeout`, `maxBufferSize`, `lastEventId`, and the retry
    /// policy's `initialDelay`, `maxDelay`, `multiplier`, `jitter`,
    /// `maxAttempts`; a missing one takes the standard's value).
    #[wasm_bindgen(constructor)]
    pub fn new(url: String, options: &JsValue, hooks: Hooks) -> Connection {
        // (Not Reflect on a non-object: a caught exception costs a JS reference.)
        let field = |name: &str| match options.is_object() {
            true => Reflect::get(options, &name.into()).unwrap_or(JsValue::UNDEFINED),
            false => JsValue::UNDEFINED,
        };
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
        let options = Options {
            request: options.clone(),
            policy,
            inactivity_timeout: number("inactivityTimeout", 0.0) as u32,
            seed: seed(),
        };
        let handler = JsHandler { hooks, batch: RefCell::new(String::new()) };
        Connection { inner: Inner::start(&url, options, parser, handler) }
    }

    /// `close()`: nothing more is dispatched (spec 13).
    pub fn close(&self) {
        self.inner.close();
    }

    /// `window.stop()` was called: the request in flight, if any, was
    /// aborted by the document, and its failure fails the source (spec 4).
    pub fn stopped(&self) {
        self.inner.stopped();
    }

    /// The last event ID string; `undefined` while an event is being
    /// dispatched (the event's `lastEventId` is the current one then).
    #[wasm_bindgen(js_name = lastEventId)]
    pub fn last_event_id(&self) -> Option<String> {
        self.inner.last_event_id()
    }

    /// The reconnection time (ms).
    #[wasm_bindgen(js_name = reconnectionTime)]
    pub fn reconnection_time(&self) -> u32 {
        self.inner.reconnection_time()
    }
}
