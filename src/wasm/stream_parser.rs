//! `EventStreamParser`: the parser behind a `TransformStream` (issue 5).
//!
//! The JS class (`js/stream-parser.js`) owns one [`StreamParser`] per stream
//! and calls [`StreamParser::feed`] with each chunk and a hooks object; the
//! parser calls `hooks.event(data, type, lastEventId)`, `hooks.retry(ms)` and
//! `hooks.comment(text)`, and the class turns events into chunks of its
//! readable side.
//!
//! Crossings are kept few: one call into wasm per chunk (its bytes copied in
//! once), one call out per event, `retry` or comment, and no call at all for
//! comments when nobody listens. An event's type is left out when it is
//! `"message"` and its last event ID when it did not change, so that the JS
//! side decodes only the data of a typical event.
//!
//! The hooks come with each chunk rather than being kept: wasm memory holds
//! no reference to the stream, so a stream that is dropped unfinished is
//! garbage collected, and wasm-bindgen's `FinalizationRegistry` frees its
//! parser.

use alloc::string::String;
use core::ops::ControlFlow;

use wasm_bindgen::prelude::*;

use crate::parser::{Event, Parser, Sink};

#[wasm_bindgen]
extern "C" {
    /// The JS class's private hooks object, given with each chunk.
    #[wasm_bindgen(typescript_type = "StreamParserHooks")]
    pub type StreamHooks;
    #[wasm_bindgen(method, catch)]
    fn event(
        this: &StreamHooks,
        data: &str,
        event_type: Option<&str>,
        last_event_id: Option<&str>,
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn retry(this: &StreamHooks, millis: f64) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn comment(this: &StreamHooks, text: &str) -> Result<(), JsValue>;
}

/// One `EventStreamParser`'s parser: one stream, no reconnection.
#[wasm_bindgen]
pub struct StreamParser {
    parser: Parser,
    /// Whether the JS side wants comments.
    comments: bool,
    /// The last event ID the JS side was given.
    last_event_id: String,
}

#[wasm_bindgen]
impl StreamParser {
    /// A parser holding at most `max_buffer_size` bytes for one event (a
    /// number: larger than the address space means no limit); `comments`
    /// says whether to report comment lines.
    #[wasm_bindgen(constructor)]
    pub fn new(max_buffer_size: f64, comments: bool) -> StreamParser {
        // A saturating cast: 2^32 does not wrap to 0 on wasm32.
        let parser = Parser::with_max_buffer_size(max_buffer_size as usize);
        StreamParser { parser, comments, last_event_id: String::new() }
    }

    /// Parses the next chunk, reporting to `hooks` as it goes.
    ///
    /// Returns `false` once the stream has exceeded the maximum buffer size
    /// (the JS side throws a `RangeError`); throws what a hook threw, after
    /// stopping at once.
    pub fn feed(&mut self, chunk: &[u8], hooks: &StreamHooks) -> Result<bool, JsValue> {
        let mut report =
            Report { hooks, comments: self.comments, last_event_id: &mut self.last_event_id, thrown: None };
        let parsed = self.parser.feed(chunk, &mut report as &mut dyn Sink);
        match report.thrown {
            Some(thrown) => Err(thrown),
            None => Ok(parsed.is_ok()),
        }
    }
}

/// Hands what the parser finds to the hooks; stops at the first that throws.
struct Report<'a> {
    hooks: &'a StreamHooks,
    comments: bool,
    last_event_id: &'a mut String,
    thrown: Option<JsValue>,
}

impl Report<'_> {
    fn check(&mut self, result: Result<(), JsValue>) -> ControlFlow<()> {
        match result {
            Ok(()) => ControlFlow::Continue(()),
            Err(thrown) => {
                self.thrown = Some(thrown);
                ControlFlow::Break(())
            }
        }
    }
}

impl Sink for Report<'_> {
    fn event(&mut self, event: Event<'_>) -> ControlFlow<()> {
        let event_type = (event.event_type != "message").then_some(event.event_type);
        let changed = event.last_event_id != self.last_event_id.as_str();
        if changed {
            self.last_event_id.clear();
            self.last_event_id.push_str(event.last_event_id);
        }
        let result = self.hooks.event(event.data, event_type, changed.then_some(event.last_event_id));
        self.check(result)
    }

    fn retry(&mut self, millis: u64) -> ControlFlow<()> {
        let result = self.hooks.retry(millis as f64);
        self.check(result)
    }

    fn comment(&mut self, text: &str) -> ControlFlow<()> {
        if !self.comments {
            return ControlFlow::Continue(());
        }
        let result = self.hooks.comment(text);
        self.check(result)
    }
}
