//! The checks shared by the fuzz targets (`fuzz/fuzz_targets/*.rs`) and the
//! stable tests (`tests/fuzz_corpus.rs`, `tests/chunking.rs`), which include
//! this file with `mod check;` (and the fuzz targets with `#[path]`).
//!
//! It holds a deliberately naive reference model of "Interpreting an event
//! stream" (numbers refer to `docs/spec.md`), drivers that feed a
//! [`Parser`] in chunks, with or without a sink that pauses after every item,
//! and the checks themselves, which panic on any disagreement.
//!
//! Only `std` and the parser's public API are used, so that the fuzz crate
//! and the tests need nothing more.

#![allow(dead_code)] // Each includer uses a different part.

use std::ops::ControlFlow;

use eventsource_wasm::parser::{Event, Item, OwnedEvent, ParseError, Parser, Sink, Status, DEFAULT_MAX_BUFFER_SIZE};

/// The UTF-8 byte order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Everything observable about parsing one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// What the sink was told, in order (up to the error, if any).
    pub items: Vec<Item>,
    /// The error that stopped parsing, if any.
    pub error: Option<ParseError>,
    /// [`Parser::last_event_id`] after the last chunk (or the error).
    pub last_event_id: String,
}

// ---------------------------------------------------------------------------
// The reference model
// ---------------------------------------------------------------------------

/// What a spec-exact parser reports for the whole stream `input`, starting
/// with the last event ID string `initial_last_event_id` (empty for a new
/// `EventSource`, the previous one after a reconnection).
///
/// Written to be obviously right rather than fast: decode everything, split
/// into lines, interpret each line.
pub fn reference(input: &[u8], initial_last_event_id: &str) -> Outcome {
    // spec 14: UTF-8 decode strips one leading BOM (a second one is data)
    // and replaces each maximal invalid subsequence with U+FFFD, which is
    // what `from_utf8_lossy` does.
    let input = input.strip_prefix(BOM).unwrap_or(input);
    let text = String::from_utf8_lossy(input);

    let mut items = Vec::new();
    let mut data = String::new();
    let mut event_type = String::new();
    let mut id_buffer = initial_last_event_id.to_owned();
    let mut last_event_id = initial_last_event_id.to_owned();

    for line in lines(&text) {
        if line.is_empty() {
            // spec 16: an empty line dispatches the event.
            // spec 22: the last event ID string is set first, even when
            // nothing is dispatched; the ID buffer is not reset.
            last_event_id.clone_from(&id_buffer);
            if data.is_empty() {
                // spec 23
                event_type.clear();
                continue;
            }
            // spec 24: every `data` line appended an LF; remove the last.
            data.pop();
            // spec 25
            let event_type_or_message = if event_type.is_empty() { "message" } else { event_type.as_str() };
            items.push(Item::Event(OwnedEvent {
                event_type: event_type_or_message.to_owned(),
                data: data.clone(),
                last_event_id: last_event_id.clone(),
            }));
            // spec 26
            data.clear();
            event_type.clear();
        } else if let Some(comment) = line.strip_prefix(':') {
            // spec 16: a comment (reported, less one leading space).
            items.push(Item::Comment(strip_one_space(comment).to_owned()));
        } else {
            // spec 17: name before the first colon, value after it less one
            // leading space; no colon means the whole line is the name.
            let (name, value) = match line.split_once(':') {
                Some((name, value)) => (name, strip_one_space(value)),
                None => (line, ""),
            };
            match name {
                // spec 18
                "event" => event_type = value.to_owned(),
                "data" => {
                    data.push_str(value);
                    data.push('\n');
                }
                // spec 19: ignored if it contains U+0000.
                "id" if !value.contains('\0') => id_buffer = value.to_owned(),
                // spec 20: only ASCII digits (and at least one); values too
                // large for a u64 saturate (the parser's documented choice).
                "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                    items.push(Item::Retry(value.parse().unwrap_or(u64::MAX)));
                }
                // spec 17: unknown (and differently cased) names are ignored,
                // and so are the `id` and `retry` fields rejected above.
                _ => {}
            }
        }
    }
    // spec 21: an unterminated last line and an event without its blank line
    // are discarded: `lines` never yields the former, the latter is dropped here.
    Outcome { items, error: None, last_event_id }
}

/// The complete lines of `text` (spec 15: CRLF, LF or CR end a line). A last
/// line without a line ending is not returned (spec 21).
pub fn lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(end) = rest.find(['\r', '\n']) {
        lines.push(&rest[..end]);
        let ending = if rest[end..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[end + ending..];
    }
    lines
}

fn strip_one_space(value: &str) -> &str {
    value.strip_prefix(' ').unwrap_or(value)
}

// ---------------------------------------------------------------------------
// Drivers
// ---------------------------------------------------------------------------

/// A sink that collects items like `Vec<Item>`, and asks to pause after
/// every one of them.
#[derive(Default)]
pub struct Pausing {
    pub items: Vec<Item>,
}

impl Sink for Pausing {
    fn event(&mut self, event: Event<'_>) -> ControlFlow<()> {
        self.items.push(Item::Event(event.into()));
        ControlFlow::Break(())
    }
    fn retry(&mut self, millis: u64) -> ControlFlow<()> {
        self.items.push(Item::Retry(millis));
        ControlFlow::Break(())
    }
    fn comment(&mut self, text: &str) -> ControlFlow<()> {
        self.items.push(Item::Comment(text.into()));
        ControlFlow::Break(())
    }
}

/// Feeds `chunks` to `parser` in order, stopping at the first error.
///
/// With `pause`, the sink pauses after every item and the unconsumed rest
/// of the chunk is fed again, as an application that stopped to handle an
/// event would do; the pausing contract is checked on the way.
pub fn run<'a>(parser: &mut Parser, chunks: impl IntoIterator<Item = &'a [u8]>, pause: bool) -> Outcome {
    let mut items = Vec::new();
    let mut pausing = Pausing::default();
    let mut error = None;
    'chunks: for chunk in chunks {
        let mut rest = chunk;
        loop {
            let result = if pause {
                let before = pausing.items.len();
                let result = parser.feed(rest, &mut pausing);
                let new = pausing.items.len() - before;
                match result {
                    // The sink paused at its first item: exactly one per call.
                    Ok(Status::Paused { .. }) => assert_eq!(new, 1, "a paused feed reports exactly one item"),
                    _ => assert_eq!(new, 0, "the sink asked to pause, but the parser went on"),
                }
                result
            } else {
                parser.feed(rest, &mut items)
            };
            match result {
                Ok(Status::Done) => break,
                Ok(Status::Paused { consumed }) => {
                    assert!(pause, "paused although the sink never asked to");
                    assert!(consumed > 0, "paused without consuming anything: no progress");
                    assert!(consumed <= rest.len(), "consumed {consumed} of {} bytes", rest.len());
                    rest = &rest[consumed..];
                }
                Err(e) => {
                    error = Some(e);
                    break 'chunks;
                }
            }
        }
    }
    if pause {
        items = pausing.items;
    }
    if let Some(e) = error {
        // An error is sticky until `reset`, and reported by `error()`.
        assert_eq!(parser.error(), Some(e));
        let mut more = Vec::new();
        assert_eq!(parser.feed(b"data: x\n\n", &mut more), Err(e), "an error must be sticky");
        assert_eq!(parser.feed(b"", &mut more), Err(e), "an error must be sticky");
        assert!(more.is_empty(), "a parser in error reported {more:?}");
    } else {
        assert_eq!(parser.error(), None);
    }
    Outcome { items, error, last_event_id: parser.last_event_id().to_owned() }
}

/// Splits `input` at `points` (each taken modulo `input.len() + 1`, in any
/// order; repeated points give empty chunks).
pub fn split_at_points<'a>(input: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = points.iter().map(|p| p % (input.len() + 1)).collect();
    points.sort_unstable();
    let mut chunks = Vec::with_capacity(points.len() + 1);
    let mut start = 0;
    for point in points {
        chunks.push(&input[start..point]);
        start = point;
    }
    chunks.push(&input[start..]);
    chunks
}

/// Splits `input` into chunks of the given lengths (0 gives an empty chunk),
/// the rest being the last chunk.
pub fn split_by_lengths<'a>(input: &'a [u8], lengths: &[u8]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::with_capacity(lengths.len() + 1);
    let mut rest = input;
    for &length in lengths {
        let (chunk, after) = rest.split_at(usize::from(length).min(rest.len()));
        chunks.push(chunk);
        rest = after;
    }
    chunks.push(rest);
    chunks
}

/// A fresh parser with the given limit (`None`: the default).
pub fn parser(limit: Option<usize>) -> Parser {
    Parser::with_max_buffer_size(limit.unwrap_or(DEFAULT_MAX_BUFFER_SIZE))
}

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

/// The outcome of feeding `input` whole to a parser with `limit`, checked
/// against the reference model: equal to it when there was no error, and a
/// prefix of it (with the right error) when there was one.
pub fn check_whole(input: &[u8], limit: Option<usize>, initial_last_event_id: &str) -> Outcome {
    let mut parser = parser(limit);
    if !initial_last_event_id.is_empty() {
        parser.set_last_event_id(initial_last_event_id);
    }
    let outcome = run(&mut parser, [input], false);
    let expected = reference(input, initial_last_event_id);
    match outcome.error {
        None => assert_eq!(outcome, expected, "the parser disagrees with the reference model"),
        Some(ParseError::BufferFull { limit: reported }) => {
            let limit = limit.unwrap_or(DEFAULT_MAX_BUFFER_SIZE);
            assert_eq!(reported, limit, "the error reports the wrong limit");
            // The limit only cuts parsing short.
            assert!(
                expected.items.starts_with(&outcome.items),
                "before the error, the parser disagrees with the reference model:\n{:?}\n{:?}",
                outcome.items,
                expected.items
            );
            // Nothing held can take more than 3 bytes per input byte (an
            // invalid byte becomes the 3-byte U+FFFD), so a limit that large
            // is never hit.
            let bound = 3 * input.len() + 3 * initial_last_event_id.len();
            assert!(limit < bound, "BufferFull with a limit of {limit} for a {}-byte input", input.len());
        }
    }
    outcome
}

/// Feeding `chunks` (with or without pausing) gives the same outcome as
/// feeding their concatenation at once, which agrees with the model.
pub fn check_chunks(chunks: &[&[u8]], limit: Option<usize>, pause: bool) {
    let expected = check_whole(&chunks.concat(), limit, "");
    check_chunks_give(&expected, chunks, limit, pause);
}

/// Feeding `chunks` (with or without pausing) to a parser with `limit` gives
/// `expected`, the outcome of their concatenation fed whole.
pub fn check_chunks_give(expected: &Outcome, chunks: &[&[u8]], limit: Option<usize>, pause: bool) {
    let chunked = run(&mut parser(limit), chunks.iter().copied(), pause);
    assert_eq!(&chunked, expected, "chunks {chunks:?} (pause: {pause}, limit: {limit:?})");
}

/// After feeding `first` (in `first_chunks` pieces) and `reset()`, a parser
/// behaves on `second` like a fresh one, except that the last event ID
/// string carries over (and an `id` of an event never dispatched does not).
pub fn check_reset(first_chunks: &[&[u8]], second: &[u8], limit: Option<usize>) {
    let mut reused = parser(limit);
    let before = run(&mut reused, first_chunks.iter().copied(), false);
    let kept = reused.last_event_id().to_owned();
    assert_eq!(kept, before.last_event_id);
    // spec 22: only a dispatch sets the last event ID string, so what is kept
    // is what the model says the dispatches left (unless the limit cut in).
    if before.error.is_none() {
        assert_eq!(kept, reference(&first_chunks.concat(), "").last_event_id);
    }
    reused.reset();
    assert_eq!(reused.last_event_id(), kept, "reset() must keep the last event ID string");
    assert_eq!(reused.error(), None, "reset() must clear the error");

    let after_reset = run(&mut reused, [second], false);
    let mut fresh = parser(limit);
    fresh.set_last_event_id(&kept);
    let fresh = run(&mut fresh, [second], false);
    assert_eq!(after_reset, fresh, "after reset() (kept ID {kept:?}) vs a fresh parser");
    if limit.is_none() {
        assert_eq!(after_reset, reference(second, &kept), "after reset(), vs the model");
    }
}

// ---------------------------------------------------------------------------
// Fuzz entry points (also replayed on stable by tests/fuzz_corpus.rs)
// ---------------------------------------------------------------------------

/// The `parse` target: any bytes, fed whole, must not panic and must agree
/// with the model; then again with a small limit taken from the first byte,
/// which must end in `BufferFull` or agree with the model, and from which
/// `reset()` must recover.
pub fn fuzz_parse(data: &[u8]) {
    check_whole(data, None, "");
    if let Some((&limit, input)) = data.split_first() {
        let limit = usize::from(limit);
        let mut parser = Parser::with_max_buffer_size(limit);
        let outcome = run(&mut parser, [input], false);
        assert_eq!(outcome, check_whole(input, Some(limit), ""));
        // reset() recovers from the error and keeps the last event ID string.
        let kept = parser.last_event_id().to_owned();
        parser.reset();
        let mut items = Vec::new();
        let result = parser.feed(b"data: ok\n\n", &mut items);
        if limit >= b"data: ok".len() + kept.len() {
            assert_eq!(result, Ok(Status::Done), "after reset()");
            let event = OwnedEvent { event_type: "message".into(), data: "ok".into(), last_event_id: kept };
            assert_eq!(items, [Item::Event(event)], "after reset()");
        } else {
            assert_eq!(result, Err(ParseError::BufferFull { limit }), "after reset()");
            assert_eq!(items, [], "after reset()");
        }
    }
}

/// The `chunking` target. The input is a header, then the stream:
///
/// - byte 0, flags: bits 0–3, the number `n` of chunk-length bytes that
///   follow; bit 4, feed one byte at a time instead (the lengths are still
///   skipped); bit 5, the sink pauses after every item; bit 6, a limit byte
///   (0–255) follows the lengths; bit 7, also check `reset()` between the
///   first half of the chunks and the rest;
/// - `n` bytes: chunk lengths (0 is an empty chunk; the rest of the stream is
///   the last chunk);
/// - the limit byte, if bit 6 is set.
///
/// The chunked outcome must equal the whole-input outcome (same items, same
/// error, same last event ID), which must agree with the model.
pub fn fuzz_chunking(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else { return };
    let (lengths, rest) = rest.split_at(usize::from(flags & 0x0F).min(rest.len()));
    let (limit, stream) = match rest.split_first() {
        Some((&limit, stream)) if flags & 0x40 != 0 => (Some(usize::from(limit)), stream),
        _ => (None, rest),
    };
    let chunks = if flags & 0x10 != 0 { stream.chunks(1).collect() } else { split_by_lengths(stream, lengths) };
    check_chunks(&chunks, limit, flags & 0x20 != 0);
    if flags & 0x80 != 0 {
        let (first, second) = chunks.split_at(chunks.len() / 2);
        check_reset(first, &second.concat(), limit);
    }
}
