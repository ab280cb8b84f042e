//! `EventStreamParser`: the parser behind a `TransformStream`.
//!
//! The JS class (`js/stream-parser.js`) owns one [`StreamParser`] per stream
//! and calls [`StreamParser::feed`] with each chunk and a hooks object; the
//! parser calls `hooks.events(batch)`, `hooks.retry(ms)` and
//! `hooks.comment(text)`, and the class turns events into chunks of its
//! readable side.
//!
//! Crossings are kept few, as the connection's (`connection.rs`): one call
//! into wasm per chunk (its bytes copied in once), and the events of a chunk
//! cross as one string (or one per 4 KiB of them), each as its type, data
//! and last event ID, every field followed by a CR, which none can contain.
//! A `retry` or a comment dispatches the events before it first; comments
//! cross only when somebody listens.
//!
//! The hooks come with each chunk rather than being kept: wasm memory holds
//! no reference to the stream, so a stream that is dropped unfinished is
//! garbage collected, and wasm-bindgen's `FinalizationRegistry` frees its
//! parser.

use alloc::string::String;
use core::ops::ControlFlow;

use wasm_bindgen::prelude::*;

use crate::machine::{push_event, BATCH_BYTES};
use crate::parser::{Event, Parser, Sink};

#[wasm_bindgen]
extern "C" {
    /// The JS class's private hooks object, given with each chunk
    /// (`js/stream-parser.js`).
    pub type StreamHooks;
    #[wasm_bindgen(method, catch)]
    fn events(this: &StreamHooks, batch: &str) -> Result<(), JsValue>;
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
    /// The events not yet handed over, kept between chunks for its allocation.
    batch: String,
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
        StreamParser { parser, comments, batch: String::new() }
    }

    /// Parses the next chunk, reporting to `hooks` as it goes.
    ///
    /// Returns `false` once the stream has exceeded the maximum buffer size
    /// (the JS side throws a `RangeError`); throws what a hook threw, after
    /// stopping at once.
    pub fn feed(&mut self, chunk: &[u8], hooks: &StreamHooks) -> Result<bool, JsValue> {
        let mut report = Report { hooks, comments: self.comments, batch: &mut self.batch, thrown: None };
        let parsed = self.parser.feed(chunk, &mut report as &mut dyn Sink);
        // (A hook's throw is kept in `report.thrown`, and returned below.)
        let _ = report.flush();
        report.batch.clear();
        if report.batch.capacity() > 2 * BATCH_BYTES {
            *report.batch = String::new();
        }
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
    batch: &'a mut String,
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

    /// Hands over the events kept so far.
    fn flush(&mut self) -> ControlFlow<()> {
        if self.batch.is_empty() || self.thrown.is_some() {
            return ControlFlow::Continue(());
        }
        let result = self.hooks.events(self.batch);
        self.batch.clear();
        self.check(result)
    }
}

impl Sink for Report<'_> {
    fn event(&mut self, event: Event<'_>) -> ControlFlow<()> {
        if push_event(self.batch, &event) {
            return self.flush();
        }
        ControlFlow::Continue(())
    }

    fn retry(&mut self, millis: u64) -> ControlFlow<()> {
        self.flush()?;
        let result = self.hooks.retry(millis as f64);
        self.check(result)
    }

    fn comment(&mut self, text: &str) -> ControlFlow<()> {
        if !self.comments {
            return ControlFlow::Continue(());
        }
        self.flush()?;
        let result = self.hooks.comment(text);
        self.check(result)
    }
}
