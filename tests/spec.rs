//! Table-driven cases for "Interpreting an event stream", each citing the
//! item of `shared/spec-checklist.md` it checks (`spec N`).
//!
//! Every case is checked fed whole, one byte at a time, split at every
//! single point, and (for short inputs) split at every pair of points.

use eventsource_wasm::parser::{Item, OwnedEvent, ParseError, Parser, Status};

fn ev(event_type: &str, data: &str, last_event_id: &str) -> Item {
    Item::Event(OwnedEvent { event_type: event_type.into(), data: data.into(), last_event_id: last_event_id.into() })
}

fn msg(data: &str) -> Item {
    ev("message", data, "")
}

fn comment(text: &str) -> Item {
    Item::Comment(text.into())
}

struct Case {
    /// What it checks, with the checklist number.
    name: &'static str,
    input: &'static [u8],
    items: Vec<Item>,
    /// The last event ID string after the whole input.
    last_event_id: String,
}

fn case(name: &'static str, input: &'static [u8], items: Vec<Item>) -> Case {
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

fn cases() -> Vec<Case> {
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
const UTF8_CASES: &[(&[u8], &str)] = &[
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
fn parse<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> (Vec<Item>, String) {
    let mut parser = Parser::new();
    let mut items = Vec::new();
    for chunk in chunks {
        assert_eq!(parser.feed(chunk, &mut items), Ok(Status::Done));
    }
    (items, parser.last_event_id().to_owned())
}

/// Checks one input under every chunking we try.
fn check(name: &str, input: &[u8], items: &[Item], last_event_id: &str) {
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

#[test]
fn spec_cases_under_every_chunking() {
    for case in cases() {
        check(case.name, case.input, &case.items, &case.last_event_id);
    }
}

#[test]
fn spec_14_invalid_utf8_decodes_like_text_decoder() {
    for (bytes, expected) in UTF8_CASES {
        let mut input = b"data: A".to_vec();
        input.extend_from_slice(bytes);
        input.extend_from_slice(b"\n\n");
        check(&format!("spec 14: {bytes:02X?}"), &input, &[msg(expected)], "");
    }
}

#[test]
fn spec_26_reset_keeps_the_last_event_id_and_expects_a_bom_again() {
    let mut parser = Parser::new();
    let mut items = Vec::new();
    // A dispatched id, then an undispatched event with its own id.
    assert_eq!(parser.feed(b"id: 1\ndata: a\n\nid: 2\ndata: lost\n", &mut items), Ok(Status::Done));
    assert_eq!(parser.last_event_id(), "1");
    parser.reset();
    // spec 21: the pending "lost" is gone; spec 14: a BOM is stripped again;
    // the undispatched id 2 is forgotten, id 1 persists.
    assert_eq!(parser.feed(b"\xEF\xBB\xBFdata: b\n\n", &mut items), Ok(Status::Done));
    assert_eq!(items, [ev("message", "a", "1"), ev("message", "b", "1")]);
}

#[test]
fn spec_15_reset_forgets_a_trailing_cr() {
    let mut parser = Parser::new();
    let mut items = Vec::new();
    assert_eq!(parser.feed(b"data: a\r", &mut items), Ok(Status::Done));
    parser.reset();
    // The LF is a line ending of the new stream: a blank line, no data yet.
    assert_eq!(parser.feed(b"\ndata: b\n\n", &mut items), Ok(Status::Done));
    assert_eq!(items, [msg("b")]);
}

#[test]
fn set_last_event_id_is_used_until_the_server_sends_one() {
    let mut parser = Parser::new();
    parser.set_last_event_id("restored");
    let mut items = Vec::new();
    assert_eq!(parser.feed(b"data: a\n\nid: 9\ndata: b\n\n", &mut items), Ok(Status::Done));
    assert_eq!(items, [ev("message", "a", "restored"), ev("message", "b", "9")]);
}

#[test]
fn a_sink_can_pause_and_the_rest_can_be_fed_later() {
    struct StopAfterFirst(Vec<String>);
    impl eventsource_wasm::Sink for StopAfterFirst {
        fn event(&mut self, event: eventsource_wasm::Event<'_>) -> std::ops::ControlFlow<()> {
            self.0.push(event.data.to_owned());
            std::ops::ControlFlow::Break(())
        }
    }
    let input = b"data: a\r\n\r\ndata: b\n\n";
    let mut parser = Parser::new();
    let mut sink = StopAfterFirst(Vec::new());
    // The CRLF after the first event is consumed with it.
    assert_eq!(parser.feed(input, &mut sink), Ok(Status::Paused { consumed: 11 }));
    assert_eq!(sink.0, ["a"]);
    assert_eq!(parser.feed(&input[11..], &mut sink), Ok(Status::Paused { consumed: 9 }));
    assert_eq!(sink.0, ["a", "b"]);
}

#[test]
fn buffer_limit_ends_parsing_with_a_clear_error_whatever_the_chunking() {
    let limit = 16;
    let input = b"data: 0123\n\ndata: 0123456789abcdef\n\ndata: never\n\n";
    let mut outcomes = Vec::new();
    for chunk_size in 1..=input.len() {
        let mut parser = Parser::with_max_buffer_size(limit);
        let mut items = Vec::new();
        let mut error = None;
        for chunk in input.chunks(chunk_size) {
            if let Err(e) = parser.feed(chunk, &mut items) {
                error = Some(e);
                break;
            }
        }
        assert_eq!(error, Some(ParseError::BufferFull { limit }), "chunk size {chunk_size}");
        // Once stopped, it stays stopped until reset.
        assert_eq!(parser.feed(b"data: x\n\n", &mut items), Err(ParseError::BufferFull { limit }));
        assert_eq!(parser.error(), Some(ParseError::BufferFull { limit }));
        outcomes.push(items);
        parser.reset();
        let mut after = Vec::new();
        assert_eq!(parser.feed(b"data: ok\n\n", &mut after), Ok(Status::Done));
        assert_eq!(after, [msg("ok")]);
    }
    assert!(outcomes.iter().all(|items| items == &[msg("0123")]), "{outcomes:?}");
    let message = ParseError::BufferFull { limit }.to_string();
    assert!(message.contains("maximum buffer size of 16 bytes"), "{message}");
}

#[test]
fn buffer_limit_counts_data_across_lines() {
    let mut parser = Parser::with_max_buffer_size(10);
    let mut items = Vec::new();
    // Each line is small; together the data passes the limit.
    assert_eq!(
        parser.feed(b"data: abc\ndata: def\ndata: ghi\n", &mut items),
        Err(ParseError::BufferFull { limit: 10 })
    );
    assert!(items.is_empty());
}

#[test]
fn a_line_that_never_ends_is_bounded() {
    // A hostile stream: 64 MiB with no line ending, in 64 KiB chunks.
    let limit = 1 << 20;
    let mut parser = Parser::with_max_buffer_size(limit);
    let chunk = vec![b'x'; 64 * 1024];
    let mut items = Vec::new();
    let mut fed = 0usize;
    let error = loop {
        match parser.feed(&chunk, &mut items) {
            Ok(_) => fed += chunk.len(),
            Err(e) => break e,
        }
        assert!(fed < 64 << 20, "never stopped");
    };
    assert_eq!(error, ParseError::BufferFull { limit });
    assert!(fed <= limit, "stopped after {fed} bytes");
}

#[test]
fn a_huge_line_in_small_chunks_is_parsed_in_linear_time() {
    // 100 MiB of data in one line, arriving in 64 KiB chunks. A parser that
    // rescanned the held part of the line at each chunk would scan ~80 GB
    // here and never finish; a linear one takes a fraction of a second.
    let size = 100 << 20;
    let mut parser = Parser::with_max_buffer_size(size + 64);
    let mut input = b"data: ".to_vec();
    input.resize(6 + size, b'y');
    input.extend_from_slice(b"\n\n");
    let mut total = 0usize;
    struct Len<'a>(&'a mut usize);
    impl eventsource_wasm::Sink for Len<'_> {
        fn event(&mut self, event: eventsource_wasm::Event<'_>) -> std::ops::ControlFlow<()> {
            *self.0 += event.data.len();
            std::ops::ControlFlow::Continue(())
        }
    }
    for chunk in input.chunks(64 * 1024) {
        assert_eq!(parser.feed(chunk, &mut Len(&mut total)), Ok(Status::Done));
    }
    assert_eq!(total, size);
}
