//! The JS class's side: `js/eventsource.js` creates one [`Connection`] per
//! `EventSource`, with its options (already checked) and a hooks object; the
//! connection calls `hooks.open(origin)`, `hooks.messages(batch)` and
//! `hooks.error({ readyState, reason, status, delay, contentType, cause })`
//! and `hooks.warning(code, message)`,
//! and the class turns those into events. The class reads `readyState`,
//! `lastEventId` and `reconnectionTime` from the connection: the machine's
//! own, as the hooks called so far have told them.
//!
//! `batch` holds the events of a slice of input, each as its type, data and
//! last event ID, every one followed by a CR: no field can contain a CR (the
//! parser ends lines there), so `batch.split('\r')` gives them back
//! ([`Machine::take_events`](crate::machine::Machine::take_events)).

use alloc::rc::Rc;
use alloc::string::String;

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use super::driver::{seed, Handler, Inner, Options};
use crate::machine::{Error, RetryPolicy, Warning};
use crate::parser::Parser;

#[wasm_bindgen(inline_js = r#"
export function report(error) {
  // As an exception in an event listener is: reported, and the caller goes on.
  if (typeof reportError === 'function') reportError(error);
  else
    setTimeout(() => {
      throw error;
    });
}
export function errorInfo(readyState, reason, status, delay, contentType, cause) {
  return { readyState, reason, status, delay: delay ?? null, contentType, cause };
}
export function numberOption(options, name) {
  const value = options?.[name];
  return typeof value === 'number' ? value : NaN;
}
"#)]
extern "C" {
    /// Reports an exception of a hook as one of an event listener is
    /// (`reportError`), and goes on.
    fn report(error: &JsValue);
    /// The `error` hook's argument: `{ readyState, reason, status, delay
    /// (null when closed), contentType, cause }`.
    #[wasm_bindgen(js_name = errorInfo)]
    fn error_info(
        ready_state: u8,
        reason: &str,
        status: u16,
        delay: Option<u32>,
        content_type: &str,
        cause: &JsValue,
    ) -> JsValue;
    /// `options[name]` if it is a number, else NaN.
    #[wasm_bindgen(js_name = numberOption)]
    fn number_option(options: &JsValue, name: &str) -> f64;
}

#[wasm_bindgen]
extern "C" {
    /// The JS class's private hooks object (`ConnectionHooks` in
    /// `js/eventsource.js`).
    pub type Hooks;
    #[wasm_bindgen(method, catch)]
    fn open(this: &Hooks, origin: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn messages(this: &Hooks, batch: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn error(this: &Hooks, info: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn warning(this: &Hooks, code: &str, message: &str) -> Result<(), JsValue>;
}

/// The hooks: what the connection tells the JS class. A hook that throws
/// (a bug: listeners' exceptions never reach it) is reported as a
/// listener's is, and the connection goes on.
pub(crate) struct JsHandler {
    hooks: Hooks,
}

impl Handler for JsHandler {
    fn open(&self, origin: &str) {
        if let Err(error) = self.hooks.open(origin) {
            report(&error);
        }
    }
    fn messages(&self, batch: &str) {
        if let Err(error) = self.hooks.messages(batch) {
            report(&error);
        }
    }
    fn error(&self, error: &Error, content_type: &str, cause: &JsValue) {
        let reason = error.reason.as_str();
        let info = error_info(error.ready_state as u8, reason, error.status, error.delay, content_type, cause);
        if let Err(error) = self.hooks.error(&info) {
            report(&error);
        }
    }
    fn warning(&self, warning: Warning) {
        if let Err(error) = self.hooks.warning(warning.code(), &warning.message()) {
            report(&error);
        }
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
    /// `inactivityTimeout`, `maxBufferSize`, `lastEventId`, `diagnostics` (0: off), and the retry
    /// policy's `initialDelay`, `maxDelay`, `multiplier`, `jitter`,
    /// `maxAttempts`; a missing one takes the standard's value). `early`:
    /// the first request, if the class made it while the wasm loaded
    /// (`js/request.js`), which the connection takes over; else `undefined`.
    /// `stream`: for `EventSource.fromReadableStream()`, a reader of the
    /// application's stream, which the connection reads instead of making
    /// requests (`url` is then `about:event-stream`); else `undefined`.
    #[wasm_bindgen(constructor)]
    pub fn new(url: String, options: &JsValue, hooks: Hooks, early: JsValue, stream: JsValue) -> Connection {
        let number = |name: &str, default: f64| {
            let value = number_option(options, name);
            if value.is_nan() {
                default
            } else {
                value
            }
        };
        let defaults = RetryPolicy::default();
        let policy = RetryPolicy {
            initial_delay: number("initialDelay", defaults.initial_delay.into()) as u32,
            max_delay: number("maxDelay", defaults.max_delay.into()) as u32,
            multiplier: number("multiplier", defaults.multiplier),
            jitter: number("jitter", defaults.jitter),
            max_attempts: number("maxAttempts", defaults.max_attempts.into()) as u32,
        };
        let limit = number_option(options, "maxBufferSize");
        let mut parser = if limit.is_nan() { Parser::new() } else { Parser::with_max_buffer_size(limit as usize) };
        let id = if options.is_object() { Reflect::get(options, &"lastEventId".into()).ok() } else { None };
        if let Some(id) = id.and_then(|id| id.as_string()) {
            parser.set_last_event_id(&id);
        }
        let options = Options {
            request: options.clone(),
            policy,
            inactivity_timeout: number("inactivityTimeout", 0.0) as u32,
            seed: seed(),
            early,
            stream,
            diagnostics: number("diagnostics", 1.0) != 0.0,
        };
        let handler = JsHandler { hooks };
        Connection { inner: Inner::start(&url, options, parser, handler) }
    }

    /// `close()`: nothing more is dispatched (spec 13).
    pub fn close(&self) {
        self.inner.close();
    }

    /// `reset()`: the event being assembled and any incomplete line are
    /// discarded; the next bytes may start with a BOM.
    pub fn reset(&self) {
        self.inner.reset();
    }

    /// `window.stop()` was called: the request in flight, if any, was
    /// aborted by the document, and its failure fails the source (spec 4).
    pub fn stopped(&self) {
        self.inner.stopped();
    }

    /// The readyState: 0 CONNECTING, 1 OPEN, 2 CLOSED.
    #[wasm_bindgen(js_name = readyState)]
    pub fn ready_state(&self) -> u8 {
        self.inner.ready_state() as u8
    }

    /// The last event ID string.
    #[wasm_bindgen(js_name = lastEventId)]
    pub fn last_event_id(&self) -> String {
        self.inner.last_event_id()
    }

    /// The reconnection time (ms).
    #[wasm_bindgen(js_name = reconnectionTime)]
    pub fn reconnection_time(&self) -> u32 {
        self.inner.reconnection_time()
    }
}
