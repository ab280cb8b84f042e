//! Table-driven cases for "Interpreting an event stream" (`tests/cases`),
//! plus the parser's own contract: reset, pausing, the buffer limit.
//!
//! Every table case is checked fed whole, one byte at a time, split at every
//! single point, and (for short inputs) split at every pair of points.
#![cfg(not(target_arch = "wasm32"))] // native only: tests/wasm.rs runs the table in browsers

mod cases;

use cases::{check, ev, msg};
use eventsource_wasm::parser::{ParseError, Parser, Status};

#[test]
fn spec_cases_under_every_chunking() {
    for case in cases::cases() {
        check(case.name, case.input, &case.items, &case.last_event_id);
    }
}

#[test]
fn spec_14_invalid_utf8_decodes_like_text_decoder() {
    for (bytes, expected) in cases::UTF8_CASES {
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
