//! Property tests (proptest) of the parser on generated event streams:
//!
//! - (a) splitting the input into chunks anywhere (between CR and LF, inside
//!   the BOM, inside a multi-byte character, one byte at a time) never
//!   changes the items, the error or the last event ID (spec 14, 15);
//! - (b) on the whole input the parser agrees with a naive reference model of
//!   the spec (`reference` in `tests/check/mod.rs`, shared with the fuzz targets),
//!   so that these tests check the spec, not only self-consistency;
//! - (c) a sink that pauses after every item, resumed with the unconsumed
//!   rest of the chunk, gets the same items;
//! - (d) `reset()` then a new stream behaves like a fresh parser, except that
//!   the last event ID string carries over (spec 11, 22) and an `id` of an
//!   event that was never dispatched is forgotten (spec 21).
//!
//! Each property runs 512 cases; set `PROPTEST_CASES` for more (or fewer).
#![cfg(not(target_arch = "wasm32"))] // native only: tests/wasm.rs runs the spec table in browsers

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

mod check;

use check::{check_chunks_give, check_reset, check_whole, reference, run, split_at_points, BOM};
use eventsource_wasm::parser::{Item, OwnedEvent, Parser};

// ---------------------------------------------------------------------------
// Generating event streams
// ---------------------------------------------------------------------------

/// Multi-byte characters (spec 14): 2, 3 and 4 bytes, a BOM as data, and
/// U+FFFD itself (which must not be confused with a replaced byte).
const MULTI_BYTE: &[&str] = &["é", "ß", "€", "中", "\u{FEFF}", "\u{FFFD}", "😀", "𝄞"];

/// Invalid UTF-8 (spec 14): lone continuation bytes, bytes that never occur,
/// truncated sequences (which a following byte or line ending cuts short),
/// an overlong form, a surrogate, a code point above U+10FFFF, half a BOM.
const INVALID: &[&[u8]] = &[
    b"\x80",
    b"\xBF",
    b"\xFF",
    b"\xFE",
    b"\xC0\x80",
    b"\xC3",
    b"\xE2\x82",
    b"\xF0\x9F\x98",
    b"\xED\xA0\x80",
    b"\xF4\x90\x80\x80",
    b"\xEF\xBB",
];

/// Field names (spec 17, 18): the four known ones (more often), other cases
/// of them, near misses, a name behind a BOM or an invalid byte, none.
const NAMES: &[&[u8]] = &[
    b"data",
    b"data",
    b"data",
    b"event",
    b"event",
    b"id",
    b"id",
    b"retry",
    b"retry",
    b"Data",
    b"ID",
    b"RETRY",
    b"data ",
    b" data",
    b"dat",
    b"datas",
    b"foo",
    b"\xEF\xBB\xBFdata",
    b"\xFFid",
    b"",
];

/// What follows a field name (spec 17): a colon with no, one or two spaces,
/// two colons, or nothing (the whole line is the name).
const SEPARATORS: &[&[u8]] = &[b":", b": ", b": ", b":  ", b"::", b""];

/// `retry` values (spec 20): digits and things that are not only digits.
const RETRY_VALUES: &[&str] = &[
    "0",
    "1000",
    "007",
    "",
    " 1",
    "1 ",
    "1.5",
    "-1",
    "+1",
    "1e3",
    "0x10",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999",
    "\u{661}\u{662}",
    "1\0",
];

/// Line endings (spec 15).
const ENDINGS: &[&[u8]] = &[b"\r\n", b"\n", b"\r"];

/// How a stream may start (spec 14): no BOM, one BOM, two (the second is
/// data), or the start of one (which is data too).
const PREFIXES: &[&[u8]] = &[b"", b"", b"", BOM, BOM, b"\xEF\xBB\xBF\xEF\xBB\xBF", b"\xEF\xBB", b"\xEF"];

/// A bit of a name or value.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => vec(select(b"abcxyz0129 ".to_vec()), 1..6),
        // Long runs, so that lines reach the parser's multi-word scanning.
        1 => vec(select(b"ab9 :".to_vec()), 24..100),
        1 => Just(b":".to_vec()),
        1 => Just(b" ".to_vec()),
        // spec 19: a NUL makes an `id` field be ignored.
        1 => Just(b"\0".to_vec()),
        2 => select(MULTI_BYTE).prop_map(|c| c.as_bytes().to_vec()),
        2 => select(INVALID).prop_map(<[u8]>::to_vec),
    ]
}

/// Text without line endings.
fn text(max_pieces: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(piece(), 0..max_pieces).prop_map(|pieces| pieces.concat())
}

/// A field value: text, or something `retry` may or may not accept.
fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => text(4),
        1 => select(RETRY_VALUES).prop_map(|v| v.as_bytes().to_vec()),
        1 => vec(select(b"0123456789".to_vec()), 1..22),
    ]
}

/// One line, without its line ending.
fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // spec 16: a blank line dispatches.
        3 => Just(Vec::new()),
        // spec 16: a comment.
        1 => text(4).prop_map(|text| [&b":"[..], &text].concat()),
        // spec 17-20: a field, known or not, with or without a colon.
        8 => (select(NAMES), select(SEPARATORS), value())
            .prop_map(|(name, separator, value)| [name, separator, &value].concat()),
    ]
}

/// An event stream: a prefix, lines with mixed endings, and perhaps a last
/// line with no line ending (spec 21). Whether it ends with a blank line is
/// left to chance.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    (select(PREFIXES), vec((line(), select(ENDINGS)), 0..20), option::of(line())).prop_map(
        |(prefix, lines, unterminated)| {
            let mut stream = prefix.to_vec();
            for (line, ending) in lines {
                stream.extend_from_slice(&line);
                stream.extend_from_slice(ending);
            }
            stream.extend(unterminated.unwrap_or_default());
            stream
        },
    )
}

/// Ends of a stream that stop inside an event with an `id`.
const INTERRUPTIONS: &[&[u8]] = &[b"", b"\nid: forgotten\n", b"\nid: forgotten\ndata: x\n", b"\nid: forgotten\r"];

/// A stream that, more often than not, ends inside an event that sets an
/// ID, so that `reset()` must forget it (spec 21, 22).
fn interrupted_stream() -> impl Strategy<Value = Vec<u8>> {
    (stream(), select(INTERRUPTIONS)).prop_map(|(stream, end)| [&stream[..], end].concat())
}

/// The parser's buffer limit: the default, or small enough to be hit.
fn limit() -> impl Strategy<Value = Option<usize>> {
    prop_oneof![3 => Just(None), 1 => (0usize..160).prop_map(Some)]
}

/// Split points (taken modulo the input length plus one).
fn points() -> impl Strategy<Value = Vec<usize>> {
    vec(any::<usize>(), 0..10)
}

/// The points where a split is most likely to go wrong: inside the first
/// three bytes (a BOM), after a CR (before its LF), inside a multi-byte
/// character or an invalid sequence.
fn tricky_points(input: &[u8]) -> Vec<usize> {
    (1..input.len()).filter(|&i| i <= 3 || input[i - 1] == b'\r' || input[i - 1] >= 0x80).collect()
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(512);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// (b) The parser agrees with the reference model on the whole input
    /// (spec 14-26).
    #[test]
    fn the_parser_agrees_with_the_reference_model(input in stream()) {
        let outcome = run(&mut Parser::new(), [&input[..]], false);
        prop_assert_eq!(outcome, reference(&input, ""));
    }

    /// (a) Any split into chunks gives the outcome of the whole input (spec
    /// 14: split characters and BOMs; spec 15: a CR and its LF in different
    /// chunks), with the default limit or one small enough to be hit (the
    /// same `BufferFull` error after the same items).
    #[test]
    fn chunks_give_the_outcome_of_the_whole_input(input in stream(), points in points(), limit in limit()) {
        // The whole input, compared with the model (b).
        let whole = check_whole(&input, limit, "");
        check_chunks_give(&whole, &split_at_points(&input, &points), limit, false);
        // One byte at a time.
        check_chunks_give(&whole, &input.chunks(1).collect::<Vec<_>>(), limit, false);
        // At every tricky point at once.
        check_chunks_give(&whole, &split_at_points(&input, &tricky_points(&input)), limit, false);
        // In two, at every point.
        for point in 0..=input.len() {
            let (head, tail) = input.split_at(point);
            check_chunks_give(&whole, &[head, tail], limit, false);
        }
    }

    /// (c) A sink that pauses after every item, resumed by feeding the rest
    /// of the chunk again, gets the same items, whatever the chunks.
    #[test]
    fn pausing_after_every_item_changes_nothing(input in stream(), points in points(), limit in limit()) {
        let whole = check_whole(&input, limit, "");
        check_chunks_give(&whole, &[&input[..]], limit, true);
        check_chunks_give(&whole, &split_at_points(&input, &points), limit, true);
        check_chunks_give(&whole, &input.chunks(1).collect::<Vec<_>>(), limit, true);
        check_chunks_give(&whole, &split_at_points(&input, &tricky_points(&input)), limit, true);
    }

    /// (d) After `reset()`, a parser behaves like a fresh one that was given
    /// the last event ID string (spec 11, 22), whatever state the first
    /// stream left it in: inside a line, a BOM, an event, after a CR, or
    /// stopped by `BufferFull`.
    #[test]
    fn reset_gives_a_fresh_parser_that_keeps_the_last_event_id(
        first in interrupted_stream(),
        points in points(),
        second in stream(),
        limit in limit(),
    ) {
        check_reset(&split_at_points(&first, &points), &second, limit);
        check_reset(&[&first[..]], &second, limit);
    }
}

// ---------------------------------------------------------------------------
// Hand-made streams, under every split into two or three chunks
// ---------------------------------------------------------------------------

/// Streams where chunking is easy to get wrong. `fuzz/corpus/` was seeded
/// with the same ones.
const TRICKY: &[&[u8]] = &[
    // spec 14: a BOM, a second BOM (data: the name becomes unknown), half a BOM.
    b"\xEF\xBB\xBFdata: a\n\n",
    b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n",
    b"\xEF\xBBdata: a\n\ndata: b\n\n",
    b"\xEF\xBB\xBF",
    b"\xEF\xBB\n\n",
    // spec 14: 2-, 3- and 4-byte characters, invalid and truncated sequences.
    "data: é€😀\nevent: 中\n\n".as_bytes(),
    b"data: \xF0\x9F\x98\n\xE2\x82\r\ndata:\xC3\xFF\x80x\n\n",
    b"event: \xED\xA0\x80\ndata\n\n",
    // spec 15: CRLF, CR and LF, a CR then an LF as two line endings apart.
    b"data: a\r\n\r\ndata: b\r\rdata: c\n\ndata: d\r\n\n",
    b"data: a\r\r\n\r\n\n",
    // spec 16, 17: comments, no colon, no space, two spaces, unknown names.
    b": hello\n:\n:  two\ndata\ndata:x\ndata:  y\nDATA: z\nfoo: bar\n\n",
    // spec 19: NUL in an id is ignored; an empty id resets it.
    b"id: 1\ndata: a\n\nid: 2\0\ndata: b\n\nid\ndata: c\n\nid: \0\n\n",
    // spec 20: retry.
    b"retry: 1000\nretry: 1x\nretry:\nretry:  5\nretry:18446744073709551616\n\n",
    // spec 21-23: no data, no final blank line.
    b"id: 7\n\nevent: e\n\ndata: a\nid: 8\n",
    b"data: unterminated",
];

#[test]
fn tricky_streams_under_every_split_into_two_or_three_chunks() {
    for input in TRICKY {
        for limit in [None, Some(0), Some(7), Some(20)] {
            let whole = check_whole(input, limit, "");
            for pause in [false, true] {
                for i in 0..=input.len() {
                    for j in i..=input.len() {
                        check_chunks_give(&whole, &[&input[..i], &input[i..j], &input[j..]], limit, pause);
                    }
                }
            }
        }
    }
}

/// spec 15, 22: `reset()` between a CR and an LF: the LF starts the new
/// stream, as a blank line; the `id` of the interrupted event is forgotten.
#[test]
fn reset_between_cr_and_lf_and_inside_an_event() {
    check_reset(&[b"id: 1\ndata: a\n\nid: 2\ndata: b\r"], b"\ndata: c\n\n", None);
    // A pending CR must not swallow the LF that ends a line holding half a
    // BOM (spec 14) once a new stream starts.
    check_reset(&[b"data: b\r"], b"\xEF\n: c\n", None);
    let mut parser = Parser::new();
    let mut items = Vec::new();
    assert!(parser.feed(b"id: 1\ndata: a\n\nid: 2\ndata: b\r", &mut items).is_ok());
    parser.reset();
    assert_eq!(parser.last_event_id(), "1");
    assert!(parser.feed(b"\ndata: c\n\n", &mut items).is_ok());
    let event = |data: &str| {
        Item::Event(OwnedEvent { event_type: "message".into(), data: data.into(), last_event_id: "1".into() })
    };
    assert_eq!(items, [event("a"), event("c")]);
}

/// spec 14: after `reset()` a BOM is expected again, even when the first
/// stream stopped inside one.
#[test]
fn reset_inside_a_bom() {
    for first in [&b"\xEF"[..], b"\xEF\xBB", b"\xEF\xBB\xBF", b"data: a\n\n"] {
        check_reset(&[first], b"\xEF\xBB\xBFdata: b\n\n", None);
        check_reset(&[first], b"\xBB\xBFdata: b\n\n", None);
    }
}

/// The whole-input check on its own, on the hand-made streams (and their
/// reference outcome is what the spec says for a few of them).
#[test]
fn the_reference_model_on_hand_made_streams() {
    for input in TRICKY {
        check_whole(input, None, "");
    }
    let model = reference(b"id: 1\ndata: a\n\nid: 2\0\ndata: b\n\nid\ndata: c\n\n", "");
    let ids: Vec<_> = model
        .items
        .iter()
        .map(|item| match item {
            Item::Event(event) => event.last_event_id.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, ["1", "1", ""]);
    assert_eq!(reference(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\n", "").items, []);
    assert_eq!(reference(b"retry: 1\nretry: 1x\nretry:\n", "").items, [Item::Retry(1)]);
    assert_eq!(reference(b"data: a\r\n\r\n", "").items.len(), 1);
    assert_eq!(reference(b"data: a\n", "").items, []);
}
