//! The event-stream parser: bytes in, events out, no I/O.
//!
//! This implements "Interpreting an event stream" from the WHATWG HTML
//! Living Standard (section 9.2.6), whose grammar is:
//!
//! ```text
//! stream        = [ bom ] *event
//! event         = *( comment / field ) end-of-line
//! comment       = colon *any-char end-of-line
//! field         = 1*name-char [ colon [ space ] *any-char ] end-of-line
//! end-of-line   = ( cr lf / cr / lf )
//! ```
//!
//! # How to use it
//!
//! 1. Create a [`Parser`] (one per event source).
//! 2. Call [`Parser::feed`] with each chunk of the response body as it
//!    arrives, passing a [`Sink`] that receives events, `retry` values and
//!    comments. Chunks may be split anywhere, even inside a CRLF, a BOM or a
//!    multi-byte character: the result is the same as feeding the whole body.
//! 3. When the body ends (or fails) and you reconnect, call
//!    [`Parser::reset`]: the event being assembled is discarded (spec: "any
//!    pending data must be discarded"), a BOM is expected again, and the
//!    last event ID is kept for the `Last-Event-ID` header.
//!
//! A sink may return [`ControlFlow::Break`] to stop at once (for example
//! when `close()` is called from an event handler); [`Parser::feed`] then
//! reports how many bytes it consumed, and the rest of the chunk may be fed
//! later or dropped.
//!
//! # Why it is fast
//!
//! Each byte is scanned for a line ending exactly once, 32 bytes a step
//! (vectorized where the target has SIMD, eight bytes a word elsewhere). A line that lies inside one chunk is parsed in place, without
//! copying; only a line that spans chunks is gathered in a buffer, and only
//! the new bytes of each chunk are scanned, so a 100 MiB line arriving in
//! 64 KiB chunks costs linear time. Field values are appended to reused
//! buffers, and events are handed to the sink as borrowed `&str`s: after the
//! buffers have grown to the size of the largest event, parsing allocates
//! nothing (invalid UTF-8 costs one small allocation per offending value).
//!
//! # Bounded memory
//!
//! The bytes held for the event being assembled (the current line plus the
//! data, event type and ID buffers) may not exceed
//! [`Parser::max_buffer_size`]. Every line counts, whether it had to be
//! gathered from several chunks or not, so the outcome does not depend on
//! how the stream was split. A stream that exceeds it ends with
//! [`ParseError::BufferFull`], and the parser refuses further input until it
//! is [`reset`](Parser::reset).

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::ops::ControlFlow;

/// The default for [`Parser::max_buffer_size`]: 16 MiB.
///
/// Large enough for any event a sane server sends in one piece, small enough
/// that a hostile stream cannot take a browser tab's memory.
pub const DEFAULT_MAX_BUFFER_SIZE: usize = 16 * 1024 * 1024;

/// A dispatched event, borrowed from the parser's buffers (spec 25).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// The event type: the last `event` field's value, or `"message"`.
    pub event_type: &'a str,
    /// The data: every `data` field's value joined with `"\n"`.
    pub data: &'a str,
    /// The last event ID string at the time of dispatch (spec 22).
    pub last_event_id: &'a str,
}

/// What the parser reports, as it parses.
///
/// Every method may return [`ControlFlow::Break`] to make [`Parser::feed`]
/// stop right after the current line.
pub trait Sink {
    /// An event was dispatched (spec 22–26).
    fn event(&mut self, event: Event<'_>) -> ControlFlow<()>;

    /// A `retry` field set the reconnection time, in milliseconds (spec 20).
    ///
    /// Values too large for a `u64` saturate to `u64::MAX`; a client clamps
    /// them to what its timers can hold.
    fn retry(&mut self, millis: u64) -> ControlFlow<()> {
        let _ = millis;
        ControlFlow::Continue(())
    }

    /// A comment line (`:` and the text after it, less one leading space).
    ///
    /// Servers send comments as heartbeats; the spec ignores them (spec 16).
    fn comment(&mut self, text: &str) -> ControlFlow<()> {
        let _ = text;
        ControlFlow::Continue(())
    }
}

/// Why parsing stopped. Small and `Copy`: the error path never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// The event being assembled would need more than `limit` bytes
    /// (see [`Parser::max_buffer_size`]).
    BufferFull {
        /// The limit in force.
        limit: usize,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::BufferFull { limit } => write!(
                f,
                "event stream exceeded the maximum buffer size of {limit} bytes \
                 (a line or event too large, or a line that never ends)"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ParseError {}

/// How much of a chunk [`Parser::feed`] consumed.
#[must_use = "a paused feed has not consumed the whole chunk"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The whole chunk was consumed.
    Done,
    /// The sink returned [`ControlFlow::Break`]; the first `consumed` bytes
    /// of the chunk were parsed and the rest were not looked at.
    Paused {
        /// Bytes of the chunk that were consumed.
        consumed: usize,
    },
}

/// Appends `bytes` to `buffer`, which grows as `Vec` does (doubling) but
/// never past `limit` unless the bytes need it: a buffer that may hold up to
/// the maximum buffer size does not reserve twice that.
#[inline]
fn append(buffer: &mut Vec<u8>, bytes: &[u8], limit: usize) {
    reserve_within(buffer, bytes.len(), limit);
    buffer.extend_from_slice(bytes);
}

/// Makes room for `extra` more bytes in `buffer`, as [`append`] grows it.
#[inline]
fn reserve_within(buffer: &mut Vec<u8>, extra: usize, limit: usize) {
    if buffer.capacity() - buffer.len() < extra {
        grow_within(buffer, extra, limit);
    }
}

/// Out of line: the buffers grow a few times per stream, and the appends
/// that need no room are the hot path.
#[cold]
#[inline(never)]
fn grow_within(buffer: &mut Vec<u8>, extra: usize, limit: usize) {
    if buffer.capacity().saturating_mul(2) <= limit {
        buffer.reserve(extra);
    } else {
        buffer.reserve_exact(limit.max(buffer.len() + extra) - buffer.len());
    }
}

/// The UTF-8 byte order mark, stripped once at the start of a stream (spec 14).
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];
/// `bom_state` once the start of the stream is behind us.
const BOM_DECIDED: u8 = u8::MAX;

/// An incremental, byte-level event-stream parser. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Parser {
    max_buffer_size: usize,
    /// An incomplete line carried over from earlier chunks.
    line: Vec<u8>,
    /// While an incomplete `data` line is being copied straight into `data`
    /// (so that a large value is copied once, not twice): the length of its
    /// `data:` or `data: ` prefix, which counts against the limit as if held.
    streaming_prefix: Option<usize>,
    /// The previous chunk ended in CR: an LF starting the next one belongs
    /// to the same line ending (spec 15).
    after_cr: bool,
    /// How many bytes of a BOM have been seen at the start of the stream, or
    /// [`BOM_DECIDED`].
    bom_state: u8,
    /// The data buffer, as raw bytes: it is decoded once per event, at
    /// dispatch, which gives the same text as decoding each line (see
    /// [`push_decoded`]).
    data: Vec<u8>,
    /// Where data that is not valid UTF-8 is decoded, with replacements.
    decoded: String,
    event_type: String,
    id_buffer: String,
    last_event_id: String,
    error: Option<ParseError>,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    /// A parser with the default maximum buffer size.
    pub fn new() -> Self {
        Self::with_max_buffer_size(DEFAULT_MAX_BUFFER_SIZE)
    }

    /// A parser that holds at most `limit` bytes for the event being
    /// assembled (see the [module docs](self#bounded-memory)).
    pub fn with_max_buffer_size(limit: usize) -> Self {
        Parser {
            max_buffer_size: limit,
            line: Vec::new(),
            streaming_prefix: None,
            after_cr: false,
            bom_state: 0,
            data: Vec::new(),
            decoded: String::new(),
            event_type: String::new(),
            id_buffer: String::new(),
            last_event_id: String::new(),
            error: None,
        }
    }

    /// The limit on bytes held for the event being assembled.
    pub fn max_buffer_size(&self) -> usize {
        self.max_buffer_size
    }

    /// The last event ID string (spec 22): what a reconnection sends as
    /// `Last-Event-ID` when it is not empty.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Sets the last event ID string, e.g. one the application restored.
    ///
    /// Takes effect as if an event with that ID had just been dispatched.
    pub fn set_last_event_id(&mut self, id: &str) {
        self.last_event_id.clear();
        self.last_event_id.push_str(id);
        self.id_buffer.clone_from(&self.last_event_id);
    }

    /// Bytes of an event still being assembled (an incomplete line, data, an
    /// event type): what the end of the stream would discard (spec 21).
    pub fn pending_bytes(&self) -> usize {
        self.line.len() + self.streaming_prefix.unwrap_or(0) + self.data.len() + self.event_type.len()
    }

    /// The error that stopped the parser, if any.
    pub fn error(&self) -> Option<ParseError> {
        self.error
    }

    /// Prepares for a new connection: discards the event being assembled and
    /// any incomplete line (spec 21), expects a BOM again, clears an error,
    /// and keeps the last event ID string (an `id` field of an event that
    /// was never dispatched is forgotten, as in browsers).
    pub fn reset(&mut self) {
        self.line.clear();
        self.streaming_prefix = None;
        self.after_cr = false;
        self.bom_state = 0;
        self.data.clear();
        self.event_type.clear();
        self.id_buffer.clone_from(&self.last_event_id);
        self.error = None;
    }

    /// Discards the event being assembled, as [`reset`](Self::reset) does,
    /// and gives back the memory of the buffers, which `reset` keeps for the
    /// next connection: for a parser that will parse no more (a closed
    /// source). The last event ID stays.
    pub fn release(&mut self) {
        self.reset();
        self.free_buffers();
    }

    fn free_buffers(&mut self) {
        self.line = Vec::new();
        self.streaming_prefix = None;
        self.data = Vec::new();
        self.decoded = String::new();
        self.event_type = String::new();
    }

    /// Parses the next chunk of the stream, reporting to `sink`.
    ///
    /// Returns [`Status::Done`] once the whole chunk is consumed, or
    /// [`Status::Paused`] if the sink asked to stop. Returns an error, now
    /// and on every later call until [`reset`](Self::reset), if the stream
    /// exceeds the maximum buffer size.
    pub fn feed<S: Sink + ?Sized>(&mut self, chunk: &[u8], sink: &mut S) -> Result<Status, ParseError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let mut pos = 0;
        if self.bom_state != BOM_DECIDED {
            pos = self.skip_bom(chunk)?;
        }
        if self.after_cr && pos < chunk.len() {
            self.after_cr = false;
            if chunk[pos] == b'\n' {
                pos += 1;
            }
        }
        while pos < chunk.len() {
            let rest = &chunk[pos..];
            let Some(len) = find_line_end(rest) else {
                // The line goes on in the next chunk.
                if self.streaming_prefix.is_some() {
                    self.check_room(rest.len())?;
                    append(&mut self.data, rest, self.max_buffer_size);
                } else {
                    self.hold(rest)?;
                    self.start_streaming();
                }
                break;
            };
            let mut next = pos + len + 1;
            if rest[len] == b'\r' {
                match chunk.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            let line = &rest[..len];
            let flow = if self.streaming_prefix.is_some() {
                // The end of a data line that was copied as it came.
                self.check_room(len)?;
                append(&mut self.data, line, self.max_buffer_size);
                self.streaming_prefix = None;
                self.check_room(1)?;
                reserve_within(&mut self.data, 1, self.max_buffer_size);
                self.data.push(b'\n');
                ControlFlow::Continue(())
            } else if self.line.is_empty() {
                // Counted as if held, so that the limit does not depend on
                // where the chunks happen to split.
                self.check_room(len)?;
                self.line(line, sink)?
            } else {
                self.hold(line)?;
                let line = core::mem::take(&mut self.line);
                let flow = self.line(&line, sink);
                self.line = line;
                self.line.clear();
                flow?
            };
            pos = next;
            if flow.is_break() {
                return Ok(Status::Paused { consumed: pos });
            }
        }
        Ok(Status::Done)
    }

    /// Consumes the bytes of a BOM at the start of the stream, even when it
    /// is split across chunks, and returns where the stream proper begins.
    fn skip_bom(&mut self, chunk: &[u8]) -> Result<usize, ParseError> {
        let mut pos = 0;
        while let Some(&byte) = chunk.get(pos) {
            let seen = usize::from(self.bom_state);
            if byte != BOM[seen] {
                // Not a BOM after all: the bytes taken for one are the start
                // of the first line (they are not line endings).
                self.bom_state = BOM_DECIDED;
                self.hold(&BOM[..seen])?;
                return Ok(pos);
            }
            pos += 1;
            if seen + 1 == BOM.len() {
                self.bom_state = BOM_DECIDED;
                return Ok(pos);
            }
            self.bom_state += 1;
        }
        Ok(pos)
    }

    /// Keeps part of a line that continues in a later chunk.
    fn hold(&mut self, bytes: &[u8]) -> Result<(), ParseError> {
        self.check_room(bytes.len())?;
        append(&mut self.line, bytes, self.max_buffer_size);
        Ok(())
    }

    /// Once an incomplete line is known to be a `data` field, and whether one
    /// space follows the colon is known too, moves its value to the data
    /// buffer, where the rest of the line will be appended as it arrives.
    fn start_streaming(&mut self) {
        if let Some(value) = self.line.strip_prefix(b"data:") {
            if let Some(&first) = value.first() {
                let prefix = if first == b' ' { 6 } else { 5 };
                self.data.extend_from_slice(&self.line[prefix..]);
                self.streaming_prefix = Some(prefix);
                self.line.clear();
            }
        }
    }

    /// Fails if holding `extra` more bytes would pass the limit.
    fn check_room(&mut self, extra: usize) -> Result<(), ParseError> {
        let held = self.line.len()
            + self.streaming_prefix.unwrap_or(0)
            + self.data.len()
            + self.event_type.len()
            + self.id_buffer.len();
        if held.saturating_add(extra) <= self.max_buffer_size {
            return Ok(());
        }
        let error = ParseError::BufferFull { limit: self.max_buffer_size };
        self.error = Some(error);
        // Give the memory back: nothing more will be parsed until `reset`.
        self.free_buffers();
        Err(error)
    }

    /// Interprets one line, without its line ending (spec 16–20).
    fn line<S: Sink + ?Sized>(&mut self, line: &[u8], sink: &mut S) -> Result<ControlFlow<()>, ParseError> {
        let (name, value) = match line.iter().position(|&b| b == b':') {
            None if line.is_empty() => return Ok(self.dispatch(sink)),
            None => (line, &[][..]),
            Some(0) => return Ok(sink.comment(&decode(strip_space(&line[1..])))),
            Some(colon) => (&line[..colon], strip_space(&line[colon + 1..])),
        };
        match name {
            b"data" => {
                self.check_room(value.len() + 1)?;
                reserve_within(&mut self.data, value.len() + 1, self.max_buffer_size);
                self.data.extend_from_slice(value);
                self.data.push(b'\n');
            }
            b"event" => {
                self.event_type.clear();
                self.check_room(value.len())?;
                push_decoded(&mut self.event_type, value);
            }
            b"id" if !value.contains(&0) => {
                self.id_buffer.clear();
                self.check_room(value.len())?;
                push_decoded(&mut self.id_buffer, value);
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let millis = value.iter().fold(0u64, |n, &d| n.saturating_mul(10).saturating_add(u64::from(d - b'0')));
                return Ok(sink.retry(millis));
            }
            _ => {}
        }
        Ok(ControlFlow::Continue(()))
    }

    /// Dispatches the event (spec 22–26).
    fn dispatch<S: Sink + ?Sized>(&mut self, sink: &mut S) -> ControlFlow<()> {
        self.last_event_id.clone_from(&self.id_buffer);
        if self.data.is_empty() {
            self.event_type.clear();
            return ControlFlow::Continue(());
        }
        self.data.pop();
        let data = match core::str::from_utf8(&self.data) {
            Ok(data) => data,
            Err(_) => {
                self.decoded.clear();
                push_decoded(&mut self.decoded, &self.data);
                &self.decoded
            }
        };
        let event_type = if self.event_type.is_empty() { "message" } else { &self.event_type };
        let flow = sink.event(Event { event_type, data, last_event_id: &self.last_event_id });
        self.data.clear();
        self.event_type.clear();
        flow
    }
}

/// Removes the one space that may follow the colon (spec 17).
fn strip_space(value: &[u8]) -> &[u8] {
    value.strip_prefix(b" ").unwrap_or(value)
}

/// Decodes like the Encoding standard's "UTF-8 decode": each maximal invalid
/// subsequence becomes one U+FFFD, exactly as `TextDecoder` does (spec 14).
///
/// Decoding line by line (or the data lines of an event joined with LF)
/// equals decoding the whole stream: CR, LF and `:` are ASCII, and an ASCII
/// byte always ends an invalid sequence in that algorithm.
fn push_decoded(out: &mut String, bytes: &[u8]) {
    match core::str::from_utf8(bytes) {
        Ok(text) => out.push_str(text),
        Err(_) => {
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                if !chunk.invalid().is_empty() {
                    out.push(char::REPLACEMENT_CHARACTER);
                }
            }
        }
    }
}

/// [`push_decoded`] for a value that is only passed on, borrowing when valid.
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    match core::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => {
            let mut out = String::with_capacity(bytes.len() + 2);
            push_decoded(&mut out, bytes);
            Cow::Owned(out)
        }
    }
}

/// The index of the first CR or LF.
///
/// "SWAR": the classic has-zero-byte trick on `word ^ pattern`, eight bytes
/// at a time over the first 32 bytes (where most lines end), then 32 bytes a
/// step with one branch, for long lines.
fn find_line_end(bytes: &[u8]) -> Option<usize> {
    const HEAD: usize = 32;
    let head = bytes.len().min(HEAD);
    if let Some(found) = find_line_end_by_words(&bytes[..head]) {
        return Some(found);
    }
    let (blocks, remainder) = bytes[head..].as_chunks::<HEAD>();
    let mut offset = head;
    for block in blocks {
        if block_has_line_end(block) {
            let masks = [0, 8, 16, 24].map(|at| line_end_mask(word_at(block, at)));
            // One of the four words has a match: the first one that does.
            let (index, mask) = masks.iter().enumerate().find(|(_, mask)| **mask != 0)?;
            return Some(offset + index * 8 + first_flagged(*mask));
        }
        offset += HEAD;
    }
    find_line_end_by_words(remainder).map(|found| offset + found)
}

/// Whether a 32-byte block holds a CR or LF. Written so that LLVM
/// vectorizes it where the target has SIMD (SSE2 on x86-64, NEON, wasm
/// `simd128` when enabled); elsewhere it is the SWAR test, one branch a block.
#[inline(always)]
fn block_has_line_end(block: &[u8; 32]) -> bool {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64", target_feature = "simd128"))]
    {
        block.iter().fold(0u8, |found, &b| found | u8::from(b == b'\n') | u8::from(b == b'\r')) != 0
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_feature = "simd128")))]
    {
        [0, 8, 16, 24].iter().fold(0, |masks, &at| masks | line_end_mask(word_at(block, at))) != 0
    }
}

/// [`find_line_end`], eight bytes at a time.
fn find_line_end_by_words(bytes: &[u8]) -> Option<usize> {
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        let mask = line_end_mask(word_at(word, 0));
        if mask != 0 {
            return Some(offset + first_flagged(mask));
        }
        offset += 8;
    }
    words.remainder().iter().position(|&b| b == b'\n' || b == b'\r').map(|i| offset + i)
}

/// Eight bytes from `bytes[at..]`, the first in the lowest bits.
#[inline(always)]
fn word_at(bytes: &[u8], at: usize) -> u64 {
    let b = &bytes[at..at + 8];
    u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

/// The high bit of each byte of `word` that may be CR or LF. It is exact
/// about whether there is one and about the first one: the trick's false
/// positives only occur in bytes above a true match.
#[inline(always)]
fn line_end_mask(word: u64) -> u64 {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const LF: u64 = u64::from_ne_bytes([b'\n'; 8]);
    const CR: u64 = u64::from_ne_bytes([b'\r'; 8]);
    let zero_bytes = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    zero_bytes(word ^ LF) | zero_bytes(word ^ CR)
}

/// The byte index of the lowest flagged byte of a non-zero mask.
#[inline(always)]
fn first_flagged(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// An event that owns its strings, for code that keeps events around.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OwnedEvent {
    /// See [`Event::event_type`].
    pub event_type: String,
    /// See [`Event::data`].
    pub data: String,
    /// See [`Event::last_event_id`].
    pub last_event_id: String,
}

impl From<Event<'_>> for OwnedEvent {
    fn from(event: Event<'_>) -> Self {
        OwnedEvent {
            event_type: event.event_type.into(),
            data: event.data.into(),
            last_event_id: event.last_event_id.into(),
        }
    }
}

/// Everything a [`Sink`] can be told, owned: `Vec<Item>` is a sink that
/// collects it all, handy for tests and tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// See [`Sink::event`].
    Event(OwnedEvent),
    /// See [`Sink::retry`].
    Retry(u64),
    /// See [`Sink::comment`].
    Comment(String),
}

impl Sink for Vec<Item> {
    fn event(&mut self, event: Event<'_>) -> ControlFlow<()> {
        self.push(Item::Event(event.into()));
        ControlFlow::Continue(())
    }
    fn retry(&mut self, millis: u64) -> ControlFlow<()> {
        self.push(Item::Retry(millis));
        ControlFlow::Continue(())
    }
    fn comment(&mut self, text: &str) -> ControlFlow<()> {
        self.push(Item::Comment(text.into()));
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Also run in browsers (tests/wasm.rs explains), where the scan takes its
    // non-SIMD path.
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn find_line_end_matches_a_plain_scan_at_every_position() {
        // Past 32 + 32 + 8 bytes, so that every path of the scan is taken.
        for len in 0..110 {
            for at in 0..=len {
                for byte in [b'\n', b'\r'] {
                    let mut bytes = alloc::vec![b'a'; len];
                    // Bytes that trip naive SWAR variants: 0x0B, 0x0E, 0x8A, 0x8D.
                    for (i, b) in bytes.iter_mut().enumerate() {
                        *b = [b'a', 0x0B, 0x0E, 0x8A, 0x8D, 0x00, 0xFF][i % 7];
                    }
                    if at < len {
                        bytes[at] = byte;
                        bytes[(at + 1)..].iter_mut().for_each(|b| *b = b'\r');
                    }
                    let expected = bytes.iter().position(|&b| b == b'\n' || b == b'\r');
                    assert_eq!(find_line_end(&bytes), expected, "len {len} at {at}");
                }
            }
        }
    }

    /// A sink that takes every event and keeps none.
    struct Ignore;
    impl Sink for Ignore {
        fn event(&mut self, _: Event<'_>) -> ControlFlow<()> {
            ControlFlow::Continue(())
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn release_gives_every_buffer_back_but_keeps_the_last_event_id() {
        let mut parser = Parser::new();
        let x = "x".repeat(5_000);
        // An event of text that is not UTF-8 (decoded into its own buffer), then
        // an event being assembled and an incomplete line.
        let mut bytes = b"id: 3\ndata: a\n\ndata: ".to_vec();
        bytes.push(0xFF);
        bytes.extend_from_slice(alloc::format!("{x}\n\nevent: {x}\ndata: {x}\ndata: an incomplete line").as_bytes());
        assert_eq!(parser.feed(&bytes, &mut Ignore), Ok(Status::Done));
        assert!(parser.data.capacity() > 5_000 && parser.event_type.capacity() >= 5_000);
        assert!(parser.decoded.capacity() > 5_000 && parser.line.capacity() > 0);
        parser.release();
        let held =
            [parser.line.capacity(), parser.data.capacity(), parser.decoded.capacity(), parser.event_type.capacity()];
        assert_eq!(held, [0; 4]);
        assert_eq!(parser.pending_bytes(), 0);
        assert_eq!(parser.last_event_id(), "3");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn buffers_never_reserve_past_the_cap() {
        // A cap that is not a power of two, where doubling would overshoot it.
        // Data lines in one chunk and spanning chunks, and a long held line.
        let feed = |parser: &mut Parser, bytes: &[u8]| assert_eq!(parser.feed(bytes, &mut Ignore), Ok(Status::Done));
        let limit = 10_000;
        let line = alloc::format!("data: {}\n", "x".repeat(99));
        let mut parser = Parser::with_max_buffer_size(limit);
        let whole: alloc::string::String = line.repeat(99);
        feed(&mut parser, whole.as_bytes());
        assert!(parser.data.len() > limit / 2 && parser.data.capacity() <= limit, "{}", parser.data.capacity());

        // One long line first: reserved exactly, then its LF must not double it.
        let mut parser = Parser::with_max_buffer_size(limit);
        feed(&mut parser, alloc::format!("data: {}\n", "x".repeat(6_000)).as_bytes());
        assert!(parser.data.capacity() <= limit, "{}", parser.data.capacity());

        let mut parser = Parser::with_max_buffer_size(limit);
        for piece in whole.as_bytes().chunks(7) {
            feed(&mut parser, piece);
        }
        assert!(parser.data.capacity() <= limit, "{}", parser.data.capacity());

        let mut parser = Parser::with_max_buffer_size(limit);
        for piece in alloc::format!("event: {}", "y".repeat(limit - 10)).as_bytes().chunks(13) {
            feed(&mut parser, piece);
        }
        assert!(parser.line.len() > limit / 2 && parser.line.capacity() <= limit, "{}", parser.line.capacity());
    }
}
