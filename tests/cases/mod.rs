//! The table of spec cases, shared by the native tests (`tests/spec.rs`) and
//! the same cases compiled to wasm32 and run in real browsers (`tests/wasm.rs`).
//! Each case cites the rule of `docs/spec.md` it checks (`spec N`).

#![allow(dead_code)] // each test crate uses part of it

use eventsource_wasm::parser::{Item, OwnedEvent, Parser, Status};

pub fn ev(event_type: &str, data: &str, last_event_id: &str) -> Item {
    Item::Event(OwnedEvent { event_type: event_type.into(), data: data.into(), last_event_id: last_event_id.into() })
}

pub fn msg(data: &str) -> Item {
    ev("message", data, "")
}

pub fn comment(text: &str) -> Item {
    Item::Comment(text.into())
}

pub struct Case {
    /// What it checks, with the number of its rule in docs/spec.md.
    pub name: &'static str,
    pub input: &'static [u8],
    pub items: Vec<Item>,
    /// The last event ID string after the whole input.
    pub last_event_id: String,
}

pub fn case(name: &'static str, input: &'static [u8], items: Vec<Item>) -> Case {
    // Unless a case says otherwise, the last event's ID.
    let last_event_id = items
        .iter()
        .rev()
        .find_map(|item| match item {
            Item::Event(event) => Some(event.last_event_id.clone()),
            _ => None,
        })
        .unwrap_or_default();
    Case { name, input, items, last_event_id }
}

pub fn cases() -> Vec<Case> {
    let mut cases = vec![
        // spec 14: decoding and the BOM
        case("spec 14: a leading BOM is stripped", b"\xEF\xBB\xBFdata: a\n\n", vec![msg("a")]),
        case(
            "spec 14: a second BOM is data (it makes the field name unknown)",
            b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n",
            vec![msg("b")],
        ),
        case("spec 14: a BOM after the start is data", b"data: \xEF\xBB\xBFa\n\n", vec![msg("\u{FEFF}a")]),
        case(
            "spec 14: a BOM is only stripped at the start of the stream",
            b"data: a\n\n\xEF\xBB\xBFdata: b\n\n",
            vec![msg("a")],
        ),
        case(
            "spec 14: half a BOM is not a BOM (decodes to U+FFFD, making the name unknown)",
            b"\xEF\xBBdata: a\n\ndata: b\n\n",
            vec![msg("b")],
        ),
        case("spec 14: half a BOM then a line ending", b"\xEF\xBB\ndata: b\n\n", vec![msg("b")]),
        case("spec 14: multi-byte characters", "data: é日本🎉\n\n".as_bytes(), vec![msg("é日本🎉")]),
        case("spec 14: multi-byte event type and id", "event: é\nid: 日\ndata: x\n\n".as_bytes(), vec![ev("é", "x", "日")]),
        case("spec 16, 14: a comment with invalid UTF-8", b":\xFFa\n", vec![comment("\u{FFFD}a")]),
        case("spec 19, 14: an id with invalid UTF-8", b"id: \xC3\ndata: x\n\n", vec![ev("message", "x", "\u{FFFD}")]),
        // spec 15: line endings
        case("spec 15: LF", b"data: a\n\n", vec![msg("a")]),
        case("spec 15: CRLF", b"data: a\r\n\r\n", vec![msg("a")]),
        case("spec 15: CR", b"data: a\r\r", vec![msg("a")]),
        case("spec 15: mixed line endings", b"data: a\r\ndata: b\rdata: c\n\r", vec![msg("a\nb\nc")]),
        case("spec 15: LF CR is two line endings", b"data: a\n\rdata: b\n\n", vec![msg("a"), msg("b")]),
        case("spec 15: CR CR is two line endings", b"data: a\r\rdata: b\r\r", vec![msg("a"), msg("b")]),
        case("spec 15: CR CR LF is two line endings", b"data: a\r\r\ndata: b\n\n", vec![msg("a"), msg("b")]),
        case("spec 15: CR LF LF is two line endings", b"data: a\r\n\ndata: b\n\n", vec![msg("a"), msg("b")]),
        case("spec 15: a CR ends the stream's last line at once", b"data: a\n\r", vec![msg("a")]),
        // spec 16: blank lines and comments
        case("spec 16: a blank line with no data dispatches nothing", b"\n\n\r\n\r", vec![]),
        case(
            "spec 16: comments are reported and otherwise ignored",
            b": hello\ndata: a\n:\n:  two\n\n",
            vec![comment("hello"), comment(""), comment(" two"), msg("a")],
        ),
        case("spec 16: a comment does not dispatch", b"data: a\n: c\ndata: b\n\n", vec![comment("c"), msg("a\nb")]),
        // spec 17: fields
        case("spec 17: the value keeps later colons", b"data:a:b\n\n", vec![msg("a:b")]),
        case("spec 17: no space after the colon", b"data:a\n\n", vec![msg("a")]),
        case("spec 17: only one leading space is removed", b"data:  a \n\n", vec![msg(" a ")]),
        case("spec 17: a tab is not a space", b"data:\ta\n\n", vec![msg("\ta")]),
        case("spec 17: a field with no colon has an empty value", b"data\n\n", vec![msg("")]),
        case("spec 17: two empty data fields", b"data\ndata\n\n", vec![msg("\n")]),
        case("spec 17: an empty value after the colon", b"data:\n\n", vec![msg("")]),
        case("spec 17: names are case-sensitive", b"Data: a\n\nDATA: b\n\n", vec![]),
        case("spec 17: a space before the colon is part of the name", b"data : a\n\n", vec![]),
        case("spec 17: a leading space is part of the name", b" data: a\n\n", vec![]),
        case("spec 17: unknown fields are ignored", b"foo: bar\ndata: a\nbaz\n\n", vec![msg("a")]),
        // spec 18: event and data
        case("spec 18: event sets the type", b"event: add\ndata: a\n\n", vec![ev("add", "a", "")]),
        case("spec 18: the last event field wins", b"event: a\nevent: b\ndata: x\n\n", vec![ev("b", "x", "")]),
        case("spec 18: data lines are joined with LF", b"data: a\ndata: b\ndata: c\n\n", vec![msg("a\nb\nc")]),
        case("spec 18: data keeps a CR-free value", b"data: a\r\n\r\n", vec![msg("a")]),
        // spec 19: id
        case("spec 19: id sets the last event ID", b"id: 1\ndata: a\n\n", vec![ev("message", "a", "1")]),
        case("spec 19: id may follow data", b"data: a\nid: 3\n\n", vec![ev("message", "a", "3")]),
        case(
            "spec 19: an empty id resets the last event ID",
            b"id: 1\ndata: a\n\nid\ndata: b\n\n",
            vec![ev("message", "a", "1"), ev("message", "b", "")],
        ),
        case(
            "spec 19: an id with an empty value after the colon resets it",
            b"id: 1\ndata: a\n\nid:\ndata: b\n\n",
            vec![ev("message", "a", "1"), ev("message", "b", "")],
        ),
        case(
            "spec 19: an id containing NUL is ignored",
            b"id: 1\ndata: a\n\nid: 2\x00x\ndata: b\n\n",
            vec![ev("message", "a", "1"), ev("message", "b", "1")],
        ),
        case("spec 19: NUL elsewhere is data", b"data: a\x00b\n\n", vec![msg("a\u{0}b")]),
        case("spec 19: the id keeps spaces", b"id:  x \ndata: a\n\n", vec![ev("message", "a", " x ")]),
        // spec 20: retry
        case("spec 20: retry sets the reconnection time", b"retry: 1000\n", vec![Item::Retry(1000)]),
        case("spec 20: retry with leading zeros", b"retry:007\n", vec![Item::Retry(7)]),
        case("spec 20: retry 0", b"retry: 0\n", vec![Item::Retry(0)]),
        case(
            "spec 20: retry saturates instead of overflowing",
            b"retry: 99999999999999999999999999\n",
            vec![Item::Retry(u64::MAX)],
        ),
        case(
            "spec 20: retry must be only digits",
            b"retry: 10a\nretry: -1\nretry: 1.5\nretry: +5\nretry:  100\nretry: 100 \nretry: \xD9\xA1\n",
            vec![],
        ),
        case("spec 20: an empty retry is ignored", b"retry\nretry:\nretry: \n", vec![]),
        case("spec 20: retry does not dispatch", b"data: a\nretry: 5\n\n", vec![Item::Retry(5), msg("a")]),
        // spec 21: end of stream
        case("spec 21: an event without a blank line is discarded", b"data: a\n\ndata: b\n", vec![msg("a")]),
        case("spec 21: an unfinished line is discarded", b"data: a\n\ndata: b", vec![msg("a")]),
        case("spec 21: an undispatched id does not count", b"id: 1\ndata: a\n\nid: 2\n", vec![ev("message", "a", "1")]),
        // spec 22-26: dispatch
        case("spec 22: ids persist across events", b"id: 1\ndata: a\n\ndata: b\n\n", vec![ev("message", "a", "1"), ev("message", "b", "1")]),
        case(
            "spec 23: an event with no data dispatches nothing but resets the type",
            b"event: add\n\ndata: b\n\n",
            vec![msg("b")],
        ),
        case("spec 24: only one trailing LF is removed", b"data: a\ndata:\n\n", vec![msg("a\n")]),
        case("spec 25: an empty event type is message", b"event\ndata: a\n\nevent:\ndata: b\n\n", vec![msg("a"), msg("b")]),
        case(
            "spec 26: the type resets after each event",
            b"event: add\ndata: a\n\ndata: b\n\n",
            vec![ev("add", "a", ""), msg("b")],
        ),
        case(
            "the talk's example: a full stream",
            b": heartbeat\r\nretry: 3000\r\nid: 42\r\nevent: chat\r\ndata: {\"user\": \"ana\",\r\ndata:  \"text\": \"hi\"}\r\n\r\n",
            vec![comment("heartbeat"), Item::Retry(3000), ev("chat", "{\"user\": \"ana\",\n \"text\": \"hi\"}", "42")],
        ),
    ];
    // spec 22: an id alone (no data) still sets the last event ID string.
    let mut alone = case("spec 22: an id alone updates the last event ID", b"id: 7\n\n", vec![]);
    alone.last_event_id = "7".into();
    cases.push(alone);
    cases
}

/// Invalid UTF-8 after `A`, and what `TextDecoder` (the Encoding standard's
/// "UTF-8 decode") makes of it: one U+FFFD per maximal invalid subsequence.
/// The expected strings were produced by Node's `TextDecoder`.
pub const UTF8_CASES: &[(&[u8], &str)] = &[
    (b"\xC3", "A\u{FFFD}"),
    (b"\xC3\x41", "A\u{FFFD}A"),
    (b"\xE2\x82", "A\u{FFFD}"),
    (b"\xE2\x82\x41", "A\u{FFFD}A"),
    (b"\xF0\x9F\x98", "A\u{FFFD}"),
    (b"\xF0\x9F\x98\x41", "A\u{FFFD}A"),
    (b"\x80", "A\u{FFFD}"),
    (b"\x80\x80", "A\u{FFFD}\u{FFFD}"),
    (b"\xC0\xAF", "A\u{FFFD}\u{FFFD}"),
    (b"\xE0\x80\xAF", "A\u{FFFD}\u{FFFD}\u{FFFD}"),
    (b"\xED\xA0\x80", "A\u{FFFD}\u{FFFD}\u{FFFD}"),
    (b"\xF4\x90\x80\x80", "A\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),
    (b"\xF5", "A\u{FFFD}"),
    (b"\xFF\xFE", "A\u{FFFD}\u{FFFD}"),
    (b"\xEF\xBB\xBF\x41", "A\u{FEFF}A"),
    (b"\xF0\x80\x80", "A\u{FFFD}\u{FFFD}\u{FFFD}"),
    (b"\xE0\x9F\x80", "A\u{FFFD}\u{FFFD}\u{FFFD}"),
    (b"\xF8\x88\x80\x80\x80", "A\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),
];

/// Feeds `chunks` to a fresh parser, collecting what it reports.
pub fn parse<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> (Vec<Item>, String) {
    let mut parser = Parser::new();
    let mut items = Vec::new();
    for chunk in chunks {
        assert_eq!(parser.feed(chunk, &mut items), Ok(Status::Done));
    }
    (items, parser.last_event_id().to_owned())
}

/// Checks one input under every chunking we try.
pub fn check(name: &str, input: &[u8], items: &[Item], last_event_id: &str) {
    let expect = (items.to_vec(), last_event_id.to_owned());
    assert_eq!(parse([input]), expect, "{name}: whole");
    assert_eq!(parse(input.chunks(1)), expect, "{name}: one byte at a time");
    for i in 0..=input.len() {
        assert_eq!(parse([&input[..i], &input[i..]]), expect, "{name}: split at {i}");
        if input.len() <= 80 {
            for j in i..=input.len() {
                assert_eq!(parse([&input[..i], &input[i..j], &input[j..]]), expect, "{name}: split at {i} and {j}");
            }
        }
    }
}
