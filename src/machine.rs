//! The life of an `EventSource` as a pure state machine: no I/O, no clock.
//!
//! The machine makes every decision and keeps every time; a driver (the
//! browser's, in `wasm`, or a test) performs what it says and tells it
//! what happened, with the time. It is quinn-proto's style: every input
//! carries `now`; [`Machine::poll_timeout`] says when to call
//! [`Machine::handle_timeout`]; and inputs only change the machine and queue
//! what happened, which the driver takes with [`Machine::poll`]. Nothing is
//! called back from inside an input, so the page code that the driver runs
//! for an output (an event listener) may call anything, the machine
//! included, and there is one copy of every piece of state. It owns the
//! [`ReadyState`], the URL, the reconnection time and the [`Parser`] (and so
//! the last event ID), and implements items 4–13 and 22 of docs/spec.md, and
//! the extensions: the retry policy, the inactivity timeout, the wait while
//! offline.
//!
//! ```text
//! bytes, responses, failures, timers ──► inputs ──► Machine ──► queued outputs
//!                                                      ▲            │ poll()
//!              getters (readyState, lastEventId,       │            ▼
//!              reconnectionTime), close() ─────────────┘   driver: fetch, probe,
//!                                                          dispatch open, events, error
//! ```
//!
//! | driver saw | input |
//! | --- | --- |
//! | the source was made | [`Machine::start`] |
//! | its one timer, set for [`Machine::poll_timeout`], fired | [`Machine::handle_timeout`] |
//! | the runtime's `online` event | [`Machine::online`] |
//! | response headers | [`Machine::response`] |
//! | a body chunk | [`Machine::feed`] (again with the rest, after polling, while it consumes less than all) |
//! | the body ended | [`Machine::end_of_stream`] |
//! | fetch rejected | [`Machine::fetch_failed`] |
//! | the probe of [`Output::Probe`] settled | [`Machine::probe_settled`] |
//! | reading the body failed | [`Machine::read_failed`] |
//! | the request could not be made | [`Machine::request_failed`] |
//! | `close()` | [`Machine::close`] (no output: the driver aborts the fetch and cancels the timer) |
//! | `reset()` (a source fed by a stream) | [`Machine::reset`] |
//!
//! A source fed by a stream the application gives
//! (`EventSource.fromReadableStream()`, whatwg/html#12272) is the same
//! machine without the network ([`Machine::from_stream`]): no request, it
//! opens at [`Machine::start`] and fails (CLOSED, never reconnecting) when
//! the stream ends or errors.
//!
//! After every input the driver calls [`Machine::poll`] until it returns
//! `None`, carrying out each [`Output`] before it takes the next (with no
//! borrow of the machine held: an output may run page code), then sets its
//! one timer for [`Machine::poll_timeout`] (a later deadline than the one
//! set only means that the timer fires early and
//! [`Machine::handle_timeout`] does nothing).
//!
//! What the getters say moves with the outputs taken, not with the inputs:
//! [`Machine::ready_state`] becomes OPEN when [`Output::Open`] is taken, and
//! CONNECTING or CLOSED when [`Output::Error`] is; the reconnection time
//! that a `retry` field sets is seen after the events before it. So a page
//! never sees a state that its listeners have not been told of yet.
//! [`Machine::close`] is the exception: CLOSED at once, and what was queued
//! is dropped (spec 13: nothing is dispatched after `close()`).
//!
//! `Last-Event-ID` is not a CORS-safelisted request header (Fetch), so a
//! cross-origin `fetch()` that carries it is preceded by a CORS preflight,
//! which the native class never makes: a server may refuse it and still
//! serve the native class. A CORS failure of a request that carried the
//! header is therefore retried once, at once, without it (an
//! [`Output::Fetch`] with no error before it); only a CORS failure without
//! it fails the connection. The server then cannot resume from the last
//! event ID, but the stream goes on as the native one does.
//!
//! `fetch()` rejects with the same `TypeError` for a CORS failure (fail) and
//! an unreachable server (reconnect) (spec 5). Where the runtime enforces
//! CORS, the machine asks for a `no-cors` probe of the same URL
//! ([`Output::Probe`]): an opaque response means that a server of
//! another origin answered, so the failure was CORS; a failure, a plain
//! response or no answer within [`PROBE_TIMEOUT`] means it was not.

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::ControlFlow;

use crate::parser::{Event, ParseError, Parser, Sink, Status};

/// A point in time, in milliseconds, on the driver's clock (any epoch).
pub type Instant = f64;

/// How long the `no-cors` probe of [`Output::Probe`] may take before
/// the failure is taken for what it most likely is: a network error
/// (reconnect).
pub const PROBE_TIMEOUT: u32 = 10_000;

/// How often a runtime without `online` events is looked at again, while a
/// reconnection waits for it to be back online.
pub const OFFLINE_POLL: u32 = 1000;

/// The reconnection time before any `retry` field: 3 seconds, as browsers do.
pub const DEFAULT_RECONNECTION_TIME: u32 = 3000;

/// The longest delay a JavaScript timer can hold (2³¹ − 1 ms, about 24.8
/// days); longer ones fire at once. Larger `retry` values are clamped to it.
pub const MAX_TIMER_DELAY: u32 = i32::MAX as u32;

/// How long a request may go unanswered before the machine asks how many
/// connections to its origin are open ([`Output::CountConnections`]).
pub const ANSWER_WAIT: u32 = 3000;

/// Browsers' limit of HTTP/1.1 connections per host (Chromium, Firefox and
/// WebKit alike), shared by every tab and worker.
pub const CONNECTION_LIMIT: u32 = 6;

/// A read that comes after this long (ms) without a byte (since the previous
/// read, or the request: Firefox's fetch gives the answer only with the first
/// bytes of its body), and completes [`HELD_BACK_COUNT`] events and comments or
/// more, looks held back and sent at once ([`Warning::HeldBack`]).
pub const HELD_BACK_QUIET: u32 = 3000;

/// See [`HELD_BACK_QUIET`].
pub const HELD_BACK_COUNT: u32 = 3;

/// The request method when none is given.
pub const DEFAULT_METHOD: &str = "GET";

/// The credentials mode when none is given (the standard's, without
/// `withCredentials`).
pub const DEFAULT_CREDENTIALS: &str = "same-origin";

/// Events are handed over in batches ([`Output::Events`]) of about this many
/// bytes at most (more only for one larger event): crossing from wasm into
/// JS costs more per call than per byte, and in JS an event's fields are
/// slices of its batch's string, so a page that keeps one `event.data`
/// keeps at most this much more text alive than the event itself.
pub const BATCH_BYTES: usize = 4 * 1024;

/// The URL of a source fed by a stream ([`Machine::from_stream`]).
pub const STREAM_URL: &str = "about:event-stream";

/// A batch's allocation is kept for the next one up to this size.
const KEEP_BATCH: usize = 64 * 1024;

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

/// What a network error was (spec 4, 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkError {
    /// The fetch or the read was aborted by the document (`window.stop()`):
    /// fail (spec 4).
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

/// Why the source fired `error` (the JS class's `event.reason`): the
/// connection is being reestablished (CONNECTING), or it failed (CLOSED).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorReason {
    /// The server ended the response body (reconnecting).
    EndOfStream,
    /// The fetch or the read failed (reconnecting); or, when the source is
    /// closed, a CORS failure, a URL that fetch cannot load, or an abort by
    /// the document (`window.stop()`).
    Network,
    /// Nothing arrived for longer than the inactivity timeout (reconnecting).
    Timeout,
    /// The response status was not 200 (closed).
    Status,
    /// The Content-Type was not `text/event-stream` (closed).
    ContentType,
    /// An event or a line exceeded the maximum buffer size (closed).
    BufferFull,
    /// The retry policy's attempts all failed (closed).
    RetriesExhausted,
    /// The request could not be made, e.g. the headers callback failed
    /// (reconnecting).
    Request,
}

impl ErrorReason {
    /// Every reason, in the order of the JS class's types (`index.d.ts`,
    /// `EventSourceErrorReason`, checked against this by a test).
    pub const ALL: [ErrorReason; 8] = [
        ErrorReason::EndOfStream,
        ErrorReason::Network,
        ErrorReason::Timeout,
        ErrorReason::Status,
        ErrorReason::ContentType,
        ErrorReason::BufferFull,
        ErrorReason::RetriesExhausted,
        ErrorReason::Request,
    ];

    /// The name the JS class uses: `"end-of-stream"`, `"network"`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorReason::EndOfStream => "end-of-stream",
            ErrorReason::Network => "network",
            ErrorReason::Timeout => "timeout",
            ErrorReason::Status => "status",
            ErrorReason::ContentType => "content-type",
            ErrorReason::BufferFull => "buffer-full",
            ErrorReason::RetriesExhausted => "retries-exhausted",
            ErrorReason::Request => "request",
        }
    }
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

/// What the machine needs to know of the source and the runtime, given once.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// When to reconnect and when to give up.
    pub policy: RetryPolicy,
    /// Milliseconds without a byte (fetching or reading) before
    /// reconnecting; 0: never.
    pub inactivity_timeout: u32,
    /// The request method, which says what a redirect does (see
    /// [`Machine::response`]).
    pub method: String,
    /// Whether the runtime enforces CORS and the request goes through its
    /// own `fetch` (not a custom one): then a failed fetch may be a CORS
    /// failure, and is probed ([`Output::Probe`]).
    pub probe_cors: bool,
    /// Whether the runtime fires `online` events: then an offline wait ends
    /// at one ([`Machine::online`]); without them it looks again every
    /// [`OFFLINE_POLL`] ms.
    pub online_events: bool,
    /// A random number, the seed of the jitter's.
    pub seed: u64,
    /// Whether to look for a stream held back by the server or a proxy
    /// ([`Warning::ContentLength`], [`Warning::HeldBack`]).
    pub diagnose_buffering: bool,
    /// Whether the runtime limits connections per host (a browser): then a
    /// request unanswered for [`ANSWER_WAIT`] ms is looked into
    /// ([`Output::CountConnections`], [`Warning::ConnectionLimit`]).
    pub diagnose_connection_limit: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            policy: RetryPolicy::default(),
            inactivity_timeout: 0,
            method: DEFAULT_METHOD.into(),
            probe_cors: false,
            online_events: true,
            seed: 0,
            diagnose_buffering: false,
            diagnose_connection_limit: false,
        }
    }
}

/// What happened, for the driver to carry out: taken with [`Machine::poll`]
/// after every input, one at a time, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Abort what is in flight; fetch [`Machine::request`] (spec 11): the
    /// first request, a reconnection's, or at once again without
    /// `Last-Event-ID` after a CORS failure (the readyState stays
    /// CONNECTING, and the page is told nothing).
    Fetch,
    /// Fetch rejected where the runtime enforces CORS: abort what is in
    /// flight, make a `no-cors` request for [`Machine::request`]'s URL, with
    /// the same credentials mode, and report with
    /// [`Machine::probe_settled`] as soon as its headers arrive (then abort
    /// it).
    Probe,
    /// The readyState is now OPEN: fire `open` (spec 7) with
    /// [`Machine::origin`], then read the body.
    Open,
    /// Events, parsed from the body: take them with
    /// [`Machine::take_events`] and dispatch each (spec 26), unless the
    /// source is closed meanwhile.
    Events,
    /// The readyState is now CONNECTING (`delay` is `Some`: the machine
    /// waits that long, spec 9 and 10) or CLOSED (never again, spec 12):
    /// abort what is in flight, fire `error`.
    Error(Error),
    /// The request has had no answer for [`ANSWER_WAIT`] ms: count the
    /// event streams open or connecting to the request's origin elsewhere
    /// (other sources, other tabs and workers of the site), and report with
    /// [`Machine::connections_counted`].
    CountConnections,
    /// Something looks wrong, though nothing failed: tell the page (each
    /// kind once per source).
    Warning(Warning),
}

/// What looks wrong with a connection that did not fail: the two ways an
/// event stream seems to send nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warning {
    /// The request has had no answer for [`ANSWER_WAIT`] ms while `open`
    /// other event streams to its origin are open (at least
    /// [`CONNECTION_LIMIT`]): on HTTP/1.1 the browser holds it back until
    /// one of them closes.
    ConnectionLimit {
        /// The other streams to the origin, open or connecting.
        open: u32,
    },
    /// The event stream has a `Content-Length`: its whole body existed
    /// before it was sent, so its events come late and at once.
    ContentLength,
    /// After `quiet` ms without a byte, [`HELD_BACK_COUNT`] events and
    /// comments or more came in one read: something between the server and
    /// the page held them back.
    HeldBack {
        /// The silence before, in ms.
        quiet: u32,
    },
}

impl Warning {
    /// Its name, as the JS class's `warning` event has it in `code`.
    pub fn code(self) -> &'static str {
        match self {
            Warning::ConnectionLimit { .. } => "connection-limit",
            Warning::ContentLength => "content-length",
            Warning::HeldBack { .. } => "held-back",
        }
    }

    /// Its bit in `Machine::warned`.
    fn bit(self) -> u8 {
        match self {
            Warning::ConnectionLimit { .. } => 1,
            Warning::ContentLength => 2,
            Warning::HeldBack { .. } => 4,
        }
    }

    /// What it means, and the fix.
    pub fn message(self) -> String {
        let mut text = String::new();
        match self {
            Warning::ConnectionLimit { open } => {
                text.push_str("No answer for ");
                push_number(&mut text, ANSWER_WAIT / 1000);
                text.push_str(" s, with ");
                push_number(&mut text, open);
                text.push_str(
                    " other streams to this origin open or connecting (in this page and other tabs): \
                     browsers allow 6 HTTP/1.1 connections per host. Fix: `shared: true`, or HTTP/2.",
                );
            }
            Warning::ContentLength => text.push_str(
                "The stream has a Content-Length: it was buffered whole, so its events arrive late, at once. \
                 Fix: no Content-Length; flush each event (nginx: `X-Accel-Buffering: no`).",
            ),
            Warning::HeldBack { quiet } => {
                text.push_str("Events arrived together after ");
                push_number(&mut text, quiet / 1000);
                text.push_str(
                    " s of silence: a proxy or compression may buffer the stream. \
                     Fix: flush each event (nginx: `X-Accel-Buffering: no`); do not compress it.",
                );
            }
        }
        text
    }
}

/// Appends `n` in decimal (no `core::fmt` in the wasm for this).
fn push_number(text: &mut String, n: u32) {
    if n >= 10 {
        push_number(text, n / 10);
    }
    text.push(char::from(b'0' + (n % 10) as u8));
}

/// An `error`: the readyState it leaves, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error {
    /// CONNECTING (a reconnection follows) or CLOSED.
    pub ready_state: ReadyState,
    /// Why.
    pub reason: ErrorReason,
    /// The response status, when a response came (200 for a wrong
    /// Content-Type); else 0.
    pub status: u16,
    /// The delay (ms) before the next attempt, when reconnecting: what the
    /// retry policy gives, at most [`MAX_TIMER_DELAY`].
    pub delay: Option<u32>,
}

/// What waits in the queue: an output, or a `retry` field's reconnection
/// time, applied (silently) once the events before it were taken.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Entry {
    Output(Output),
    Retry(u32),
}

/// The request to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// The URL: the source's, or after a followed redirect the final one
    /// (the request's URL list grew; whatwg/html#503).
    pub url: &'a str,
    /// The `Last-Event-ID` header's value (spec 11), UTF-8: the last event
    /// ID, unless it is empty or a CORS failure made the machine retry
    /// without it.
    pub last_event_id: Option<&'a str>,
    /// A redirect to another origin was followed: fetch dropped the
    /// credentials headers (`Authorization`...) there, so requests to the
    /// final URL leave them out too.
    pub drop_credentials: bool,
}

/// A redirect that fetch followed: the final URL, and its origin as
/// `URL.origin` gives it (the driver's URL parser's, not the machine's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redirect<'a> {
    /// The response's URL.
    pub url: &'a str,
    /// Its origin.
    pub origin: &'a str,
}

/// Where the machine is in the life of a connection.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Made, not started: [`Machine::start`] makes the first request.
    New,
    /// Waiting to connect: until `until`, or an `online` event (∞: offline,
    /// waiting for one).
    Waiting { until: Instant },
    /// The request is out.
    Fetching,
    /// Fetch failed; the `no-cors` probe is out, until `until`.
    Probing { until: Instant },
    /// OPEN: the body is being read.
    Reading,
    /// CLOSED.
    Closed,
}

/// The state machine of one event source. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Machine {
    phase: Phase,
    /// The readyState the page has been told of (see the [module docs](self)).
    ready_state: ReadyState,
    url: String,
    /// The origin of `url`.
    url_origin: String,
    /// The origin of the final URL of the response that opened.
    origin: String,
    /// A followed redirect crossed origins (see [`Request::drop_credentials`]).
    crossed_origin: bool,
    settings: Settings,
    reconnection_time: u32,
    /// Reconnections since the last successful open.
    attempts: u32,
    /// xorshift64* state, for the jitter.
    random: u64,
    parser: Parser,
    /// When a byte (or the request) was last seen, for the inactivity timeout.
    last_activity: Instant,
    /// The request of this attempt carries `Last-Event-ID` (when the last
    /// event ID is not empty): set by each attempt, cleared by a CORS failure.
    with_last_event_id: bool,
    /// What happened and was not taken yet, oldest first (a few entries at
    /// most: a plain `Vec` is smaller in the wasm than a `VecDeque`).
    queue: Vec<Entry>,
    /// The events of [`Output::Events`], each field followed by a CR (see
    /// [`Machine::take_events`]).
    events: String,
    /// Fed by a stream the application gives, not a request.
    from_stream: bool,
    /// The [`Warning`]s given, a bit each (each is given once).
    warned: u8,
    /// This attempt's [`Output::CountConnections`] was asked for.
    counted: bool,
    /// When the request was made or the last read came (not the answer:
    /// see [`HELD_BACK_QUIET`]).
    last_read: Instant,
    /// A read after [`HELD_BACK_QUIET`] ms of silence: its time, the
    /// silence, and the events and comments it completed so far (one read
    /// is fed in several calls of [`Machine::feed`], all at its time).
    burst: (Instant, u32, u32),
}

impl Machine {
    /// A machine for `url` (absolute, serialized; `origin` is its origin, as
    /// `URL.origin` gives it) in CONNECTING that has not fetched yet,
    /// parsing with `parser` (whose last event ID, if set, is the initial
    /// one).
    pub fn new(url: &str, origin: &str, parser: Parser, settings: Settings) -> Self {
        Machine {
            phase: Phase::New,
            ready_state: ReadyState::Connecting,
            url: url.into(),
            url_origin: origin.into(),
            origin: String::new(),
            crossed_origin: false,
            reconnection_time: settings.policy.initial_delay.min(MAX_TIMER_DELAY),
            random: settings.seed | 1,
            settings,
            attempts: 0,
            parser,
            last_activity: 0.0,
            with_last_event_id: true,
            queue: Vec::new(),
            events: String::new(),
            from_stream: false,
            warned: 0,
            counted: false,
            last_read: 0.0,
            burst: (f64::NAN, 0, 0),
        }
    }

    /// A machine for a source fed by a stream the application gives
    /// (`EventSource.fromReadableStream()`): its URL is [`STREAM_URL`], its
    /// events' origin `"null"`; no request is made: [`Machine::start`] opens
    /// it (CONNECTING until then), the driver feeds what it reads from the
    /// stream, and the end of the stream ([`Machine::end_of_stream`]) or its
    /// failure ([`Machine::read_failed`]) fails it: CLOSED, no reconnection.
    /// An inactivity timeout in `settings` applies to it too.
    pub fn from_stream(parser: Parser, settings: Settings) -> Self {
        let mut machine = Machine::new(STREAM_URL, "null", parser, settings);
        machine.from_stream = true;
        machine
    }

    // ---- Queries ---------------------------------------------------------------------

    /// The `readyState`, as the outputs taken so far have told it (CLOSED at
    /// once after [`Machine::close`]).
    pub fn ready_state(&self) -> ReadyState {
        self.ready_state
    }

    /// The reconnection time in milliseconds (the base of the retry policy's
    /// delays), clamped to [`MAX_TIMER_DELAY`]; a `retry` field's once the
    /// events before it were taken.
    pub fn reconnection_time(&self) -> u32 {
        self.reconnection_time
    }

    /// The last event ID string: sent as `Last-Event-ID` when not empty. It
    /// is the stream's as parsed: while the events of a batch are being
    /// dispatched, each event's own is its `last_event_id`.
    pub fn last_event_id(&self) -> &str {
        self.parser.last_event_id()
    }

    /// The URL requests go to (after a followed redirect, the final one).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The origin of the final URL of the open connection (spec 25), as
    /// `URL.origin` gives it.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The request to make on [`Output::Fetch`], and the URL to probe on
    /// [`Output::Probe`].
    pub fn request(&self) -> Request<'_> {
        let id = self.parser.last_event_id();
        Request {
            url: &self.url,
            last_event_id: (self.with_last_event_id && !id.is_empty()).then_some(id),
            drop_credentials: self.crossed_origin,
        }
    }

    // ---- Outputs ---------------------------------------------------------------------

    /// The next thing to carry out, or `None` once everything was taken.
    /// Call it until `None` after every input, and carry out each output
    /// before taking the next: the getters move with what was taken.
    pub fn poll(&mut self) -> Option<Output> {
        loop {
            if self.queue.is_empty() {
                return None;
            }
            match self.queue.remove(0) {
                Entry::Retry(time) => self.reconnection_time = time,
                Entry::Output(output) => {
                    match output {
                        Output::Open => self.ready_state = ReadyState::Open,
                        Output::Error(error) => self.ready_state = error.ready_state,
                        _ => {}
                    }
                    return Some(output);
                }
            }
        }
    }

    /// The events of the [`Output::Events`] just taken, in order, each as its
    /// type, data and last event ID, every field followed by a CR (none can
    /// contain one: the parser ends lines there); [`events_in`] splits them.
    /// One string per batch rather than three per event: it crosses into JS
    /// as it is. Give it back with [`Machine::recycle`] to keep its memory.
    pub fn take_events(&mut self) -> String {
        core::mem::take(&mut self.events)
    }

    /// Takes back a batch's string (its memory is used again, up to 64 KiB).
    pub fn recycle(&mut self, mut batch: String) {
        if self.events.is_empty() && batch.capacity() <= KEEP_BATCH && self.phase != Phase::Closed {
            batch.clear();
            self.events = batch;
        }
    }

    /// When to call [`Machine::handle_timeout`]: the end of a reconnection
    /// wait, of the inactivity timeout or of a probe; `None`: no deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let deadline = match self.phase {
            Phase::Waiting { until } | Phase::Probing { until } => until,
            Phase::Fetching | Phase::Reading => self.inactivity_deadline().min(self.count_deadline()),
            _ => return None,
        };
        deadline.is_finite().then_some(deadline)
    }

    // ---- Inputs ----------------------------------------------------------------------

    /// The first request, at once (online or not, as the native class); a
    /// source fed by a stream opens.
    pub fn start(&mut self, now: Instant) {
        if self.phase != Phase::New {
            return;
        }
        if !self.from_stream {
            return self.connect(now);
        }
        self.origin = "null".into();
        self.phase = Phase::Reading;
        self.last_activity = now;
        self.push(Output::Open);
    }

    /// The driver's timer fired; `online` is whether the runtime says it is
    /// online (`navigator.onLine`; true where there is no such thing).
    ///
    /// A reconnection wait that is over connects (spec 11), unless the
    /// runtime is offline: then it waits for an `online` event, or without
    /// those looks again every [`OFFLINE_POLL`] ms. Nothing received for the
    /// inactivity timeout reestablishes; a probe that did not answer in
    /// time counts as a network error.
    pub fn handle_timeout(&mut self, now: Instant, online: bool) {
        match self.phase {
            Phase::Waiting { until } if now >= until => {
                if online {
                    return self.connect(now);
                }
                let until = if self.settings.online_events { f64::INFINITY } else { now + f64::from(OFFLINE_POLL) };
                self.phase = Phase::Waiting { until };
            }
            Phase::Fetching | Phase::Reading if now >= self.inactivity_deadline() => {
                if self.from_stream {
                    return self.fail(ErrorReason::Timeout, 0);
                }
                self.reestablish(now, ErrorReason::Timeout)
            }
            Phase::Fetching if now >= self.count_deadline() => {
                self.counted = true;
                self.push(Output::CountConnections);
            }
            Phase::Probing { until } if now >= until => self.reestablish(now, ErrorReason::Network),
            _ => {}
        }
    }

    /// The count of [`Output::CountConnections`]: `open` other event streams
    /// are open or connecting to the request's origin. If the request is
    /// still unanswered and they are [`CONNECTION_LIMIT`] or more,
    /// [`Warning::ConnectionLimit`].
    pub fn connections_counted(&mut self, open: u32) {
        if self.phase == Phase::Fetching && open >= CONNECTION_LIMIT {
            self.warn(Warning::ConnectionLimit { open });
        }
    }

    /// The runtime fired `online`: a reconnection waiting (for the delay, or
    /// for the network) connects at once.
    pub fn online(&mut self, now: Instant) {
        if let Phase::Waiting { .. } = self.phase {
            self.connect(now);
        }
    }

    /// The fetch gave a response: `status`, the `Content-Type` header, the
    /// final URL if a redirect was followed, and whether it has a
    /// `Content-Length`.
    ///
    /// A 200 whose MIME type essence is `text/event-stream` opens the
    /// connection; anything else fails it (spec 6, 7). After a redirect,
    /// reconnections go to the final URL (whatwg/html#503), without the
    /// credentials headers if it crossed origins; except for a method other
    /// than GET or HEAD, which may have become GET at the redirect (301,
    /// 302, 303: the response does not say): those reconnect to the
    /// original URL, and fetch follows the redirect again.
    pub fn response(
        &mut self,
        now: Instant,
        status: u16,
        content_type: Option<&str>,
        redirected_to: Option<Redirect<'_>>,
        content_length: bool,
    ) {
        if self.phase != Phase::Fetching {
            return;
        }
        self.last_activity = now;
        let origin = String::from(redirected_to.map_or(self.url_origin.as_str(), |to| to.origin));
        if let Some(to) = redirected_to {
            let method = &self.settings.method;
            if method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD") {
                self.crossed_origin |= to.origin != self.url_origin;
                self.url = to.url.into();
                self.url_origin = to.origin.into();
            }
        }
        if status != 200 {
            return self.fail(ErrorReason::Status, status);
        }
        if !content_type.is_some_and(is_event_stream) {
            return self.fail(ErrorReason::ContentType, status);
        }
        self.origin = origin;
        self.phase = Phase::Reading;
        self.attempts = 0;
        self.push(Output::Open);
        // (A `data:` or `blob:` URL's body is whole by nature: Firefox gives it a length.)
        let network = self.url.starts_with("http:") || self.url.starts_with("https:");
        if content_length && network && self.settings.diagnose_buffering {
            self.warn(Warning::ContentLength);
        }
    }

    /// Parses a chunk of the body; returns how many of its bytes were
    /// consumed. Fewer than all: outputs wait (a batch of events is full,
    /// or a `retry` field follows events); take them, then feed the rest,
    /// while the readyState is OPEN. Nothing is consumed while outputs
    /// wait, or when the body is not being read. A parse error fails the
    /// connection ([`Output::Error`], after the events before it).
    pub fn feed(&mut self, now: Instant, chunk: &[u8]) -> usize {
        if self.phase != Phase::Reading || !self.queue.is_empty() {
            return 0;
        }
        let quiet = now - self.last_read;
        if quiet >= f64::from(HELD_BACK_QUIET) && self.settings.diagnose_buffering && !self.from_stream {
            self.burst = (now, quiet as u32, 0);
        }
        self.last_activity = now;
        self.last_read = now;
        let mut sink = Batch {
            events: &mut self.events,
            queue: &mut self.queue,
            reconnection_time: &mut self.reconnection_time,
            count: 0,
        };
        // One parser in the wasm for every caller (the stream parser's too): a
        // virtual call per event costs less than a second copy of the parser.
        let result = self.parser.feed(chunk, &mut sink as &mut dyn Sink);
        let count = sink.count;
        if self.burst.0 == now {
            self.burst.2 += count;
            if self.burst.2 >= HELD_BACK_COUNT {
                self.warn(Warning::HeldBack { quiet: self.burst.1 });
            }
        }
        match result {
            Ok(Status::Done) => chunk.len(),
            Ok(Status::Paused { consumed }) => consumed,
            Err(ParseError::BufferFull { .. }) => {
                self.fail(ErrorReason::BufferFull, 0);
                chunk.len()
            }
        }
    }

    /// The body ended without a network error: reestablish (spec 8). A
    /// source fed by a stream fails (CLOSED).
    pub fn end_of_stream(&mut self, now: Instant) {
        if self.phase != Phase::Reading {
            return;
        }
        if self.from_stream {
            return self.fail(ErrorReason::EndOfStream, 0);
        }
        self.reestablish(now, ErrorReason::EndOfStream);
    }

    /// The request could not be made (a headers callback failed): retry it
    /// as after a network error.
    pub fn request_failed(&mut self, now: Instant) {
        if self.phase == Phase::Fetching {
            self.reestablish(now, ErrorReason::Request);
        }
    }

    /// Fetch rejected. `aborted`: the request was aborted (not by
    /// `close()`: by the document, `window.stop()`): fail (spec 4).
    /// Otherwise a network error, or a CORS failure where the runtime
    /// enforces CORS: the machine asks for a probe to tell them apart.
    pub fn fetch_failed(&mut self, now: Instant, aborted: bool) {
        if self.phase != Phase::Fetching {
            return;
        }
        if aborted {
            return self.network_error(now, NetworkError::Aborted);
        }
        if self.settings.probe_cors {
            self.phase = Phase::Probing { until: now + f64::from(PROBE_TIMEOUT) };
            return self.push(Output::Probe);
        }
        self.network_error(now, NetworkError::Transient)
    }

    /// The probe settled: `Some(true)` an opaque response (a server of
    /// another origin answered: the failure was CORS), `Some(false)` any
    /// other response (a same-origin server answered: a reset), `None` it
    /// failed too (nothing answered).
    pub fn probe_settled(&mut self, now: Instant, opaque: Option<bool>) {
        if !matches!(self.phase, Phase::Probing { .. }) {
            return;
        }
        self.phase = Phase::Fetching;
        let error = if opaque == Some(true) { NetworkError::Cors } else { NetworkError::Transient };
        self.network_error(now, error)
    }

    /// Reading the body failed; `aborted` as for [`Machine::fetch_failed`].
    /// A source fed by a stream fails (CLOSED).
    pub fn read_failed(&mut self, now: Instant, aborted: bool) {
        if self.phase != Phase::Reading {
            return;
        }
        if self.from_stream {
            return self.fail(ErrorReason::Network, 0);
        }
        self.network_error(now, if aborted { NetworkError::Aborted } else { NetworkError::Transient });
    }

    /// `reset()`: the event being assembled and any incomplete line are
    /// discarded, and the next bytes may start with a BOM, as at a new
    /// connection (an application pipes one stream after another into a
    /// source fed by a stream); the last event ID and the reconnection time
    /// stay. Events already parsed are dispatched. Nothing before the source
    /// opened, or after it closed.
    pub fn reset(&mut self) {
        if self.phase == Phase::Reading {
            self.parser.reset();
        }
    }

    /// Whether a connection is in use: a request, a probe or a body in
    /// flight (never for a source fed by a stream).
    pub fn uses_connection(&self) -> bool {
        !self.from_stream && matches!(self.phase, Phase::Fetching | Phase::Probing { .. } | Phase::Reading)
    }

    /// The settings it was made with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Whether the source is fed by a stream ([`Machine::from_stream`]).
    pub fn is_from_stream(&self) -> bool {
        self.from_stream
    }

    /// `close()`: CLOSED at once, and nothing more is told (spec 13): what
    /// waits in the queue is dropped. The driver aborts the fetch and
    /// cancels its timer. The event being assembled is discarded and the
    /// parser's buffers are given back; the last event ID stays readable.
    pub fn close(&mut self) {
        self.shut();
        self.ready_state = ReadyState::Closed;
        self.queue = Vec::new();
        self.events = String::new();
    }

    // ---- Internals -------------------------------------------------------------------

    fn push(&mut self, output: Output) {
        self.queue.push(Entry::Output(output));
    }

    /// Queues `warning`, unless it was given before.
    fn warn(&mut self, warning: Warning) {
        let bit = warning.bit();
        if self.warned & bit == 0 {
            self.warned |= bit;
            self.push(Output::Warning(warning));
        }
    }

    /// When nothing received for the inactivity timeout reestablishes (∞: never).
    fn inactivity_deadline(&self) -> Instant {
        match self.settings.inactivity_timeout {
            0 => f64::INFINITY,
            timeout => self.last_activity + f64::from(timeout),
        }
    }

    /// When the request, unanswered, asks for [`Output::CountConnections`]
    /// (∞: not this attempt).
    fn count_deadline(&self) -> Instant {
        let due = self.phase == Phase::Fetching
            && self.settings.diagnose_connection_limit
            && !self.counted
            && self.warned & Warning::ConnectionLimit { open: 0 }.bit() == 0;
        if due {
            self.last_activity + f64::from(ANSWER_WAIT)
        } else {
            f64::INFINITY
        }
    }

    /// An attempt: the scheme checked, then the request.
    fn connect(&mut self, now: Instant) {
        if !fetchable_scheme(&self.url) {
            // Retrying cannot help (spec 5).
            return self.fail(ErrorReason::Network, 0);
        }
        self.parser.reset();
        self.phase = Phase::Fetching;
        self.with_last_event_id = true;
        self.counted = false;
        self.last_activity = now;
        self.last_read = now;
        self.push(Output::Fetch);
    }

    /// A network error of the request or the body, classified (spec 4, 5).
    fn network_error(&mut self, now: Instant, error: NetworkError) {
        match error {
            NetworkError::Transient => self.reestablish(now, ErrorReason::Network),
            NetworkError::Cors if self.phase == Phase::Fetching && self.request().last_event_id.is_some() => {
                self.with_last_event_id = false;
                self.last_activity = now;
                self.push(Output::Fetch);
            }
            NetworkError::Aborted | NetworkError::Futile | NetworkError::Cors => self.fail(ErrorReason::Network, 0),
        }
    }

    fn reestablish(&mut self, now: Instant, reason: ErrorReason) {
        if self.attempts >= self.settings.policy.max_attempts {
            return self.fail(ErrorReason::RetriesExhausted, 0);
        }
        self.attempts += 1;
        let delay = self.delay();
        self.phase = Phase::Waiting { until: now + f64::from(delay) };
        let error = Error { ready_state: ReadyState::Connecting, reason, status: 0, delay: Some(delay) };
        self.push(Output::Error(error));
    }

    /// The delay before reconnection number `self.attempts` (see [`RetryPolicy`]).
    fn delay(&mut self) -> u32 {
        let policy = &self.settings.policy;
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

    /// Fails for good (spec 12), after what is queued already.
    fn fail(&mut self, reason: ErrorReason, status: u16) {
        if self.phase == Phase::Closed {
            return;
        }
        self.shut();
        self.push(Output::Error(Error { ready_state: ReadyState::Closed, reason, status, delay: None }));
    }

    /// No more input counts: the parser's memory is given back.
    fn shut(&mut self) {
        self.phase = Phase::Closed;
        self.parser.release();
    }
}

/// Adds `event` to a batch: its type, data and last event ID, each field
/// followed by a CR, which none can contain (the parser ends lines there).
/// Returns whether the batch is full ([`BATCH_BYTES`]): hand it over.
pub fn push_event(batch: &mut String, event: &Event<'_>) -> bool {
    for field in [event.event_type, event.data, event.last_event_id] {
        batch.push_str(field);
        batch.push('\r');
    }
    batch.len() >= BATCH_BYTES
}

/// The events of a batch ([`push_event`], [`Machine::take_events`]), in order.
pub fn events_in(batch: &str) -> impl Iterator<Item = Event<'_>> {
    let mut fields = batch.split('\r');
    core::iter::from_fn(move || {
        Some(Event { event_type: fields.next()?, data: fields.next()?, last_event_id: fields.next()? })
    })
}

/// Whether fetch can load the URL's scheme; others fail at once (spec 5).
pub fn fetchable_scheme(url: &str) -> bool {
    // Bytes, not `str` patterns: this is in the wasm, where size counts.
    let bytes = url.as_bytes();
    let scheme = &bytes[..bytes.iter().position(|&b| b == b':').unwrap_or(bytes.len())];
    [&b"http"[..], b"https", b"data", b"blob"].iter().any(|s| scheme.eq_ignore_ascii_case(s))
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

/// The parser's sink while reading: events into the batch, `retry` values
/// into the reconnection time, once the events before them were taken.
struct Batch<'a> {
    events: &'a mut String,
    queue: &'a mut Vec<Entry>,
    reconnection_time: &'a mut u32,
    /// The events and comments parsed (for [`Warning::HeldBack`]).
    count: u32,
}

impl Sink for Batch<'_> {
    fn event(&mut self, event: Event<'_>) -> ControlFlow<()> {
        self.count += 1;
        if self.events.is_empty() {
            self.queue.push(Entry::Output(Output::Events));
        }
        // A full batch goes before the rest of the chunk is parsed.
        if push_event(self.events, &event) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
    fn retry(&mut self, millis: u64) -> ControlFlow<()> {
        let time = retry_delay(millis);
        if self.queue.is_empty() {
            *self.reconnection_time = time;
            return ControlFlow::Continue(());
        }
        // Events wait: they see the reconnection time they came with.
        self.queue.push(Entry::Retry(time));
        ControlFlow::Break(())
    }
    fn comment(&mut self, _: &str) -> ControlFlow<()> {
        self.count += 1;
        ControlFlow::Continue(())
    }
}

/// Whether a `Content-Type` value's MIME type essence is `text/event-stream`
/// (MIME Sniffing standard, "parse a MIME type"): type and subtype are
/// ASCII case-insensitive, surrounded by HTTP whitespace, and may be
/// followed by parameters (`;charset=utf-8`) or a lone `;`.
pub fn is_event_stream(content_type: &str) -> bool {
    let bytes = content_type.as_bytes();
    let essence = &bytes[..bytes.iter().position(|&b| b == b';').unwrap_or(bytes.len())];
    let text = |b: &u8| !matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let start = essence.iter().position(text).unwrap_or(essence.len());
    let end = essence.iter().rposition(text).map_or(start, |last| last + 1);
    essence[start..end].eq_ignore_ascii_case(b"text/event-stream")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::Item;
    use alloc::vec::Vec;

    const URL: &str = "http://a.test/events";
    const ORIGIN: &str = "http://a.test";
    const T0: Instant = 1000.0;
    const STREAM: Option<&str> = Some("text/event-stream");

    /// What an input led to, as the outputs polled after it say (events
    /// are taken and left out; at most one other output is expected).
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Transition {
        None,
        Connect,
        Probe,
        Open,
        Reconnect { delay_ms: u32, cause: ErrorReason },
        Fail(ErrorReason, u16),
        Count,
        Warn(Warning),
    }

    /// Takes every output; events go to `items`.
    fn drain(machine: &mut Machine, items: &mut Vec<Item>) -> Transition {
        let mut transition = Transition::None;
        while let Some(output) = machine.poll() {
            assert_eq!(transition, Transition::None, "one output at most besides events, then {output:?}");
            transition = match output {
                Output::Fetch => Transition::Connect,
                Output::Probe => Transition::Probe,
                Output::Open => Transition::Open,
                Output::Events => {
                    let batch = machine.take_events();
                    items.extend(events_in(&batch).map(|event| Item::Event(event.into())));
                    machine.recycle(batch);
                    Transition::None
                }
                Output::Error(Error {
                    ready_state: ReadyState::Connecting,
                    reason,
                    status: 0,
                    delay: Some(delay_ms),
                }) => Transition::Reconnect { delay_ms, cause: reason },
                Output::Error(Error { ready_state: ReadyState::Closed, reason, status, delay: None }) => {
                    Transition::Fail(reason, status)
                }
                Output::Error(error) => panic!("{error:?}"),
                Output::CountConnections => Transition::Count,
                Output::Warning(warning) => Transition::Warn(warning),
            };
        }
        transition
    }

    /// An input, and what it led to.
    fn step(machine: &mut Machine, input: impl FnOnce(&mut Machine)) -> Transition {
        input(machine);
        drain(machine, &mut Vec::new())
    }

    /// The whole chunk, fed as a driver does (taking the outputs whenever
    /// the machine stops); events go to `items`.
    fn feed(machine: &mut Machine, now: Instant, chunk: &[u8], items: &mut Vec<Item>) -> Transition {
        let mut rest = chunk;
        loop {
            let consumed = machine.feed(now, rest);
            rest = &rest[consumed..];
            let transition = drain(machine, items);
            if rest.is_empty() || machine.ready_state() != ReadyState::Open {
                return transition;
            }
            assert_eq!(transition, Transition::None);
        }
    }

    fn machine_with(settings: Settings) -> Machine {
        Machine::new(URL, ORIGIN, Parser::new(), settings)
    }

    fn started(settings: Settings) -> Machine {
        let mut machine = machine_with(settings);
        assert_eq!(step(&mut machine, |m| m.start(T0)), Transition::Connect);
        machine
    }

    fn open_machine() -> Machine {
        let mut machine = started(Settings::default());
        assert_eq!(step(&mut machine, |m| m.response(T0, 200, STREAM, None, false)), Transition::Open);
        machine
    }

    /// Fires the timer at the machine's deadline, online.
    fn wait_out(machine: &mut Machine) -> Transition {
        let deadline = machine.poll_timeout().expect("a deadline");
        step(machine, |m| m.handle_timeout(deadline, true))
    }

    fn settings_with(policy: RetryPolicy) -> Settings {
        Settings { policy, seed: 7, ..Settings::default() }
    }

    #[test]
    fn spec_3_starts_connecting_and_fetches_at_once() {
        let mut machine = machine_with(Settings::default());
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
        assert_eq!(machine.reconnection_time(), 3000);
        assert_eq!(machine.poll_timeout(), None);
        // Nothing but start() starts it; start() only once.
        assert_eq!(step(&mut machine, |m| m.handle_timeout(T0, true)), Transition::None);
        assert_eq!(step(&mut machine, |m| m.online(T0)), Transition::None);
        assert_eq!(step(&mut machine, |m| m.start(T0)), Transition::Connect);
        assert_eq!(step(&mut machine, |m| m.start(T0)), Transition::None);
        assert_eq!(machine.request(), Request { url: URL, last_event_id: None, drop_credentials: false });
    }

    /// The data of the events in `items`.
    fn data(items: &[Item]) -> Vec<String> {
        items
            .iter()
            .filter_map(|item| match item {
                Item::Event(event) => Some(event.data.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn from_stream_opens_at_start_with_no_request_and_origin_null() {
        let mut machine = Machine::from_stream(Parser::new(), Settings::default());
        assert_eq!(machine.url(), STREAM_URL);
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
        assert_eq!(step(&mut machine, |m| m.start(T0)), Transition::Open);
        assert_eq!(machine.ready_state(), ReadyState::Open);
        assert_eq!(machine.origin(), "null");
        assert_eq!(machine.poll_timeout(), None);
        let mut items = Vec::new();
        assert_eq!(feed(&mut machine, T0, b"retry: 5000\nid: 42\ndata: hello\n\n", &mut items), Transition::None);
        assert_eq!(data(&items), ["hello"]);
        assert_eq!((machine.last_event_id(), machine.reconnection_time()), ("42", 5000));
    }

    #[test]
    fn from_stream_the_end_or_a_failure_of_the_stream_closes_it_with_no_reconnection() {
        for end in [true, false] {
            let mut machine = Machine::from_stream(Parser::new(), Settings::default());
            step(&mut machine, |m| m.start(T0));
            let mut items = Vec::new();
            // A partial event at the end is discarded (spec 21), the complete one dispatched first.
            feed(&mut machine, T0, b"data: one\n\ndata: partial", &mut items);
            let reason = if end { ErrorReason::EndOfStream } else { ErrorReason::Network };
            let input = |m: &mut Machine| if end { m.end_of_stream(T0) } else { m.read_failed(T0, false) };
            assert_eq!(step(&mut machine, input), Transition::Fail(reason, 0));
            assert_eq!((data(&items), machine.ready_state()), (alloc::vec!["one".into()], ReadyState::Closed));
            assert_eq!(machine.poll_timeout(), None, "no reconnection");
            assert_eq!(step(&mut machine, |m| m.handle_timeout(T0 + 1e9, true)), Transition::None);
            assert_eq!(step(&mut machine, |m| m.online(T0)), Transition::None);
        }
    }

    #[test]
    fn from_stream_reset_drops_the_partial_event_and_keeps_the_id_and_retry() {
        let mut machine = Machine::from_stream(Parser::new(), Settings::default());
        assert_eq!(step(&mut machine, |m| m.reset()), Transition::None, "before it opens: nothing");
        step(&mut machine, |m| m.start(T0));
        let mut items = Vec::new();
        feed(&mut machine, T0, b"retry: 700\nid: 7\ndata: first\n\nid: 8\ndata: cut", &mut items);
        machine.reset();
        // A new stream may start with a BOM again.
        feed(&mut machine, T0, b"\xEF\xBB\xBFdata: second\n\n", &mut items);
        assert_eq!(data(&items), ["first", "second"]);
        assert_eq!((machine.last_event_id(), machine.reconnection_time()), ("7", 700));
        if let Some(Item::Event(event)) = items.last() {
            assert_eq!(event.last_event_id, "7", "the cut event's id is forgotten");
        }
    }

    #[test]
    fn from_stream_an_inactivity_timeout_closes_it() {
        let settings = Settings { inactivity_timeout: 500, ..Settings::default() };
        let mut machine = Machine::from_stream(Parser::new(), settings);
        step(&mut machine, |m| m.start(T0));
        assert_eq!(machine.poll_timeout(), Some(T0 + 500.0));
        assert_eq!(
            step(&mut machine, |m| m.handle_timeout(T0 + 500.0, true)),
            Transition::Fail(ErrorReason::Timeout, 0)
        );
    }

    #[test]
    fn spec_5_a_scheme_fetch_cannot_load_fails_at_once() {
        for url in ["ftp://a.test/", "about:blank", "mailto:a@a.test", "javascript:0", "file:///x"] {
            let mut machine = Machine::new(url, "null", Parser::new(), Settings::default());
            assert_eq!(step(&mut machine, |m| m.start(T0)), Transition::Fail(ErrorReason::Network, 0), "{url}");
            assert_eq!(machine.ready_state(), ReadyState::Closed);
        }
        for url in ["HTTP://a.test/", "https://a.test/", "data:text/event-stream,x", "blob:http://a.test/1"] {
            assert_eq!(
                step(&mut Machine::new(url, "null", Parser::new(), Settings::default()), |m| m.start(T0)),
                Transition::Connect,
                "{url}"
            );
        }
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
        for (status, content_type, reason, expected) in [
            (204, STREAM, ErrorReason::Status, 204),
            (404, STREAM, ErrorReason::Status, 404),
            (500, None, ErrorReason::Status, 500),
            (301, None, ErrorReason::Status, 301),
            (200, Some("text/plain"), ErrorReason::ContentType, 200),
            (200, None, ErrorReason::ContentType, 200),
        ] {
            let mut machine = started(Settings::default());
            assert_eq!(
                step(&mut machine, |m| m.response(T0, status, content_type, None, false)),
                Transition::Fail(reason, expected)
            );
            assert_eq!(machine.ready_state(), ReadyState::Closed);
            // spec 12: never reconnect.
            assert_eq!(machine.poll_timeout(), None);
            assert_eq!(step(&mut machine, |m| m.handle_timeout(T0 + 1e9, true)), Transition::None);
            assert_eq!(step(&mut machine, |m| m.online(T0)), Transition::None);
        }
    }

    #[test]
    fn spec_8_to_11_end_of_stream_reconnects_after_the_delay_with_the_last_event_id() {
        let mut machine = open_machine();
        let mut items = Vec::new();
        let transition = feed(&mut machine, T0, b"retry: 1500\nid: 4\ndata: a\n\nid: 5\ndata: lost", &mut items);
        assert_eq!(transition, Transition::None);
        assert_eq!(items.len(), 1);
        assert_eq!(machine.reconnection_time(), 1500);
        assert_eq!(
            step(&mut machine, |m| m.end_of_stream(T0 + 10.0)),
            Transition::Reconnect { delay_ms: 1500, cause: ErrorReason::EndOfStream }
        );
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
        // spec 10: the wait is the machine's.
        assert_eq!(machine.poll_timeout(), Some(T0 + 1510.0));
        assert_eq!(step(&mut machine, |m| m.handle_timeout(T0 + 1509.0, true)), Transition::None);
        assert_eq!(step(&mut machine, |m| m.handle_timeout(T0 + 1510.0, true)), Transition::Connect);
        assert_eq!(machine.request().last_event_id, Some("4"));
        // The next connection opens as the first did.
        assert_eq!(step(&mut machine, |m| m.response(T0 + 1600.0, 200, STREAM, None, false)), Transition::Open);
    }

    #[test]
    fn spec_5_network_errors_reconnect() {
        let mut machine = open_machine();
        assert_eq!(
            step(&mut machine, |m| m.read_failed(T0, false)),
            Transition::Reconnect { delay_ms: 3000, cause: ErrorReason::Network }
        );
        // The same failure reported twice (fetch and reader) counts once.
        assert_eq!(step(&mut machine, |m| m.read_failed(T0, false)), Transition::None);
        assert_eq!(step(&mut machine, |m| m.fetch_failed(T0, false)), Transition::None);
        assert_eq!(wait_out(&mut machine), Transition::Connect);
        assert_eq!(
            step(&mut machine, |m| m.fetch_failed(T0, false)),
            Transition::Reconnect { delay_ms: 3000, cause: ErrorReason::Network }
        );
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
    }

    #[test]
    fn spec_4_an_abort_fails_connecting_or_open() {
        // Not by close(): the document aborted the fetch (window.stop()).
        let mut machine = started(Settings::default());
        assert_eq!(step(&mut machine, |m| m.fetch_failed(T0, true)), Transition::Fail(ErrorReason::Network, 0));
        assert_eq!(machine.poll_timeout(), None);
        let mut machine = open_machine();
        assert_eq!(step(&mut machine, |m| m.read_failed(T0, true)), Transition::Fail(ErrorReason::Network, 0));
        assert_eq!(machine.ready_state(), ReadyState::Closed);
    }

    /// A machine (probing CORS failures) whose stream set `id` and ended:
    /// CONNECTING, with the reconnection's request made.
    fn reconnecting_with_id(id: &[u8]) -> Machine {
        let mut machine = started(Settings { probe_cors: true, ..Settings::default() });
        assert_eq!(step(&mut machine, |m| m.response(T0, 200, STREAM, None, false)), Transition::Open);
        let _ = feed(&mut machine, T0, id, &mut Vec::new());
        assert!(matches!(step(&mut machine, |m| m.end_of_stream(T0)), Transition::Reconnect { .. }));
        assert_eq!(wait_out(&mut machine), Transition::Connect);
        machine
    }

    /// Fetch fails, the probe says `opaque`.
    fn cors_failure(machine: &mut Machine) -> Transition {
        assert_eq!(step(machine, |m| m.fetch_failed(T0, false)), Transition::Probe);
        step(machine, |m| m.probe_settled(T0, Some(true)))
    }

    #[test]
    fn spec_11_last_event_id_header() {
        let machine = started(Settings::default());
        assert_eq!(machine.request().last_event_id, None);
        let machine = reconnecting_with_id(b"id: 7\n\n");
        assert_eq!(machine.request().last_event_id, Some("7"));
        let mut parser = Parser::new();
        parser.set_last_event_id("saved");
        let mut machine = Machine::new(URL, ORIGIN, parser, Settings::default());
        assert_eq!(step(&mut machine, |m| m.start(T0)), Transition::Connect);
        assert_eq!(machine.request().last_event_id, Some("saved"));
    }

    #[test]
    fn spec_5_the_probe_tells_a_cors_failure_from_a_network_error() {
        let probing = || started(Settings { probe_cors: true, ..Settings::default() });
        // An opaque answer: CORS, which fails.
        let mut machine = probing();
        assert_eq!(cors_failure(&mut machine), Transition::Fail(ErrorReason::Network, 0));
        // A plain answer (same origin: a reset), or none: a network error.
        for answer in [Some(false), None] {
            let mut machine = probing();
            assert_eq!(step(&mut machine, |m| m.fetch_failed(T0, false)), Transition::Probe);
            assert_eq!(machine.ready_state(), ReadyState::Connecting);
            assert_eq!(
                step(&mut machine, |m| m.probe_settled(T0 + 5.0, answer)),
                Transition::Reconnect { delay_ms: 3000, cause: ErrorReason::Network }
            );
            assert_eq!(machine.poll_timeout(), Some(T0 + 3005.0));
        }
        // A probe that never answers: a network error after PROBE_TIMEOUT.
        let mut machine = probing();
        assert_eq!(step(&mut machine, |m| m.fetch_failed(T0, false)), Transition::Probe);
        assert_eq!(machine.poll_timeout(), Some(T0 + f64::from(PROBE_TIMEOUT)));
        assert_eq!(step(&mut machine, |m| m.handle_timeout(T0 + 1.0, true)), Transition::None);
        assert_eq!(wait_out(&mut machine), Transition::Reconnect { delay_ms: 3000, cause: ErrorReason::Network });
        // Its late answer is ignored.
        assert_eq!(step(&mut machine, |m| m.probe_settled(T0, Some(true))), Transition::None);
        // An abort is not probed; a runtime without CORS (or a custom fetch) probes nothing.
        let mut machine = probing();
        assert_eq!(step(&mut machine, |m| m.fetch_failed(T0, true)), Transition::Fail(ErrorReason::Network, 0));
        let mut machine = started(Settings::default());
        assert_eq!(
            step(&mut machine, |m| m.fetch_failed(T0, false)),
            Transition::Reconnect { delay_ms: 3000, cause: ErrorReason::Network }
        );
    }

    #[test]
    fn a_cors_failure_with_last_event_id_retries_once_without_it() {
        let mut machine = reconnecting_with_id(b"id: 7\n\n");
        assert_eq!(cors_failure(&mut machine), Transition::Connect);
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
        assert_eq!(machine.request().last_event_id, None);
        // The ID itself is kept: the events of the new stream carry it.
        assert_eq!(machine.last_event_id(), "7");
        // The retry passes CORS: the stream goes on.
        assert_eq!(step(&mut machine, |m| m.response(T0, 200, STREAM, None, false)), Transition::Open);
        // The next reconnection tries the header again.
        assert!(matches!(step(&mut machine, |m| m.end_of_stream(T0)), Transition::Reconnect { .. }));
        assert_eq!(wait_out(&mut machine), Transition::Connect);
        assert_eq!(machine.request().last_event_id, Some("7"));
        // The retry fails CORS too: a CORS failure, whatever the header.
        assert_eq!(cors_failure(&mut machine), Transition::Connect);
        assert_eq!(cors_failure(&mut machine), Transition::Fail(ErrorReason::Network, 0));
        assert_eq!(machine.ready_state(), ReadyState::Closed);
        assert_eq!(machine.poll_timeout(), None);
    }

    #[test]
    fn other_failures_with_last_event_id_are_not_retried_without_it() {
        let mut machine = reconnecting_with_id(b"id: 7\n\n");
        assert!(matches!(step(&mut machine, |m| m.fetch_failed(T0, false)), Transition::Probe));
        assert!(matches!(step(&mut machine, |m| m.probe_settled(T0, None)), Transition::Reconnect { .. }));
        assert_eq!(wait_out(&mut machine), Transition::Connect);
        assert_eq!(machine.request().last_event_id, Some("7"));
        assert_eq!(step(&mut machine, |m| m.fetch_failed(T0, true)), Transition::Fail(ErrorReason::Network, 0));
        // Without an ID, a CORS failure fails at once.
        let mut machine = started(Settings { probe_cors: true, ..Settings::default() });
        assert_eq!(cors_failure(&mut machine), Transition::Fail(ErrorReason::Network, 0));
    }

    #[test]
    fn spec_13_close_silences_everything() {
        let mut machine = open_machine();
        machine.close();
        assert_eq!(machine.ready_state(), ReadyState::Closed);
        let mut items: Vec<Item> = Vec::new();
        assert_eq!(feed(&mut machine, T0, b"data: x\n\n", &mut items), Transition::None);
        assert!(items.is_empty());
        assert_eq!(step(&mut machine, |m| m.read_failed(T0, true)), Transition::None);
        assert_eq!(step(&mut machine, |m| m.end_of_stream(T0)), Transition::None);
        assert_eq!(step(&mut machine, |m| m.response(T0, 200, STREAM, None, false)), Transition::None);
        assert_eq!(machine.poll_timeout(), None);
        assert_eq!(step(&mut machine, |m| m.handle_timeout(T0 + 1e9, true)), Transition::None);
        assert_eq!(step(&mut machine, |m| m.online(T0)), Transition::None);
        // Closed while waiting: the wait is over.
        let mut machine = open_machine();
        assert!(matches!(step(&mut machine, |m| m.end_of_stream(T0)), Transition::Reconnect { .. }));
        machine.close();
        assert_eq!(machine.poll_timeout(), None);
        assert_eq!(step(&mut machine, |m| m.handle_timeout(T0 + 1e9, true)), Transition::None);
    }

    #[test]
    fn closing_or_failing_discards_the_event_being_assembled_and_keeps_the_last_event_id() {
        // The driver frees a closed connection's memory at once; the machine
        // gives back what the parser holds (tests/memory.rs measures it).
        let mut items: Vec<Item> = Vec::new();
        let mut machine = open_machine();
        let _ = feed(&mut machine, T0, b"id: 9\ndata: a\n\ndata: half an event", &mut items);
        assert!(machine.parser.pending_bytes() > 0);
        machine.close();
        assert_eq!(machine.parser.pending_bytes(), 0);
        assert_eq!(machine.last_event_id(), "9");
        let mut machine = open_machine();
        let _ = feed(&mut machine, T0, b"id: 9\ndata: a\n\ndata: half an event", &mut items);
        assert!(matches!(step(&mut machine, |m| m.end_of_stream(T0)), Transition::Reconnect { .. }));
        let _ = wait_out(&mut machine);
        assert_eq!(
            step(&mut machine, |m| m.response(T0, 500, STREAM, None, false)),
            Transition::Fail(ErrorReason::Status, 500)
        );
        assert_eq!(machine.parser.pending_bytes(), 0);
        assert_eq!(machine.last_event_id(), "9");
    }

    #[test]
    fn inputs_only_queue_and_the_getters_move_with_what_is_taken() {
        let mut machine = machine_with(Settings::default());
        machine.start(T0);
        machine.response(T0, 200, STREAM, None, false);
        // Nothing told yet: still CONNECTING.
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
        assert_eq!(machine.poll(), Some(Output::Fetch));
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
        assert_eq!(machine.poll(), Some(Output::Open));
        assert_eq!(machine.ready_state(), ReadyState::Open);
        assert_eq!(machine.poll(), None);
        // Events, then a failure: OPEN while the events are dispatched, CLOSED with the error.
        let mut machine = Machine::new(URL, ORIGIN, Parser::with_max_buffer_size(8), Settings::default());
        machine.start(T0);
        machine.response(T0, 200, STREAM, None, false);
        while machine.poll().is_some() {}
        assert_eq!(machine.feed(T0, b"id: 1\ndata: a\n\ndata: 0123456789"), 31);
        assert_eq!(machine.poll(), Some(Output::Events));
        assert_eq!(machine.take_events(), "message\ra\r1\r");
        assert_eq!(machine.ready_state(), ReadyState::Open);
        let error = Error { ready_state: ReadyState::Closed, reason: ErrorReason::BufferFull, status: 0, delay: None };
        assert_eq!(machine.poll(), Some(Output::Error(error)));
        assert_eq!(machine.ready_state(), ReadyState::Closed);
        assert_eq!(machine.poll(), None);
    }

    #[test]
    fn a_retry_field_counts_once_the_events_before_it_were_taken() {
        let mut machine = open_machine();
        let chunk = b"data: a\n\nretry: 50\ndata: b\n\n";
        let consumed = machine.feed(T0, chunk);
        assert_eq!(&chunk[..consumed], b"data: a\n\nretry: 50\n", "the parser stops after the retry field");
        assert_eq!(machine.poll(), Some(Output::Events));
        assert_eq!(machine.reconnection_time(), 3000, "the event before it still sees the old time");
        let batch = machine.take_events();
        assert_eq!(events_in(&batch).map(|event| event.data).collect::<Vec<_>>(), ["a"]);
        machine.recycle(batch);
        assert_eq!(machine.poll(), None);
        assert_eq!(machine.reconnection_time(), 50);
        assert_eq!(machine.feed(T0, &chunk[consumed..]), chunk.len() - consumed);
        assert_eq!(machine.poll(), Some(Output::Events));
        assert_eq!(machine.take_events(), "message\rb\r\r");
        // Without events waiting, the time is taken at once.
        assert_eq!(machine.feed(T0, b"retry: 70\n"), 10);
        assert_eq!((machine.poll(), machine.reconnection_time()), (None, 70));
    }

    #[test]
    fn events_come_in_batches_and_feeding_waits_for_them_to_be_taken() {
        let mut machine = open_machine();
        let data = "x".repeat(100);
        let stream: alloc::string::String = (0..100).map(|i| alloc::format!("id: {i}\ndata: {data}\n\n")).collect();
        let mut rest = stream.as_bytes();
        let mut batches = Vec::new();
        let mut ids = Vec::new();
        while !rest.is_empty() {
            let consumed = machine.feed(T0, rest);
            assert!(consumed > 0);
            rest = &rest[consumed..];
            // Outputs wait: nothing more is consumed until they are taken.
            assert_eq!(machine.feed(T0, rest), 0);
            assert_eq!(machine.poll(), Some(Output::Events));
            let batch = machine.take_events();
            batches.push(batch.len());
            ids.extend(events_in(&batch).map(|event| event.last_event_id.parse::<u32>().unwrap()));
            machine.recycle(batch);
            assert_eq!(machine.poll(), None);
        }
        assert_eq!(ids, (0..100).collect::<Vec<_>>(), "every event once, in order");
        let event = "message\r".len() + data.len() + "\r99\r".len();
        assert!(batches.len() >= 100 * event / (BATCH_BYTES + event), "{batches:?}");
        assert!(batches.iter().all(|&len| len < BATCH_BYTES + event), "{batches:?}");
    }

    #[test]
    fn spec_13_close_drops_what_was_queued() {
        let mut machine = open_machine();
        assert_eq!(machine.feed(T0, b"data: a\n\n"), 9);
        machine.end_of_stream(T0);
        machine.close();
        assert_eq!(machine.ready_state(), ReadyState::Closed);
        assert_eq!(machine.poll(), None);
        assert_eq!(machine.take_events(), "");
    }

    #[test]
    fn retry_is_clamped_to_what_a_timer_can_hold() {
        let mut machine = open_machine();
        let mut items = Vec::new();
        let _ = feed(&mut machine, T0, b"retry: 99999999999999\n", &mut items);
        assert_eq!(machine.reconnection_time(), MAX_TIMER_DELAY);
        let _ = feed(&mut machine, T0, b"retry: 0\n", &mut items);
        assert_eq!(
            step(&mut machine, |m| m.end_of_stream(T0)),
            Transition::Reconnect { delay_ms: 0, cause: ErrorReason::EndOfStream }
        );
        assert_eq!(machine.poll_timeout(), Some(T0));
    }

    #[test]
    fn a_parse_error_fails_the_connection() {
        let mut machine = Machine::new(URL, ORIGIN, Parser::with_max_buffer_size(8), Settings::default());
        assert_eq!(step(&mut machine, |m| m.start(T0)), Transition::Connect);
        assert_eq!(step(&mut machine, |m| m.response(T0, 200, STREAM, None, false)), Transition::Open);
        let mut items = Vec::new();
        let transition = feed(&mut machine, T0, b"data: 0123456789", &mut items);
        assert_eq!(transition, Transition::Fail(ErrorReason::BufferFull, 0));
        assert_eq!(machine.ready_state(), ReadyState::Closed);
    }

    /// Drops the connection `n` times in a row (each reconnection fetches and
    /// fails before opening) and returns the delays.
    fn delays(machine: &mut Machine, n: usize) -> Vec<u32> {
        (0..n)
            .map(|_| {
                let now = machine.poll_timeout().unwrap_or(T0);
                assert_eq!(step(machine, |m| m.handle_timeout(now, true)), Transition::Connect);
                match step(machine, |m| m.fetch_failed(now, false)) {
                    Transition::Reconnect { delay_ms, cause: ErrorReason::Network } => {
                        assert_eq!(machine.poll_timeout(), Some(now + f64::from(delay_ms)));
                        delay_ms
                    }
                    other => panic!("{other:?}"),
                }
            })
            .collect()
    }

    /// A machine that has failed once: waiting to reconnect.
    fn failing(settings: Settings) -> Machine {
        let mut machine = started(settings);
        assert!(matches!(step(&mut machine, |m| m.fetch_failed(T0, false)), Transition::Reconnect { .. }));
        machine
    }

    fn policy(initial_delay: u32, max_delay: u32, multiplier: f64, jitter: f64, max_attempts: u32) -> RetryPolicy {
        RetryPolicy { initial_delay, max_delay, multiplier, jitter, max_attempts }
    }

    #[test]
    fn the_default_policy_is_the_standard() {
        let mut machine = failing(Settings::default());
        assert_eq!(delays(&mut machine, 50), [3000; 50]);
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
    }

    #[test]
    fn backoff_grows_by_the_multiplier_up_to_the_cap() {
        let mut machine = failing(settings_with(policy(100, 1000, 2.0, 0.0, u32::MAX)));
        assert_eq!(machine.reconnection_time(), 100);
        assert_eq!(delays(&mut machine, 5), [200, 400, 800, 1000, 1000]);
        // Thousands of attempts: the power overflows to infinity, the cap holds.
        assert!(delays(&mut machine, 3000).iter().all(|&d| d == 1000));
    }

    #[test]
    fn an_open_resets_the_backoff_and_the_server_sets_the_base() {
        let mut machine = failing(settings_with(policy(100, u32::MAX, 3.0, 0.0, u32::MAX)));
        assert_eq!(delays(&mut machine, 2), [300, 900]);
        assert_eq!(wait_out(&mut machine), Transition::Connect);
        assert_eq!(step(&mut machine, |m| m.response(T0, 200, STREAM, None, false)), Transition::Open);
        let _ = feed(&mut machine, T0, b"retry: 50\n", &mut Vec::new());
        assert_eq!(machine.reconnection_time(), 50);
        assert_eq!(
            step(&mut machine, |m| m.end_of_stream(T0)),
            Transition::Reconnect { delay_ms: 50, cause: ErrorReason::EndOfStream }
        );
        assert_eq!(delays(&mut machine, 2), [150, 450]);
        // The cap is the timer's even without max_delay.
        assert!(delays(&mut machine, 40).ends_with(&[MAX_TIMER_DELAY]));
    }

    #[test]
    fn jitter_stays_within_its_bounds_and_varies() {
        let mut machine = failing(Settings { seed: 12345, ..settings_with(policy(1000, 1000, 1.0, 0.5, u32::MAX)) });
        let delays_ = delays(&mut machine, 2000);
        assert!(delays_.iter().all(|&d| (500..=1000).contains(&d)), "{delays_:?}");
        // Spread over the range: both quarters are reached.
        assert!(delays_.iter().any(|&d| d < 625) && delays_.iter().any(|&d| d > 875));
        let mut machine = failing(Settings { seed: 1, ..settings_with(policy(1000, 1000, 1.0, 1.0, u32::MAX)) });
        let full = delays(&mut machine, 500);
        assert!(full.iter().all(|&d| d <= 1000) && full.iter().any(|&d| d < 50));
    }

    #[test]
    fn max_attempts_fails_the_connection() {
        for max_attempts in [0, 1, 3] {
            let mut machine = started(settings_with(policy(10, 10, 1.0, 0.0, max_attempts)));
            if max_attempts > 0 {
                assert!(matches!(step(&mut machine, |m| m.fetch_failed(T0, false)), Transition::Reconnect { .. }));
                assert_eq!(delays(&mut machine, max_attempts as usize - 1).len(), max_attempts as usize - 1);
                assert_eq!(wait_out(&mut machine), Transition::Connect);
            }
            assert_eq!(
                step(&mut machine, |m| m.fetch_failed(T0, false)),
                Transition::Fail(ErrorReason::RetriesExhausted, 0)
            );
            assert_eq!(machine.ready_state(), ReadyState::Closed);
            assert_eq!(machine.poll_timeout(), None);
        }
        // Attempts count since the last open only.
        let mut machine = failing(settings_with(policy(10, 10, 1.0, 0.0, 2)));
        for _ in 0..5 {
            assert_eq!(delays(&mut machine, 1), [10]);
            assert_eq!(wait_out(&mut machine), Transition::Connect);
            assert_eq!(step(&mut machine, |m| m.response(T0, 200, STREAM, None, false)), Transition::Open);
            assert!(matches!(step(&mut machine, |m| m.end_of_stream(T0)), Transition::Reconnect { .. }));
        }
    }

    #[test]
    fn the_inactivity_timeout_counts_from_the_last_byte() {
        let mut machine = started(Settings { inactivity_timeout: 500, ..Settings::default() });
        // Fetching: from the request.
        assert_eq!(machine.poll_timeout(), Some(T0 + 500.0));
        assert_eq!(step(&mut machine, |m| m.response(T0 + 100.0, 200, STREAM, None, false)), Transition::Open);
        assert_eq!(machine.poll_timeout(), Some(T0 + 600.0));
        let _ = feed(&mut machine, T0 + 400.0, b": ping\n", &mut Vec::<Item>::new());
        // A timer set for the old deadline fires early: nothing, and a new deadline.
        assert_eq!(step(&mut machine, |m| m.handle_timeout(T0 + 600.0, true)), Transition::None);
        assert_eq!(machine.poll_timeout(), Some(T0 + 900.0));
        assert_eq!(
            step(&mut machine, |m| m.handle_timeout(T0 + 900.0, true)),
            Transition::Reconnect { delay_ms: 3000, cause: ErrorReason::Timeout }
        );
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
        assert_eq!(machine.poll_timeout(), Some(T0 + 3900.0));
        // A request that never answers times out too.
        assert_eq!(wait_out(&mut machine), Transition::Connect);
        assert_eq!(wait_out(&mut machine), Transition::Reconnect { delay_ms: 3000, cause: ErrorReason::Timeout });
        // Without the option, no deadline while fetching or reading.
        let machine = open_machine();
        assert_eq!(machine.poll_timeout(), None);
    }

    #[test]
    fn offline_the_wait_lasts_until_online() {
        // With `online` events: wait for one.
        let mut machine = failing(Settings::default());
        assert_eq!(step(&mut machine, |m| m.handle_timeout(T0 + 3000.0, false)), Transition::None);
        assert_eq!(machine.poll_timeout(), None);
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
        assert_eq!(step(&mut machine, |m| m.online(T0 + 9000.0)), Transition::Connect);
        // `online` ends the wait early, too.
        let mut machine = failing(Settings::default());
        assert_eq!(step(&mut machine, |m| m.online(T0 + 1.0)), Transition::Connect);
        assert_eq!(step(&mut machine, |m| m.online(T0 + 2.0)), Transition::None);
        // Without them: look again every OFFLINE_POLL ms.
        let mut machine = failing(Settings { online_events: false, ..Settings::default() });
        assert_eq!(step(&mut machine, |m| m.handle_timeout(T0 + 3000.0, false)), Transition::None);
        assert_eq!(machine.poll_timeout(), Some(T0 + 3000.0 + f64::from(OFFLINE_POLL)));
        assert_eq!(step(&mut machine, |m| m.handle_timeout(T0 + 4000.0, false)), Transition::None);
        assert_eq!(step(&mut machine, |m| m.handle_timeout(T0 + 5000.0, true)), Transition::Connect);
    }

    #[test]
    fn a_followed_redirect_moves_the_url_and_may_drop_credentials() {
        let to = |url, origin| Some(Redirect { url, origin });
        let redirected = |method: &str, url: &'static str, origin: &'static str| {
            let mut machine = started(Settings { method: method.into(), ..Settings::default() });
            assert_eq!(step(&mut machine, |m| m.response(T0, 200, STREAM, to(url, origin), false)), Transition::Open);
            assert!(matches!(step(&mut machine, |m| m.end_of_stream(T0)), Transition::Reconnect { .. }));
            assert_eq!(wait_out(&mut machine), Transition::Connect);
            machine
        };
        // Same origin: the final URL, with the credentials headers.
        let machine = redirected("GET", "http://a.test/moved", ORIGIN);
        assert_eq!(machine.origin(), "http://a.test");
        assert_eq!(
            machine.request(),
            Request { url: "http://a.test/moved", last_event_id: None, drop_credentials: false }
        );
        // Another origin: the final URL, without; the event origin is the final URL's (spec 25).
        let machine = redirected("head", "https://b.test:8443/x", "https://b.test:8443");
        assert_eq!(machine.origin(), "https://b.test:8443");
        assert_eq!(
            machine.request(),
            Request { url: "https://b.test:8443/x", last_event_id: None, drop_credentials: true }
        );
        // POST may have become GET: reconnect to the original URL, fetch follows again.
        let mut machine = redirected("POST", "https://b.test/x", "https://b.test");
        assert_eq!(machine.request(), Request { url: URL, last_event_id: None, drop_credentials: false });
        assert_eq!(
            step(&mut machine, |m| m.response(T0, 200, STREAM, to("https://b.test/x", "https://b.test"), false)),
            Transition::Open
        );
        assert_eq!(machine.origin(), "https://b.test");
        // A failed response after a redirect still moves the URL of a GET (for nothing: it fails).
        let mut machine = started(Settings::default());
        assert_eq!(
            step(&mut machine, |m| m.response(T0, 500, None, to("http://c.test/", "http://c.test"), false)),
            Transition::Fail(ErrorReason::Status, 500)
        );
        // Without a redirect, the origin is the URL's.
        let machine = open_machine();
        assert_eq!(machine.origin(), ORIGIN);
    }

    // ---- Diagnostics -------------------------------------------------------------------

    fn diagnosing() -> Settings {
        Settings { diagnose_buffering: true, diagnose_connection_limit: true, ..Settings::default() }
    }

    /// Every output an input led to, events as their count.
    fn outputs(machine: &mut Machine, input: impl FnOnce(&mut Machine)) -> Vec<Output> {
        input(machine);
        core::iter::from_fn(|| {
            let output = machine.poll()?;
            if output == Output::Events {
                let batch = machine.take_events();
                machine.recycle(batch);
            }
            Some(output)
        })
        .collect()
    }

    #[test]
    fn a_content_length_on_an_event_stream_warns_after_open_once() {
        let mut machine = started(diagnosing());
        let open = outputs(&mut machine, |m| m.response(T0, 200, STREAM, None, true));
        assert_eq!(open, [Output::Open, Output::Warning(Warning::ContentLength)]);
        assert_eq!(
            step(&mut machine, |m| m.end_of_stream(T0)),
            Transition::Reconnect { delay_ms: 3000, cause: ErrorReason::EndOfStream }
        );
        assert_eq!(wait_out(&mut machine), Transition::Connect);
        // Once per source.
        assert_eq!(step(&mut machine, |m| m.response(T0 + 3000.0, 200, STREAM, None, true)), Transition::Open);

        // Not asked for, or not an event stream that opens: nothing.
        let mut machine = started(Settings::default());
        assert_eq!(step(&mut machine, |m| m.response(T0, 200, STREAM, None, true)), Transition::Open);
        let mut machine = started(diagnosing());
        assert_eq!(
            step(&mut machine, |m| m.response(T0, 500, STREAM, None, true)),
            Transition::Fail(ErrorReason::Status, 500)
        );
        // A body whole by nature (Firefox gives a `data:` URL's a length).
        let mut machine = Machine::new("data:text/event-stream,data:%20x%0A%0A", "null", Parser::new(), diagnosing());
        assert_eq!(step(&mut machine, |m| m.start(T0)), Transition::Connect);
        assert_eq!(step(&mut machine, |m| m.response(T0, 200, STREAM, None, true)), Transition::Open);
    }

    #[test]
    fn events_held_back_then_sent_at_once_warn_after_them_once() {
        let quiet = f64::from(HELD_BACK_QUIET);
        let mut machine = started(diagnosing());
        assert_eq!(step(&mut machine, |m| m.response(T0, 200, STREAM, None, false)), Transition::Open);
        // A burst that does not come after a silence, and a silence before fewer: nothing.
        let mut items = Vec::new();
        assert_eq!(
            feed(&mut machine, T0 + 10.0, b"data: 1\n\ndata: 2\n\n: 3\n\ndata: 4\n\n", &mut items),
            Transition::None
        );
        let later = T0 + 10.0 + quiet;
        assert_eq!(feed(&mut machine, later, b"data: 5\n\n: 6\n\n", &mut items), Transition::None);
        // Three after the silence, fed in three calls as a driver feeds one read: the
        // warning comes after the events that show it.
        let at = later + quiet + 1.0;
        let mut items = Vec::new();
        assert_eq!(feed(&mut machine, at, b"data: 7\n\n", &mut items), Transition::None);
        assert_eq!(feed(&mut machine, at, b": 8\n\n", &mut items), Transition::None);
        let warned = feed(&mut machine, at, b"data: 9\n\ndata: 10\n\n", &mut items);
        assert_eq!(warned, Transition::Warn(Warning::HeldBack { quiet: HELD_BACK_QUIET + 1 }));
        assert_eq!(items.len(), 3);
        // Once per source.
        let again = at + 2.0 * quiet;
        assert_eq!(feed(&mut machine, again, b"data: 1\n\ndata: 2\n\ndata: 3\n\n", &mut items), Transition::None);

        // The silence counts from the request, not the answer (Firefox's fetch gives the
        // response with the first bytes of its body; Chromium's at once).
        for answered in [T0 + 1.0, T0 + quiet] {
            let mut machine = started(diagnosing());
            assert_eq!(step(&mut machine, |m| m.response(answered, 200, STREAM, None, false)), Transition::Open);
            let warned = feed(&mut machine, T0 + quiet, b"data: 1\n\ndata: 2\n\ndata: 3\n\n", &mut items);
            assert_eq!(warned, Transition::Warn(Warning::HeldBack { quiet: HELD_BACK_QUIET }));
        }

        // Not asked for: nothing.
        let mut machine = open_machine();
        assert_eq!(
            feed(&mut machine, T0 + 2.0 * quiet, b"data: 1\n\ndata: 2\n\ndata: 3\n\n", &mut items),
            Transition::None
        );
        // A stream the application gives is its own (it may batch on purpose).
        let mut machine = Machine::from_stream(Parser::new(), diagnosing());
        assert_eq!(step(&mut machine, |m| m.start(T0)), Transition::Open);
        assert_eq!(
            feed(&mut machine, T0 + 2.0 * quiet, b"data: 1\n\ndata: 2\n\ndata: 3\n\n", &mut items),
            Transition::None
        );
    }

    #[test]
    fn an_unanswered_request_counts_the_connections_and_warns_at_the_limit() {
        let answer_wait = f64::from(ANSWER_WAIT);
        let mut machine = started(diagnosing());
        assert_eq!(machine.poll_timeout(), Some(T0 + answer_wait));
        assert_eq!(wait_out(&mut machine), Transition::Count);
        // Under the limit (a slow server): nothing, and no more counting this attempt.
        assert_eq!(step(&mut machine, |m| m.connections_counted(CONNECTION_LIMIT - 1)), Transition::None);
        assert_eq!(machine.poll_timeout(), None);
        // The next attempt counts again, and at the limit warns.
        assert!(matches!(
            step(&mut machine, |m| m.fetch_failed(T0 + answer_wait, false)),
            Transition::Reconnect { .. }
        ));
        assert_eq!(wait_out(&mut machine), Transition::Connect);
        assert_eq!(wait_out(&mut machine), Transition::Count);
        let open = CONNECTION_LIMIT;
        assert_eq!(
            step(&mut machine, |m| m.connections_counted(open)),
            Transition::Warn(Warning::ConnectionLimit { open })
        );
        // Once per source: no more counting.
        assert!(matches!(step(&mut machine, |m| m.fetch_failed(T0, false)), Transition::Reconnect { .. }));
        assert_eq!(wait_out(&mut machine), Transition::Connect);
        assert_eq!(machine.poll_timeout(), None);

        // A count that comes after the answer: nothing.
        let mut machine = started(diagnosing());
        assert_eq!(wait_out(&mut machine), Transition::Count);
        assert_eq!(step(&mut machine, |m| m.response(T0, 200, STREAM, None, false)), Transition::Open);
        assert_eq!(step(&mut machine, |m| m.connections_counted(10)), Transition::None);
        // An answer in time: no count.
        let mut machine = started(diagnosing());
        assert_eq!(step(&mut machine, |m| m.response(T0 + 1.0, 200, STREAM, None, false)), Transition::Open);
        assert_eq!(machine.poll_timeout(), None);
        // A shorter inactivity timeout goes first; not asked for: no deadline.
        let settings = Settings { inactivity_timeout: 500, ..diagnosing() };
        let mut machine = started(settings);
        assert_eq!(wait_out(&mut machine), Transition::Reconnect { delay_ms: 3000, cause: ErrorReason::Timeout });
        assert_eq!(started(Settings::default()).poll_timeout(), None);
    }

    #[test]
    fn warnings_say_what_is_wrong_and_the_fix() {
        let limit = Warning::ConnectionLimit { open: 12 };
        assert_eq!(limit.code(), "connection-limit");
        assert!(
            limit.message().starts_with("No answer for 3 s, with 12 other streams to this origin open or connecting"),
            "{}",
            limit.message()
        );
        assert!(limit.message().contains("shared: true") && limit.message().contains("HTTP/2"));
        assert_eq!(Warning::ContentLength.code(), "content-length");
        assert!(Warning::ContentLength.message().contains("X-Accel-Buffering: no"));
        let held = Warning::HeldBack { quiet: 61_500 };
        assert_eq!(held.code(), "held-back");
        assert!(held.message().starts_with("Events arrived together after 61 s of silence"), "{}", held.message());
        assert!(held.message().contains("X-Accel-Buffering: no"));
    }
}
