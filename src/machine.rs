//! The life of an `EventSource` as a pure state machine: no I/O, no clock.
//!
//! The machine makes every decision and keeps every time; a driver (the
//! browser's, in `wasm`, or a test) performs what it says and tells it
//! what happened, with the time (quinn-proto's style: every input carries
//! `now`, and [`Machine::poll_timeout`] says when to call
//! [`Machine::handle_timeout`]). It owns the [`ReadyState`], the URL, the
//! reconnection time and the [`Parser`] (and so the last event ID), and
//! implements items 4–13 and 22 of docs/spec.md, and the extensions:
//! the retry policy, the inactivity timeout, the wait while offline.
//!
//! | driver saw | call | the driver then |
//! | --- | --- | --- |
//! | the source was made | [`Machine::start`] | carries out the transition |
//! | its one timer, set for [`Machine::poll_timeout`], fired | [`Machine::handle_timeout`] | carries out the transition |
//! | the runtime's `online` event | [`Machine::online`] | carries out the transition |
//! | response headers | [`Machine::response`] | on [`Transition::Open`], fires `open` with [`Machine::origin`] and reads the body |
//! | a body chunk | [`Machine::feed`] | (events go to the sink as they complete) |
//! | the body ended | [`Machine::end_of_stream`] | carries out the transition |
//! | fetch rejected | [`Machine::fetch_failed`] | carries out the transition |
//! | the probe of [`Transition::Probe`] settled | [`Machine::probe_settled`] | carries out the transition |
//! | reading the body failed | [`Machine::read_failed`] | carries out the transition |
//! | the request could not be made | [`Machine::request_failed`] | carries out the transition |
//! | `close()` | [`Machine::close`] | aborts the fetch, cancels the timer |
//!
//! After every call the driver sets its timer for [`Machine::poll_timeout`]
//! (one timer: a later deadline than the one set only means that the timer
//! fires early and [`Machine::handle_timeout`] does nothing).
//!
//! A [`Transition`] says what to do: [`Transition::Connect`] means "fetch
//! [`Machine::request`]"; [`Transition::Reconnect`] means "abort what is in
//! flight, set CONNECTING, fire `error`" (the machine then waits
//! `delay_ms` itself, through its timeout); [`Transition::Fail`] means
//! "abort, set CLOSED, fire `error`". Once CLOSED, every input returns
//! [`Transition::None`].
//!
//! `Last-Event-ID` is not a CORS-safelisted request header (Fetch), so a
//! cross-origin `fetch()` that carries it is preceded by a CORS preflight,
//! which the native class never makes: a server may refuse it and still
//! serve the native class. A CORS failure of a request that carried the
//! header is therefore retried once, at once, without it
//! ([`Transition::RetryWithoutLastEventId`]); only a CORS failure without
//! it fails the connection. The server then cannot resume from the last
//! event ID, but the stream goes on as the native one does.
//!
//! `fetch()` rejects with the same `TypeError` for a CORS failure (fail) and
//! an unreachable server (reconnect) (spec 5). Where the runtime enforces
//! CORS, the machine asks for a `no-cors` probe of the same URL
//! ([`Transition::Probe`]): an opaque response means that a server of
//! another origin answered, so the failure was CORS; a failure, a plain
//! response or no answer within [`PROBE_TIMEOUT`] means it was not.

use alloc::string::String;
use core::ops::ControlFlow;

use crate::parser::{Event, ParseError, Parser, Sink, Status};

/// A point in time, in milliseconds, on the driver's clock (any epoch).
pub type Instant = f64;

/// How long the `no-cors` probe of [`Transition::Probe`] may take before
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

/// Why a connection is being reestablished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    /// The server ended the response body.
    EndOfStream,
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
    /// failure, and is probed ([`Transition::Probe`]).
    pub probe_cors: bool,
    /// Whether the runtime fires `online` events: then an offline wait ends
    /// at one ([`Machine::online`]); without them it looks again every
    /// [`OFFLINE_POLL`] ms.
    pub online_events: bool,
    /// A random number, the seed of the jitter's.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            policy: RetryPolicy::default(),
            inactivity_timeout: 0,
            method: "GET".into(),
            probe_cors: false,
            online_events: true,
            seed: 0,
        }
    }
}

/// What the driver must carry out after an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Nothing.
    None,
    /// Fetch [`Machine::request`] (spec 11): the first request, or a
    /// reconnection's.
    Connect,
    /// The readyState is now OPEN: fire `open` (spec 7) with
    /// [`Machine::origin`], and read the body.
    Open,
    /// The readyState is now CONNECTING: abort what is in flight, fire
    /// `error` (spec 9). The machine waits `delay_ms` (spec 10), then says
    /// [`Transition::Connect`] from [`Machine::handle_timeout`].
    Reconnect {
        /// The delay the retry policy gives, at most [`MAX_TIMER_DELAY`].
        delay_ms: u32,
        /// What ended the connection.
        cause: Interruption,
    },
    /// The readyState is now CLOSED: abort what is in flight, fire `error`;
    /// never reconnect (spec 12).
    Fail(FailReason),
    /// The request carried `Last-Event-ID` and failed the CORS check: fetch
    /// [`Machine::request`] again at once (it no longer carries the
    /// header); tell the page nothing. The readyState stays CONNECTING,
    /// and the attempt is the same one for the retry policy.
    RetryWithoutLastEventId,
    /// Fetch rejected where the runtime enforces CORS: make a `no-cors`
    /// request for [`Machine::request`]'s URL, with the same credentials
    /// mode, and report with [`Machine::probe_settled`] as soon as its
    /// headers arrive (then abort it).
    Probe,
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
}

impl Machine {
    /// A machine for `url` (absolute, serialized; `origin` is its origin, as
    /// `URL.origin` gives it) in CONNECTING that has not fetched yet,
    /// parsing with `parser` (whose last event ID, if set, is the initial
    /// one).
    pub fn new(url: &str, origin: &str, parser: Parser, settings: Settings) -> Self {
        Machine {
            phase: Phase::New,
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
        }
    }

    /// The current `readyState`.
    pub fn ready_state(&self) -> ReadyState {
        match self.phase {
            Phase::Reading => ReadyState::Open,
            Phase::Closed => ReadyState::Closed,
            _ => ReadyState::Connecting,
        }
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

    /// The URL requests go to (after a followed redirect, the final one).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The origin of the final URL of the open connection (spec 25), as
    /// `URL.origin` gives it.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The request to make on [`Transition::Connect`] and
    /// [`Transition::RetryWithoutLastEventId`], and the URL to probe on
    /// [`Transition::Probe`].
    pub fn request(&self) -> Request<'_> {
        let id = self.parser.last_event_id();
        Request {
            url: &self.url,
            last_event_id: (self.with_last_event_id && !id.is_empty()).then_some(id),
            drop_credentials: self.crossed_origin,
        }
    }

    /// When to call [`Machine::handle_timeout`]: the end of a reconnection
    /// wait, of the inactivity timeout or of a probe; `None`: no deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let deadline = match self.phase {
            Phase::Waiting { until } | Phase::Probing { until } => until,
            Phase::Fetching | Phase::Reading if self.settings.inactivity_timeout > 0 => {
                self.last_activity + f64::from(self.settings.inactivity_timeout)
            }
            _ => return None,
        };
        deadline.is_finite().then_some(deadline)
    }

    /// The first request, at once (online or not, as the native class).
    pub fn start(&mut self, now: Instant) -> Transition {
        match self.phase {
            Phase::New => self.connect(now),
            _ => Transition::None,
        }
    }

    /// The driver's timer fired; `online` is whether the runtime says it is
    /// online (`navigator.onLine`; true where there is no such thing).
    ///
    /// A reconnection wait that is over connects (spec 11), unless the
    /// runtime is offline: then it waits for an `online` event, or without
    /// those looks again every [`OFFLINE_POLL`] ms. Nothing received for the
    /// inactivity timeout reestablishes; a probe that did not answer in
    /// time counts as a network error.
    pub fn handle_timeout(&mut self, now: Instant, online: bool) -> Transition {
        match self.phase {
            Phase::Waiting { until } if now >= until => {
                if online {
                    return self.connect(now);
                }
                let until = if self.settings.online_events { f64::INFINITY } else { now + f64::from(OFFLINE_POLL) };
                self.phase = Phase::Waiting { until };
                Transition::None
            }
            Phase::Fetching | Phase::Reading if self.poll_timeout().is_some_and(|deadline| now >= deadline) => {
                self.reestablish(now, Interruption::Timeout)
            }
            Phase::Probing { until } if now >= until => self.reestablish(now, Interruption::Network),
            _ => Transition::None,
        }
    }

    /// The runtime fired `online`: a reconnection waiting (for the delay, or
    /// for the network) connects at once.
    pub fn online(&mut self, now: Instant) -> Transition {
        match self.phase {
            Phase::Waiting { .. } => self.connect(now),
            _ => Transition::None,
        }
    }

    /// An attempt: the scheme checked, then the request.
    fn connect(&mut self, now: Instant) -> Transition {
        if !fetchable_scheme(&self.url) {
            // Retrying cannot help (spec 5).
            return self.fail(FailReason::Network(NetworkError::Futile));
        }
        self.parser.reset();
        self.phase = Phase::Fetching;
        self.with_last_event_id = true;
        self.last_activity = now;
        Transition::Connect
    }

    /// The fetch gave a response: `status`, the `Content-Type` header, and
    /// the final URL if a redirect was followed.
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
    ) -> Transition {
        if self.phase != Phase::Fetching {
            return Transition::None;
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
            return self.fail(FailReason::Status(status));
        }
        if !content_type.is_some_and(is_event_stream) {
            return self.fail(FailReason::ContentType);
        }
        self.origin = origin;
        self.phase = Phase::Reading;
        self.attempts = 0;
        Transition::Open
    }

    /// Parses a chunk of the body, reporting events and comments to `sink`
    /// (a `retry` field also updates the reconnection time).
    ///
    /// Stops when the sink breaks, or as soon as the machine is CLOSED. A
    /// parse error fails the connection: the returned transition is
    /// [`Transition::Fail`].
    pub fn feed<S: Sink + ?Sized>(&mut self, now: Instant, chunk: &[u8], sink: &mut S) -> (Status, Transition) {
        if self.phase != Phase::Reading {
            return (Status::Paused { consumed: 0 }, Transition::None);
        }
        self.last_activity = now;
        let mut sink = RetryTap { sink, reconnection_time: &mut self.reconnection_time };
        // One parser in the wasm for every caller (the stream parser's too): a
        // virtual call per event costs less than a second copy of the parser.
        match self.parser.feed(chunk, &mut sink as &mut dyn Sink) {
            Ok(status) => (status, Transition::None),
            Err(error) => (Status::Paused { consumed: 0 }, self.fail(FailReason::Parse(error))),
        }
    }

    /// The body ended without a network error: reestablish (spec 8).
    pub fn end_of_stream(&mut self, now: Instant) -> Transition {
        match self.phase {
            Phase::Reading => self.reestablish(now, Interruption::EndOfStream),
            _ => Transition::None,
        }
    }

    /// The request could not be made (a headers callback failed): retry it
    /// as after a network error.
    pub fn request_failed(&mut self, now: Instant) -> Transition {
        match self.phase {
            Phase::Fetching => self.reestablish(now, Interruption::Request),
            _ => Transition::None,
        }
    }

    /// Fetch rejected. `aborted`: the request was aborted (not by
    /// `close()`: by the document, `window.stop()`): fail (spec 4).
    /// Otherwise a network error, or a CORS failure where the runtime
    /// enforces CORS: the machine asks for a probe to tell them apart.
    pub fn fetch_failed(&mut self, now: Instant, aborted: bool) -> Transition {
        if self.phase != Phase::Fetching {
            return Transition::None;
        }
        if aborted {
            return self.network_error(now, NetworkError::Aborted);
        }
        if self.settings.probe_cors {
            self.phase = Phase::Probing { until: now + f64::from(PROBE_TIMEOUT) };
            return Transition::Probe;
        }
        self.network_error(now, NetworkError::Transient)
    }

    /// The probe settled: `Some(true)` an opaque response (a server of
    /// another origin answered: the failure was CORS), `Some(false)` any
    /// other response (a same-origin server answered: a reset), `None` it
    /// failed too (nothing answered).
    pub fn probe_settled(&mut self, now: Instant, opaque: Option<bool>) -> Transition {
        if !matches!(self.phase, Phase::Probing { .. }) {
            return Transition::None;
        }
        self.phase = Phase::Fetching;
        let error = if opaque == Some(true) { NetworkError::Cors } else { NetworkError::Transient };
        self.network_error(now, error)
    }

    /// Reading the body failed; `aborted` as for [`Machine::fetch_failed`].
    pub fn read_failed(&mut self, now: Instant, aborted: bool) -> Transition {
        if self.phase != Phase::Reading {
            return Transition::None;
        }
        self.network_error(now, if aborted { NetworkError::Aborted } else { NetworkError::Transient })
    }

    /// A network error of the request or the body, classified (spec 4, 5).
    fn network_error(&mut self, now: Instant, error: NetworkError) -> Transition {
        match error {
            NetworkError::Transient => self.reestablish(now, Interruption::Network),
            NetworkError::Cors if self.phase == Phase::Fetching && self.request().last_event_id.is_some() => {
                self.with_last_event_id = false;
                self.last_activity = now;
                Transition::RetryWithoutLastEventId
            }
            NetworkError::Aborted | NetworkError::Futile | NetworkError::Cors => self.fail(FailReason::Network(error)),
        }
    }

    /// `close()`: CLOSED at once; the driver aborts the fetch and cancels any
    /// timer, and fires nothing (spec 13). The event being assembled is
    /// discarded and the parser's buffers are given back; the last event ID
    /// stays readable.
    pub fn close(&mut self) {
        self.phase = Phase::Closed;
        self.parser.release();
    }

    fn reestablish(&mut self, now: Instant, cause: Interruption) -> Transition {
        if self.attempts >= self.settings.policy.max_attempts {
            return self.fail(FailReason::RetriesExhausted);
        }
        self.attempts += 1;
        let delay_ms = self.delay();
        self.phase = Phase::Waiting { until: now + f64::from(delay_ms) };
        Transition::Reconnect { delay_ms, cause }
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

    fn fail(&mut self, reason: FailReason) -> Transition {
        if self.phase == Phase::Closed {
            return Transition::None;
        }
        self.close();
        Transition::Fail(reason)
    }
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

    fn machine_with(settings: Settings) -> Machine {
        Machine::new(URL, ORIGIN, Parser::new(), settings)
    }

    fn started(settings: Settings) -> Machine {
        let mut machine = machine_with(settings);
        assert_eq!(machine.start(T0), Transition::Connect);
        machine
    }

    fn open_machine() -> Machine {
        let mut machine = started(Settings::default());
        assert_eq!(machine.response(T0, 200, STREAM, None), Transition::Open);
        machine
    }

    /// Fires the timer at the machine's deadline, online.
    fn wait_out(machine: &mut Machine) -> Transition {
        let deadline = machine.poll_timeout().expect("a deadline");
        machine.handle_timeout(deadline, true)
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
        assert_eq!(machine.handle_timeout(T0, true), Transition::None);
        assert_eq!(machine.online(T0), Transition::None);
        assert_eq!(machine.start(T0), Transition::Connect);
        assert_eq!(machine.start(T0), Transition::None);
        assert_eq!(machine.request(), Request { url: URL, last_event_id: None, drop_credentials: false });
    }

    #[test]
    fn spec_5_a_scheme_fetch_cannot_load_fails_at_once() {
        for url in ["ftp://a.test/", "about:blank", "mailto:a@a.test", "javascript:0", "file:///x"] {
            let mut machine = Machine::new(url, "null", Parser::new(), Settings::default());
            assert_eq!(machine.start(T0), Transition::Fail(FailReason::Network(NetworkError::Futile)), "{url}");
            assert_eq!(machine.ready_state(), ReadyState::Closed);
        }
        for url in ["HTTP://a.test/", "https://a.test/", "data:text/event-stream,x", "blob:http://a.test/1"] {
            assert_eq!(
                Machine::new(url, "null", Parser::new(), Settings::default()).start(T0),
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
        for (status, content_type, reason) in [
            (204, STREAM, FailReason::Status(204)),
            (404, STREAM, FailReason::Status(404)),
            (500, None, FailReason::Status(500)),
            (301, None, FailReason::Status(301)),
            (200, Some("text/plain"), FailReason::ContentType),
            (200, None, FailReason::ContentType),
        ] {
            let mut machine = started(Settings::default());
            assert_eq!(machine.response(T0, status, content_type, None), Transition::Fail(reason));
            assert_eq!(machine.ready_state(), ReadyState::Closed);
            // spec 12: never reconnect.
            assert_eq!(machine.poll_timeout(), None);
            assert_eq!(machine.handle_timeout(T0 + 1e9, true), Transition::None);
            assert_eq!(machine.online(T0), Transition::None);
        }
    }

    #[test]
    fn spec_8_to_11_end_of_stream_reconnects_after_the_delay_with_the_last_event_id() {
        let mut machine = open_machine();
        let mut items = Vec::new();
        let (status, transition) = machine.feed(T0, b"retry: 1500\nid: 4\ndata: a\n\nid: 5\ndata: lost", &mut items);
        assert_eq!((status, transition), (Status::Done, Transition::None));
        assert_eq!(items.len(), 2);
        assert_eq!(
            machine.end_of_stream(T0 + 10.0),
            Transition::Reconnect { delay_ms: 1500, cause: Interruption::EndOfStream }
        );
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
        // spec 10: the wait is the machine's.
        assert_eq!(machine.poll_timeout(), Some(T0 + 1510.0));
        assert_eq!(machine.handle_timeout(T0 + 1509.0, true), Transition::None);
        assert_eq!(machine.handle_timeout(T0 + 1510.0, true), Transition::Connect);
        assert_eq!(machine.request().last_event_id, Some("4"));
        // The next connection opens as the first did.
        assert_eq!(machine.response(T0 + 1600.0, 200, STREAM, None), Transition::Open);
    }

    #[test]
    fn spec_5_network_errors_reconnect() {
        let mut machine = open_machine();
        assert_eq!(
            machine.read_failed(T0, false),
            Transition::Reconnect { delay_ms: 3000, cause: Interruption::Network }
        );
        // The same failure reported twice (fetch and reader) counts once.
        assert_eq!(machine.read_failed(T0, false), Transition::None);
        assert_eq!(machine.fetch_failed(T0, false), Transition::None);
        assert_eq!(wait_out(&mut machine), Transition::Connect);
        assert_eq!(
            machine.fetch_failed(T0, false),
            Transition::Reconnect { delay_ms: 3000, cause: Interruption::Network }
        );
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
    }

    #[test]
    fn spec_4_an_abort_fails_connecting_or_open() {
        // Not by close(): the document aborted the fetch (window.stop()).
        let mut machine = started(Settings::default());
        assert_eq!(machine.fetch_failed(T0, true), Transition::Fail(FailReason::Network(NetworkError::Aborted)));
        assert_eq!(machine.poll_timeout(), None);
        let mut machine = open_machine();
        assert_eq!(machine.read_failed(T0, true), Transition::Fail(FailReason::Network(NetworkError::Aborted)));
        assert_eq!(machine.ready_state(), ReadyState::Closed);
    }

    /// A machine (probing CORS failures) whose stream set `id` and ended:
    /// CONNECTING, with the reconnection's request made.
    fn reconnecting_with_id(id: &[u8]) -> Machine {
        let mut machine = started(Settings { probe_cors: true, ..Settings::default() });
        assert_eq!(machine.response(T0, 200, STREAM, None), Transition::Open);
        let _ = machine.feed(T0, id, &mut Vec::new());
        assert!(matches!(machine.end_of_stream(T0), Transition::Reconnect { .. }));
        assert_eq!(wait_out(&mut machine), Transition::Connect);
        machine
    }

    /// Fetch fails, the probe says `opaque`.
    fn cors_failure(machine: &mut Machine) -> Transition {
        assert_eq!(machine.fetch_failed(T0, false), Transition::Probe);
        machine.probe_settled(T0, Some(true))
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
        assert_eq!(machine.start(T0), Transition::Connect);
        assert_eq!(machine.request().last_event_id, Some("saved"));
    }

    #[test]
    fn spec_5_the_probe_tells_a_cors_failure_from_a_network_error() {
        let probing = || started(Settings { probe_cors: true, ..Settings::default() });
        // An opaque answer: CORS, which fails.
        let mut machine = probing();
        assert_eq!(cors_failure(&mut machine), Transition::Fail(FailReason::Network(NetworkError::Cors)));
        // A plain answer (same origin: a reset), or none: a network error.
        for answer in [Some(false), None] {
            let mut machine = probing();
            assert_eq!(machine.fetch_failed(T0, false), Transition::Probe);
            assert_eq!(machine.ready_state(), ReadyState::Connecting);
            assert_eq!(
                machine.probe_settled(T0 + 5.0, answer),
                Transition::Reconnect { delay_ms: 3000, cause: Interruption::Network }
            );
            assert_eq!(machine.poll_timeout(), Some(T0 + 3005.0));
        }
        // A probe that never answers: a network error after PROBE_TIMEOUT.
        let mut machine = probing();
        assert_eq!(machine.fetch_failed(T0, false), Transition::Probe);
        assert_eq!(machine.poll_timeout(), Some(T0 + f64::from(PROBE_TIMEOUT)));
        assert_eq!(machine.handle_timeout(T0 + 1.0, true), Transition::None);
        assert_eq!(wait_out(&mut machine), Transition::Reconnect { delay_ms: 3000, cause: Interruption::Network });
        // Its late answer is ignored.
        assert_eq!(machine.probe_settled(T0, Some(true)), Transition::None);
        // An abort is not probed; a runtime without CORS (or a custom fetch) probes nothing.
        let mut machine = probing();
        assert_eq!(machine.fetch_failed(T0, true), Transition::Fail(FailReason::Network(NetworkError::Aborted)));
        let mut machine = started(Settings::default());
        assert_eq!(
            machine.fetch_failed(T0, false),
            Transition::Reconnect { delay_ms: 3000, cause: Interruption::Network }
        );
    }

    #[test]
    fn a_cors_failure_with_last_event_id_retries_once_without_it() {
        let mut machine = reconnecting_with_id(b"id: 7\n\n");
        assert_eq!(cors_failure(&mut machine), Transition::RetryWithoutLastEventId);
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
        assert_eq!(machine.request().last_event_id, None);
        // The ID itself is kept: the events of the new stream carry it.
        assert_eq!(machine.last_event_id(), "7");
        // The retry passes CORS: the stream goes on.
        assert_eq!(machine.response(T0, 200, STREAM, None), Transition::Open);
        // The next reconnection tries the header again.
        assert!(matches!(machine.end_of_stream(T0), Transition::Reconnect { .. }));
        assert_eq!(wait_out(&mut machine), Transition::Connect);
        assert_eq!(machine.request().last_event_id, Some("7"));
        // The retry fails CORS too: a CORS failure, whatever the header.
        assert_eq!(cors_failure(&mut machine), Transition::RetryWithoutLastEventId);
        assert_eq!(cors_failure(&mut machine), Transition::Fail(FailReason::Network(NetworkError::Cors)));
        assert_eq!(machine.ready_state(), ReadyState::Closed);
        assert_eq!(machine.poll_timeout(), None);
    }

    #[test]
    fn other_failures_with_last_event_id_are_not_retried_without_it() {
        let mut machine = reconnecting_with_id(b"id: 7\n\n");
        assert!(matches!(machine.fetch_failed(T0, false), Transition::Probe));
        assert!(matches!(machine.probe_settled(T0, None), Transition::Reconnect { .. }));
        assert_eq!(wait_out(&mut machine), Transition::Connect);
        assert_eq!(machine.request().last_event_id, Some("7"));
        assert_eq!(machine.fetch_failed(T0, true), Transition::Fail(FailReason::Network(NetworkError::Aborted)));
        // Without an ID, a CORS failure fails at once.
        let mut machine = started(Settings { probe_cors: true, ..Settings::default() });
        assert_eq!(cors_failure(&mut machine), Transition::Fail(FailReason::Network(NetworkError::Cors)));
    }

    #[test]
    fn spec_13_close_silences_everything() {
        let mut machine = open_machine();
        machine.close();
        assert_eq!(machine.ready_state(), ReadyState::Closed);
        let mut items: Vec<Item> = Vec::new();
        assert_eq!(machine.feed(T0, b"data: x\n\n", &mut items).1, Transition::None);
        assert!(items.is_empty());
        assert_eq!(machine.read_failed(T0, true), Transition::None);
        assert_eq!(machine.end_of_stream(T0), Transition::None);
        assert_eq!(machine.response(T0, 200, STREAM, None), Transition::None);
        assert_eq!(machine.poll_timeout(), None);
        assert_eq!(machine.handle_timeout(T0 + 1e9, true), Transition::None);
        assert_eq!(machine.online(T0), Transition::None);
        // Closed while waiting: the wait is over.
        let mut machine = open_machine();
        assert!(matches!(machine.end_of_stream(T0), Transition::Reconnect { .. }));
        machine.close();
        assert_eq!(machine.poll_timeout(), None);
        assert_eq!(machine.handle_timeout(T0 + 1e9, true), Transition::None);
    }

    #[test]
    fn closing_or_failing_discards_the_event_being_assembled_and_keeps_the_last_event_id() {
        // The driver frees a closed connection's memory at once; the machine
        // gives back what the parser holds (tests/memory.rs measures it).
        let mut items: Vec<Item> = Vec::new();
        let mut machine = open_machine();
        let _ = machine.feed(T0, b"id: 9\ndata: a\n\ndata: half an event", &mut items);
        assert!(machine.parser.pending_bytes() > 0);
        machine.close();
        assert_eq!(machine.parser.pending_bytes(), 0);
        assert_eq!(machine.last_event_id(), "9");
        let mut machine = open_machine();
        let _ = machine.feed(T0, b"id: 9\ndata: a\n\ndata: half an event", &mut items);
        assert!(matches!(machine.end_of_stream(T0), Transition::Reconnect { .. }));
        let _ = wait_out(&mut machine);
        assert_eq!(machine.response(T0, 500, STREAM, None), Transition::Fail(FailReason::Status(500)));
        assert_eq!(machine.parser.pending_bytes(), 0);
        assert_eq!(machine.last_event_id(), "9");
    }

    #[test]
    fn retry_is_clamped_to_what_a_timer_can_hold() {
        let mut machine = open_machine();
        let mut items = Vec::new();
        let _ = machine.feed(T0, b"retry: 99999999999999\n", &mut items);
        assert_eq!(machine.reconnection_time(), MAX_TIMER_DELAY);
        let _ = machine.feed(T0, b"retry: 0\n", &mut items);
        assert_eq!(machine.end_of_stream(T0), Transition::Reconnect { delay_ms: 0, cause: Interruption::EndOfStream });
        assert_eq!(machine.poll_timeout(), Some(T0));
    }

    #[test]
    fn a_parse_error_fails_the_connection() {
        let mut machine = Machine::new(URL, ORIGIN, Parser::with_max_buffer_size(8), Settings::default());
        assert_eq!(machine.start(T0), Transition::Connect);
        assert_eq!(machine.response(T0, 200, STREAM, None), Transition::Open);
        let mut items = Vec::new();
        let (_, transition) = machine.feed(T0, b"data: 0123456789", &mut items);
        assert_eq!(transition, Transition::Fail(FailReason::Parse(ParseError::BufferFull { limit: 8 })));
        assert_eq!(machine.ready_state(), ReadyState::Closed);
    }

    /// Drops the connection `n` times in a row (each reconnection fetches and
    /// fails before opening) and returns the delays.
    fn delays(machine: &mut Machine, n: usize) -> Vec<u32> {
        (0..n)
            .map(|_| {
                let now = machine.poll_timeout().unwrap_or(T0);
                assert_eq!(machine.handle_timeout(now, true), Transition::Connect);
                match machine.fetch_failed(now, false) {
                    Transition::Reconnect { delay_ms, cause: Interruption::Network } => {
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
        assert!(matches!(machine.fetch_failed(T0, false), Transition::Reconnect { .. }));
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
        assert_eq!(machine.response(T0, 200, STREAM, None), Transition::Open);
        let _ = machine.feed(T0, b"retry: 50\n", &mut Vec::new());
        assert_eq!(machine.reconnection_time(), 50);
        assert_eq!(machine.end_of_stream(T0), Transition::Reconnect { delay_ms: 50, cause: Interruption::EndOfStream });
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
                assert!(matches!(machine.fetch_failed(T0, false), Transition::Reconnect { .. }));
                assert_eq!(delays(&mut machine, max_attempts as usize - 1).len(), max_attempts as usize - 1);
                assert_eq!(wait_out(&mut machine), Transition::Connect);
            }
            assert_eq!(machine.fetch_failed(T0, false), Transition::Fail(FailReason::RetriesExhausted));
            assert_eq!(machine.ready_state(), ReadyState::Closed);
            assert_eq!(machine.poll_timeout(), None);
        }
        // Attempts count since the last open only.
        let mut machine = failing(settings_with(policy(10, 10, 1.0, 0.0, 2)));
        for _ in 0..5 {
            assert_eq!(delays(&mut machine, 1), [10]);
            assert_eq!(wait_out(&mut machine), Transition::Connect);
            assert_eq!(machine.response(T0, 200, STREAM, None), Transition::Open);
            assert!(matches!(machine.end_of_stream(T0), Transition::Reconnect { .. }));
        }
    }

    #[test]
    fn the_inactivity_timeout_counts_from_the_last_byte() {
        let mut machine = started(Settings { inactivity_timeout: 500, ..Settings::default() });
        // Fetching: from the request.
        assert_eq!(machine.poll_timeout(), Some(T0 + 500.0));
        assert_eq!(machine.response(T0 + 100.0, 200, STREAM, None), Transition::Open);
        assert_eq!(machine.poll_timeout(), Some(T0 + 600.0));
        let _ = machine.feed(T0 + 400.0, b": ping\n", &mut Vec::<Item>::new());
        // A timer set for the old deadline fires early: nothing, and a new deadline.
        assert_eq!(machine.handle_timeout(T0 + 600.0, true), Transition::None);
        assert_eq!(machine.poll_timeout(), Some(T0 + 900.0));
        assert_eq!(
            machine.handle_timeout(T0 + 900.0, true),
            Transition::Reconnect { delay_ms: 3000, cause: Interruption::Timeout }
        );
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
        assert_eq!(machine.poll_timeout(), Some(T0 + 3900.0));
        // A request that never answers times out too.
        assert_eq!(wait_out(&mut machine), Transition::Connect);
        assert_eq!(wait_out(&mut machine), Transition::Reconnect { delay_ms: 3000, cause: Interruption::Timeout });
        // Without the option, no deadline while fetching or reading.
        let machine = open_machine();
        assert_eq!(machine.poll_timeout(), None);
    }

    #[test]
    fn offline_the_wait_lasts_until_online() {
        // With `online` events: wait for one.
        let mut machine = failing(Settings::default());
        assert_eq!(machine.handle_timeout(T0 + 3000.0, false), Transition::None);
        assert_eq!(machine.poll_timeout(), None);
        assert_eq!(machine.ready_state(), ReadyState::Connecting);
        assert_eq!(machine.online(T0 + 9000.0), Transition::Connect);
        // `online` ends the wait early, too.
        let mut machine = failing(Settings::default());
        assert_eq!(machine.online(T0 + 1.0), Transition::Connect);
        assert_eq!(machine.online(T0 + 2.0), Transition::None);
        // Without them: look again every OFFLINE_POLL ms.
        let mut machine = failing(Settings { online_events: false, ..Settings::default() });
        assert_eq!(machine.handle_timeout(T0 + 3000.0, false), Transition::None);
        assert_eq!(machine.poll_timeout(), Some(T0 + 3000.0 + f64::from(OFFLINE_POLL)));
        assert_eq!(machine.handle_timeout(T0 + 4000.0, false), Transition::None);
        assert_eq!(machine.handle_timeout(T0 + 5000.0, true), Transition::Connect);
    }

    #[test]
    fn a_followed_redirect_moves_the_url_and_may_drop_credentials() {
        let to = |url, origin| Some(Redirect { url, origin });
        let redirected = |method: &str, url: &'static str, origin: &'static str| {
            let mut machine = started(Settings { method: method.into(), ..Settings::default() });
            assert_eq!(machine.response(T0, 200, STREAM, to(url, origin)), Transition::Open);
            assert!(matches!(machine.end_of_stream(T0), Transition::Reconnect { .. }));
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
        assert_eq!(machine.response(T0, 200, STREAM, to("https://b.test/x", "https://b.test")), Transition::Open);
        assert_eq!(machine.origin(), "https://b.test");
        // A failed response after a redirect still moves the URL of a GET (for nothing: it fails).
        let mut machine = started(Settings::default());
        assert_eq!(
            machine.response(T0, 500, None, to("http://c.test/", "http://c.test")),
            Transition::Fail(FailReason::Status(500))
        );
        // Without a redirect, the origin is the URL's.
        let machine = open_machine();
        assert_eq!(machine.origin(), ORIGIN);
    }
}
