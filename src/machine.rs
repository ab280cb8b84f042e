//! The life of an `EventSource` as a pure state machine: no I/O, no clock.
//!
//! The machine decides; a driver (the browser glue in `wasm`, or a test)
//! performs. It owns the [`ReadyState`], the reconnection time and the
//! [`Parser`] (and so the last event ID), and implements items 4–13 and 22
//! of the spec checklist:
//!
//! | driver saw | call | the driver then |
//! | --- | --- | --- |
//! | start, or a reconnection timer fired | [`Machine::connect`] | fetches, if it returns `true`, sending [`Machine::last_event_id_header`] as `Last-Event-ID` when it is `Some` |
//! | response headers | [`Machine::response`] | on [`Transition::Open`], fires `open` and reads the body |
//! | a body chunk | [`Machine::feed`] | (events go to the sink as they complete) |
//! | the body ended | [`Machine::end_of_body`] | carries out the transition |
//! | fetch or read rejected | [`Machine::network_error`] | carries out the transition (on [`Transition::RetryWithoutLastEventId`], fetches again at once without the header) |
//! | no byte for too long | [`Machine::timed_out`] | aborts the fetch, carries out the transition |
//! | the request could not be made | [`Machine::request_failed`] | carries out the transition |
//! | `close()` | [`Machine::close`] | aborts the fetch, cancels the timer |
//!
//! A [`Transition`] says what to tell the page: [`Transition::Reconnect`]
//! means "set CONNECTING, fire `error`, wait `delay_ms`, then
//! [`connect`](Machine::connect)"; [`Transition::Fail`] means "set CLOSED,
//! fire `error`". Once CLOSED, every input returns [`Transition::None`].
//!
//! `Last-Event-ID` is not a CORS-safelisted request header (Fetch), so a
//! cross-origin `fetch()` that carries it is preceded by a CORS preflight,
//! which the native class never makes: a server may refuse it and still
//! serve the native class. A CORS failure of a request that carried the
//! header is therefore retried once, at once, without it
//! ([`Transition::RetryWithoutLastEventId`]); only a CORS failure without
//! it fails the connection. The server then cannot resume from the last
//! event ID, but the stream goes on as the native one does.

use core::ops::ControlFlow;

use crate::parser::{Event, ParseError, Parser, Sink, Status};

/// The reconnection time before any `retry` field: 3 seconds, as browsers do.
pub const DEFAULT_RECONNECTION_TIME: u32 = 3000;

/// The longest delay a JavaScript timer can hold (2³¹ − 1 ms, about 24.8
/// days); longer ones fire at once. Larger `retry` values are clamped to it.
pub const MAX_TIMER_DELAY: u32 = i32::MAX as u32;

/// The `readyState` of an `EventSource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ReadyState {
    /// Connecting, or waiting to reconnect.
    Connecting = 0,
    /// Connected: events are being received.
    Open = 1,
    /// Closed for good: by `close()`, or the connection failed.
    Closed = 2,
}

/// What a network error was, as far as the driver can tell (spec 4, 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkError {
    /// The fetch or the read was aborted, by `close()` or by the document
    /// (`window.stop()`): fail (spec 4).
    Aborted,
    /// Retrying cannot help: a URL whose scheme fetch cannot load. Fail.
    Futile,
    /// The response failed the CORS check. Fail, unless the request carried
    /// `Last-Event-ID`: then retry without it (see the [module docs](self)).
    Cors,
    /// Anything else: the server is unreachable, the connection was reset.
    /// Reestablish.
    Transient,
}

/// Why a connection is being reestablished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    /// The server ended the response body.
    EndOfBody,
    /// The fetch, or reading the body, failed.
    Network,
    /// Nothing arrived for longer than the inactivity timeout.
    Timeout,
    /// The request could not be made (e.g. a header callback failed).
    Request,
}

/// When to reconnect, and when to give up (an extension: the standard has
/// neither backoff nor a limit).
///
/// The n-th reconnection in a row (counted since the last successful open)
/// waits `d = min(base × multiplier^(n−1), max_delay)`, less a random part of
/// up to `jitter × d`; `base` is the server's latest `retry` field, else
/// `initial_delay`. The reconnection after `max_attempts` of them fails the
/// connection instead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// The base delay (ms) until the server sends `retry`. Standard: 3000.
    pub initial_delay: u32,
    /// The longest delay (ms). Standard: [`MAX_TIMER_DELAY`].
    pub max_delay: u32,
    /// The factor between consecutive delays (≥ 1). Standard: 1.
    pub multiplier: f64,
    /// The largest fraction of a delay taken off at random (0 to 1). Standard: 0.
    pub jitter: f64,
    /// The most reconnections in a row without a successful open.
    /// Standard: [`u32::MAX`] (unlimited).
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial_delay: DEFAULT_RECONNECTION_TIME,
            max_delay: MAX_TIMER_DELAY,
            multiplier: 1.0,
            jitter: 0.0,
            max_attempts: u32::MAX,
        }
    }
}

/// What the driver must carry out after an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Nothing.
    None,
    /// The readyState is now OPEN: fire `open` (spec 7).
    Open,
    /// The readyState is now CONNECTING: fire `error`, then wait `delay_ms`
    /// and call [`Machine::connect`] (spec 9–11).
    Reconnect {
        /// The delay the retry policy gives, at most [`MAX_TIMER_DELAY`].
        delay_ms: u32,
        /// What ended the connection.
        cause: Interruption,
    },
    /// The readyState is now CLOSED: fire `error`; never reconnect (spec 12).
    Fail(FailReason),
    /// The request carried `Last-Event-ID` and failed the CORS check: fetch
    /// again at once, without the header ([`Machine::last_event_id_header`]
    /// is `None` now); tell the page nothing. The readyState stays
    /// CONNECTING, and the attempt is the same one for the retry policy.
    RetryWithoutLastEventId,
}

/// Why the connection failed, for richer error reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailReason {
    /// The response status was not 200 (the status).
    Status(u16),
    /// The Content-Type was not `text/event-stream`.
    ContentType,
    /// A network error that retrying cannot fix (see [`NetworkError`]).
    Network(NetworkError),
    /// The stream exceeded the parser's maximum buffer size.
    Parse(ParseError),
    /// The retry policy's `max_attempts` reconnections all failed.
    RetriesExhausted,
}

/// The state machine of one event source. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Machine {
    ready_state: ReadyState,
    reconnection_time: u32,
    policy: RetryPolicy,
    /// Reconnections since the last successful open.
    attempts: u32,
    /// xorshift64* state, for the jitter.
    random: u64,
    parser: Parser,
    /// A fetch or response body is in flight (between `connect` and its
    /// end), so that a late callback after close or failure is ignored.
    connected: bool,
    /// The request of this attempt carries `Last-Event-ID` (when the last
    /// event ID is not empty): set by `connect`, cleared by a CORS failure.
    with_last_event_id: bool,
}

impl Default for Machine {
    fn default() -> Self {
        Self::new(Parser::new())
    }
}

impl Machine {
    /// A machine in CONNECTING that has not fetched yet, parsing with `parser`
    /// (whose last event ID, if set, is the initial one).
    pub fn new(parser: Parser) -> Self {
        Self::with_policy(parser, RetryPolicy::default(), 0)
    }

    /// A machine that reconnects by `policy`; `seed` seeds the jitter's
    /// random numbers (give a random one).
    pub fn with_policy(parser: Parser, policy: RetryPolicy, seed: u64) -> Self {
        Machine {
            ready_state: ReadyState::Connecting,
            reconnection_time: policy.initial_delay.min(MAX_TIMER_DELAY),
            policy,
            attempts: 0,
            random: seed | 1,
            parser,
            connected: false,
            with_last_event_id: true,
        }
    }

    /// The current `readyState`.
    pub fn ready_state(&self) -> ReadyState {
        self.ready_state
    }

    /// The reconnection time in milliseconds (the base of the retry policy's
    /// delays), clamped to [`MAX_TIMER_DELAY`].
    pub fn reconnection_time(&self) -> u32 {
        self.reconnection_time
    }

    /// The last event ID string: sent as `Last-Event-ID` when not empty.
    pub fn last_event_id(&self) -> &str {
        self.parser.last_event_id()
    }

    /// The value of the `Last-Event-ID` header of the request being made
    /// (spec 11): the last event ID, unless it is empty or a CORS failure
    /// made the machine retry without it.
    pub fn last_event_id_header(&self) -> Option<&str> {
        let id = self.parser.last_event_id();
        (self.with_last_event_id && !id.is_empty()).then_some(id)
    }

    /// Starts a fetch (the first, or after the reconnection delay). Returns
    /// whether the driver should fetch: `false` once CLOSED (spec 11: "if
    /// the readyState is not CONNECTING, return").
    pub fn connect(&mut self) -> bool {
        if self.ready_state != ReadyState::Connecting {
            return false;
        }
        self.parser.reset();
        self.connected = true;
        self.with_last_event_id = true;
        true
    }

    /// The fetch gave a response: `status` and the `Content-Type` header.
    ///
    /// A 200 whose MIME type essence is `text/event-stream` opens the
    /// connection; anything else fails it (spec 6, 7).
    pub fn response(&mut self, status: u16, content_type: Option<&str>) -> Transition {
        if !self.connected {
            return Transition::None;
        }
        if status != 200 {
            return self.fail(FailReason::Status(status));
        }
        if !content_type.is_some_and(is_event_stream) {
            return self.fail(FailReason::ContentType);
        }
        self.ready_state = ReadyState::Open;
        self.attempts = 0;
        Transition::Open
    }

    /// Parses a chunk of the body, reporting events and comments to `sink`
    /// (a `retry` field also updates the reconnection time).
    ///
    /// Stops when the sink breaks, or as soon as the machine is CLOSED. A
    /// parse error fails the connection: the returned transition is
    /// [`Transition::Fail`].
    pub fn feed<S: Sink + ?Sized>(&mut self, chunk: &[u8], sink: &mut S) -> (Status, Transition) {
        if !self.connected || self.ready_state != ReadyState::Open {
            return (Status::Paused { consumed: 0 }, Transition::None);
        }
        let mut sink = RetryTap { sink, reconnection_time: &mut self.reconnection_time };
        // One parser in the wasm for every caller (the stream parser's too): a
        // virtual call per event costs less than a second copy of the parser.
        match self.parser.feed(chunk, &mut sink as &mut dyn Sink) {
            Ok(status) => (status, Transition::None),
            Err(error) => (Status::Paused { consumed: 0 }, self.fail(FailReason::Parse(error))),
        }
    }

    /// The body ended without a network error: reestablish (spec 8).
    pub fn end_of_body(&mut self) -> Transition {
        self.reestablish(Interruption::EndOfBody)
    }

    /// The driver saw no byte for longer than its inactivity timeout, and
    /// aborted the fetch: reestablish.
    pub fn timed_out(&mut self) -> Transition {
        self.reestablish(Interruption::Timeout)
    }

    /// The request could not be made (a header callback failed): retry it
    /// as after a network error.
    pub fn request_failed(&mut self) -> Transition {
        self.reestablish(Interruption::Request)
    }

    /// The fetch, or reading the body, failed (spec 4, 5).
    pub fn network_error(&mut self, error: NetworkError) -> Transition {
        if !self.connected {
            return Transition::None;
        }
        match error {
            NetworkError::Transient => self.reestablish(Interruption::Network),
            NetworkError::Cors
                if self.ready_state == ReadyState::Connecting && self.last_event_id_header().is_some() =>
            {
                self.with_last_event_id = false;
                Transition::RetryWithoutLastEventId
            }
            NetworkError::Aborted | NetworkError::Futile | NetworkError::Cors => self.fail(FailReason::Network(error)),
        }
    }

    /// `close()`: CLOSED at once; the driver aborts the fetch and cancels any
    /// timer, and fires nothing (spec 13).
    pub fn close(&mut self) {
        self.ready_state = ReadyState::Closed;
        self.connected = false;
    }

    fn reestablish(&mut self, cause: Interruption) -> Transition {
        if !self.connected || self.ready_state == ReadyState::Closed {
            return Transition::None;
        }
        if self.attempts >= self.policy.max_attempts {
            return self.fail(FailReason::RetriesExhausted);
        }
        self.attempts += 1;
        self.connected = false;
        self.ready_state = ReadyState::Connecting;
        Transition::Reconnect { delay_ms: self.delay(), cause }
    }

    /// The delay before reconnection number `self.attempts` (see [`RetryPolicy`]).
    fn delay(&mut self) -> u32 {
        let policy = &self.policy;
        let cap = f64::from(policy.max_delay.min(MAX_TIMER_DELAY));
        let mut delay = f64::from(self.reconnection_time) * powi(policy.multiplier, self.attempts - 1);
        if delay > cap {
            delay = cap;
        }
        if policy.jitter > 0.0 {
            delay -= delay * policy.jitter * self.next_random();
        }
        // Non-negative and at most 2³¹ − 1: `as` truncates, which is floor here.
        delay as u32
    }

    /// A uniform random number in [0, 1) (xorshift64*).
    fn next_random(&mut self) -> f64 {
        let mut x = self.random;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.random = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn fail(&mut self, reason: FailReason) -> Transition {
        if self.ready_state == ReadyState::Closed {
            return Transition::None;
        }
        self.ready_state = ReadyState::Closed;
        self.connected = false;
        Transition::Fail(reason)
    }
}

/// A `retry` field's value as a reconnection time: clamped to [`MAX_TIMER_DELAY`].
pub fn retry_delay(millis: u64) -> u32 {
    u32::try_from(millis).unwrap_or(MAX_TIMER_DELAY).min(MAX_TIMER_DELAY)
}

/// `base^exponent`, by squaring (`f64::powi` needs `std`); overflow gives infinity.
fn powi(mut base: f64, mut exponent: u32) -> f64 {
    let mut result = 1.0;
    while exponent > 0 {
        if exponent & 1 == 1 {
            result *= base;
        }
        base *= base;
        exponent >>= 1;
    }
    result
}

/// Passes everything on, and keeps `retry` values as the reconnection time.
struct RetryTap<'a, S: ?Sized> {
    sink: &'a mut S,
    reconnection_time: &'a mut u32,
}

impl<S: Sink + ?Sized> Sink for RetryTap<'_, S> {
    fn event(&mut self, event: Event<'_>) -> ControlFlow<()> {
        self.sink.event(event)
    }
    fn retry(&mut self, millis: u64) -> ControlFlow<()> {
        *self.reconnection_time = retry_delay(millis);
        self.sink.retry(millis)
    }
    fn comment(&mut self, text: &str) -> ControlFlow<()> {
        self.sink.comment(text)
    }
}

/// Whether a `Content-Type` value's MIME type essence is `text/event-stream`
/// (MIME Sniffing standard, "parse a MIME type"): type and subtype are
/// ASCII case-insensitive, surrounded by HTTP whitespace, and may be
/// followed by parameters (`;charset=utf-8`) or a lone `;`.
pub fn is_event_stream(content_type: &str) -> bool {
    const HTTP_WHITESPACE: &[char] = &[' ', '\t', '\n', '\r'];
    let essence = content_type.split(';').next().unwrap_or("");
    essence.trim_matches(HTTP_WHITESPACE).eq_ignore_ascii_case("text/event-stream")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::Item;
    use alloc::vec::Vec;

    fn open_machine() -> Machine {
        let mut machine = Machine::default();
        assert!(machine.connect());
        assert_eq!(machine.response(200, Some("text/event-stream")), Transition::Open);
        machine
    }

    #[test]
    fn spec_3_starts_connecting() {
        assert_eq!(Machine::default().ready_state(), ReadyState::Connecting);
        assert_eq!(Machine::default().reconnection_time(), 3000);
    }

    #[test]
    fn spec_6_content_type_essence() {
        for ok in [
            "text/event-stream",
            "TEXT/Event-Stream",
            "text/event-stream;charset=utf-8",
            "text/event-stream;",
            " text/event-stream ; x=y",
        ] {
            assert!(is_event_stream(ok), "{ok}");
        }
        for bad in [
            "",
            "text/plain",
            "text/event-stream-x",
            "text/event-streams",
            "text /event-stream",
            "text/html;text/event-stream",
        ] {
            assert!(!is_event_stream(bad), "{bad}");
        }
    }

    #[test]
    fn spec_6_bad_responses_fail() {
        for (status, content_type, reason) in [
            (204, Some("text/event-stream"), FailReason::Status(204)),
            (404, Some("text/event-stream"), FailReason::Status(404)),
            (500, None, FailReason::Status(500)),
            (301, None, FailReason::Status(301)),
            (200, Some("text/plain"), FailReason::ContentType),
            (200, None, FailReason::ContentType),
        ] {
            let mut machine = Machine::default();
            assert!(machine.connect());
            assert_eq!(machine.response(status, content_type), Transition::Fail(reason));
            assert_eq!(machine.ready_state(), ReadyState::Closed);
            // spec 12: never reconnect.
            assert!(!machine.connect());
        }
    }

    #[test]
    fn spec_8_to_11_end_of_body_reconnects_with_the_last_event_id() {
        let mut machine = open_machine();
        let mut items = Vec::new();
        let (status, transition) = machine.feed(b"retry: 1500\nid: 4\ndata: a\n\nid: 5\ndata: lost", &mut items);
        assert_eq!((status, transition), (Status::Done, Transition::None));
        assert_eq!(items.len(), 2);
        assert_eq!(machine.end_of_body(), Transition::Reconnect { delay_ms: 1500, cause: Interruption::EndOfBody });
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
        assert!(machine.connect());
        assert_eq!(machine.last_event_id(), "4");
        // The next connection opens as the first did.
        assert_eq!(machine.response(200, Some("text/event-stream")), Transition::Open);
    }

    #[test]
    fn spec_5_network_errors() {
        let mut machine = open_machine();
        assert_eq!(
            machine.network_error(NetworkError::Transient),
            Transition::Reconnect { delay_ms: 3000, cause: Interruption::Network }
        );
        // The same failure reported twice (fetch and reader) counts once.
        assert_eq!(machine.network_error(NetworkError::Transient), Transition::None);
        assert!(machine.connect());
        assert_eq!(
            machine.network_error(NetworkError::Futile),
            Transition::Fail(FailReason::Network(NetworkError::Futile))
        );
        assert_eq!(machine.ready_state(), ReadyState::Closed);
    }

    #[test]
    fn spec_4_an_abort_fails_connecting_or_open() {
        // Not by close(): the document aborted the fetch (window.stop()).
        let mut machine = Machine::default();
        assert!(machine.connect());
        assert_eq!(
            machine.network_error(NetworkError::Aborted),
            Transition::Fail(FailReason::Network(NetworkError::Aborted))
        );
        assert!(!machine.connect());
        let mut machine = open_machine();
        assert_eq!(
            machine.network_error(NetworkError::Aborted),
            Transition::Fail(FailReason::Network(NetworkError::Aborted))
        );
        assert_eq!(machine.ready_state(), ReadyState::Closed);
    }

    /// An open machine whose stream set `id` and ended: CONNECTING, with the
    /// reconnection's request made.
    fn reconnecting_with_id(id: &[u8]) -> Machine {
        let mut machine = open_machine();
        let _ = machine.feed(id, &mut Vec::new());
        assert!(matches!(machine.end_of_body(), Transition::Reconnect { .. }));
        assert!(machine.connect());
        machine
    }

    #[test]
    fn spec_11_last_event_id_header() {
        let mut machine = Machine::default();
        assert!(machine.connect());
        assert_eq!(machine.last_event_id_header(), None);
        let machine = reconnecting_with_id(b"id: 7\n\n");
        assert_eq!(machine.last_event_id_header(), Some("7"));
        let mut parser = Parser::new();
        parser.set_last_event_id("saved");
        let mut machine = Machine::new(parser);
        assert!(machine.connect());
        assert_eq!(machine.last_event_id_header(), Some("saved"));
    }

    #[test]
    fn a_cors_failure_with_last_event_id_retries_once_without_it() {
        let mut machine = reconnecting_with_id(b"id: 7\n\n");
        assert_eq!(machine.network_error(NetworkError::Cors), Transition::RetryWithoutLastEventId);
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
        assert_eq!(machine.last_event_id_header(), None);
        // The ID itself is kept: the events of the new stream carry it.
        assert_eq!(machine.last_event_id(), "7");
        // The retry passes CORS: the stream goes on.
        assert_eq!(machine.response(200, Some("text/event-stream")), Transition::Open);
        // The next reconnection tries the header again.
        assert!(matches!(machine.end_of_body(), Transition::Reconnect { .. }));
        assert!(machine.connect());
        assert_eq!(machine.last_event_id_header(), Some("7"));
        // The retry fails CORS too: a CORS failure, whatever the header.
        assert_eq!(machine.network_error(NetworkError::Cors), Transition::RetryWithoutLastEventId);
        assert_eq!(
            machine.network_error(NetworkError::Cors),
            Transition::Fail(FailReason::Network(NetworkError::Cors))
        );
        assert_eq!(machine.ready_state(), ReadyState::Closed);
        assert!(!machine.connect());
    }

    #[test]
    fn other_failures_with_last_event_id_are_not_retried_without_it() {
        let mut machine = reconnecting_with_id(b"id: 7\n\n");
        assert!(matches!(machine.network_error(NetworkError::Transient), Transition::Reconnect { .. }));
        assert!(machine.connect());
        assert_eq!(machine.last_event_id_header(), Some("7"));
        let mut aborted = machine.clone();
        assert_eq!(
            aborted.network_error(NetworkError::Aborted),
            Transition::Fail(FailReason::Network(NetworkError::Aborted))
        );
        assert_eq!(
            machine.network_error(NetworkError::Futile),
            Transition::Fail(FailReason::Network(NetworkError::Futile))
        );
        // Without an ID, a CORS failure fails at once.
        let mut machine = Machine::default();
        assert!(machine.connect());
        assert_eq!(
            machine.network_error(NetworkError::Cors),
            Transition::Fail(FailReason::Network(NetworkError::Cors))
        );
    }

    #[test]
    fn spec_13_close_silences_everything() {
        let mut machine = open_machine();
        machine.close();
        assert_eq!(machine.ready_state(), ReadyState::Closed);
        let mut items: Vec<Item> = Vec::new();
        assert_eq!(machine.feed(b"data: x\n\n", &mut items).1, Transition::None);
        assert!(items.is_empty());
        assert_eq!(machine.network_error(NetworkError::Aborted), Transition::None);
        assert_eq!(machine.end_of_body(), Transition::None);
        assert_eq!(machine.response(200, Some("text/event-stream")), Transition::None);
        assert!(!machine.connect());
    }

    #[test]
    fn retry_is_clamped_to_what_a_timer_can_hold() {
        let mut machine = open_machine();
        let mut items = Vec::new();
        let _ = machine.feed(b"retry: 99999999999999\n", &mut items);
        assert_eq!(machine.reconnection_time(), MAX_TIMER_DELAY);
        let _ = machine.feed(b"retry: 0\n", &mut items);
        assert_eq!(machine.end_of_body(), Transition::Reconnect { delay_ms: 0, cause: Interruption::EndOfBody });
    }

    #[test]
    fn a_parse_error_fails_the_connection() {
        let mut machine = Machine::new(Parser::with_max_buffer_size(8));
        assert!(machine.connect());
        assert_eq!(machine.response(200, Some("text/event-stream")), Transition::Open);
        let mut items = Vec::new();
        let (_, transition) = machine.feed(b"data: 0123456789", &mut items);
        assert_eq!(transition, Transition::Fail(FailReason::Parse(ParseError::BufferFull { limit: 8 })));
        assert_eq!(machine.ready_state(), ReadyState::Closed);
    }

    /// Drops the connection `n` times in a row (each reconnection fetches and
    /// fails before opening) and returns the delays.
    fn delays(machine: &mut Machine, n: usize) -> Vec<u32> {
        (0..n)
            .map(|_| {
                assert!(machine.connect());
                match machine.network_error(NetworkError::Transient) {
                    Transition::Reconnect { delay_ms, cause: Interruption::Network } => delay_ms,
                    other => panic!("{other:?}"),
                }
            })
            .collect()
    }

    fn policy(initial_delay: u32, max_delay: u32, multiplier: f64, jitter: f64, max_attempts: u32) -> RetryPolicy {
        RetryPolicy { initial_delay, max_delay, multiplier, jitter, max_attempts }
    }

    #[test]
    fn the_default_policy_is_the_standard() {
        let mut machine = Machine::default();
        assert_eq!(delays(&mut machine, 50), [3000; 50]);
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
    }

    #[test]
    fn backoff_grows_by_the_multiplier_up_to_the_cap() {
        let mut machine = Machine::with_policy(Parser::new(), policy(100, 1000, 2.0, 0.0, u32::MAX), 7);
        assert_eq!(machine.reconnection_time(), 100);
        assert_eq!(delays(&mut machine, 6), [100, 200, 400, 800, 1000, 1000]);
        // Thousands of attempts: the power overflows to infinity, the cap holds.
        assert!(delays(&mut machine, 3000).iter().all(|&d| d == 1000));
    }

    #[test]
    fn an_open_resets_the_backoff_and_the_server_sets_the_base() {
        let mut machine = Machine::with_policy(Parser::new(), policy(100, u32::MAX, 3.0, 0.0, u32::MAX), 7);
        assert_eq!(delays(&mut machine, 3), [100, 300, 900]);
        assert!(machine.connect());
        assert_eq!(machine.response(200, Some("text/event-stream")), Transition::Open);
        let _ = machine.feed(b"retry: 50\n", &mut Vec::new());
        assert_eq!(machine.reconnection_time(), 50);
        assert_eq!(machine.end_of_body(), Transition::Reconnect { delay_ms: 50, cause: Interruption::EndOfBody });
        assert_eq!(delays(&mut machine, 2), [150, 450]);
        // The cap is the timer's even without max_delay.
        assert!(delays(&mut machine, 40).ends_with(&[MAX_TIMER_DELAY]));
    }

    #[test]
    fn jitter_stays_within_its_bounds_and_varies() {
        let mut machine = Machine::with_policy(Parser::new(), policy(1000, 1000, 1.0, 0.5, u32::MAX), 12345);
        let delays = delays(&mut machine, 2000);
        assert!(delays.iter().all(|&d| (500..=1000).contains(&d)), "{delays:?}");
        // Spread over the range: both quarters are reached.
        assert!(delays.iter().any(|&d| d < 625) && delays.iter().any(|&d| d > 875));
        let full = delays_with_jitter(1.0);
        assert!(full.iter().all(|&d| d <= 1000) && full.iter().any(|&d| d < 50));
    }

    fn delays_with_jitter(jitter: f64) -> Vec<u32> {
        let mut machine = Machine::with_policy(Parser::new(), policy(1000, 1000, 1.0, jitter, u32::MAX), 1);
        delays(&mut machine, 500)
    }

    #[test]
    fn max_attempts_fails_the_connection() {
        for max_attempts in [0, 1, 3] {
            let mut machine = Machine::with_policy(Parser::new(), policy(10, 10, 1.0, 0.0, max_attempts), 1);
            assert_eq!(delays(&mut machine, max_attempts as usize).len(), max_attempts as usize);
            assert!(machine.connect());
            assert_eq!(machine.network_error(NetworkError::Transient), Transition::Fail(FailReason::RetriesExhausted));
            assert_eq!(machine.ready_state(), ReadyState::Closed);
            assert!(!machine.connect());
        }
        // Attempts count since the last open only.
        let mut machine = Machine::with_policy(Parser::new(), policy(10, 10, 1.0, 0.0, 2), 1);
        for _ in 0..5 {
            assert_eq!(delays(&mut machine, 1), [10]);
            assert!(machine.connect());
            assert_eq!(machine.response(200, Some("text/event-stream")), Transition::Open);
            assert!(matches!(machine.end_of_body(), Transition::Reconnect { .. }));
        }
    }

    #[test]
    fn timeouts_and_request_failures_reconnect() {
        let mut machine = open_machine();
        assert_eq!(machine.timed_out(), Transition::Reconnect { delay_ms: 3000, cause: Interruption::Timeout });
        assert_eq!(machine.timed_out(), Transition::None);
        assert!(machine.connect());
        assert_eq!(machine.request_failed(), Transition::Reconnect { delay_ms: 3000, cause: Interruption::Request });
    }
}
