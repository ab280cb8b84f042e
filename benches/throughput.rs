//! Parser throughput: this crate against the `eventsource-stream` and
//! `sse-codec` crates, in the same run, on identical inputs.
//!
//! ```text
//! cargo bench --bench throughput                # full run, a few minutes
//! cargo bench --bench throughput -- --test      # smoke run: each benchmark once
//! cargo bench --bench throughput -- large/      # one workload
//! cargo test --benches                          # unoptimised smoke run, inputs ÷ 32
//! ```
//!
//! Each workload is generated once, deterministically, and split into the
//! same 64 KiB chunks (realistic network reads) for every implementation;
//! every iteration parses the whole input with a new parser. Benchmark ids
//! are `<workload>/<implementation>`:
//!
//! - `eventsource-wasm`: this crate, with a sink that looks at each borrowed
//!   event (counts it and sums its data length) and keeps nothing.
//! - `eventsource-wasm-owned`: the same, but the sink first copies each event
//!   into an [`OwnedEvent`] (three `String`s), the per-event allocation work
//!   that the peers always do, since they yield owned events.
//! - `eventsource-stream`: its `Eventsource` adapter over a
//!   `futures::stream::iter` of the chunks, driven by `block_on`.
//! - `sse-codec`: its `decode_stream` over an `AsyncRead` of the chunks
//!   (`TryStreamExt::into_async_read`), driven by `block_on`. Its
//!   `FramedRead` reads at most 8 KiB at a time, whatever the chunk size:
//!   that is part of how the crate works, not something the bench chose.
//! - `sse-codec-decoder`: its `SSECodec` driven directly through the
//!   `futures_codec::Decoder` trait, each 64 KiB chunk appended to a
//!   `BytesMut` and decoded at once: the same codec without the 8 KiB reads,
//!   so the peer is also measured on exactly the chunks the others get. On
//!   1 MiB lines this is several times faster than `sse-codec` (each read
//!   makes it rescan the incomplete line from its start).
//!
//! Before measuring, each workload is parsed once by every implementation
//! and the results are compared (event count, and a hash of every event's
//! type, data and last event ID): a peer that disagrees stops the bench
//! with a message saying which and how, rather than being timed on
//! different work.

use std::convert::Infallible;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::hint::black_box;
use std::io;
use std::ops::ControlFlow;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use eventsource_stream::Eventsource as _;
use eventsource_wasm::parser::OwnedEvent;
use eventsource_wasm::{Event, Parser, Sink, Status};
use futures::executor::block_on;
use futures::stream::{self, StreamExt as _, TryStreamExt as _};
use futures_codec::{BytesMut, Decoder as _};

/// The size of each chunk fed to the parsers: a typical network read.
const CHUNK_SIZE: usize = 64 * 1024;

/// One input, and how many events it must yield.
struct Workload {
    name: &'static str,
    input: Vec<u8>,
    events: usize,
}

impl Workload {
    fn chunks(&self) -> Vec<&[u8]> {
        self.input.chunks(CHUNK_SIZE).collect()
    }
}

/// Printable ASCII used for generated data; no CR, LF or leading space.
const ALPHANUMERIC: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// `len` bytes of [`ALPHANUMERIC`], cyclically, starting at `seed`.
fn ascii(out: &mut Vec<u8>, seed: usize, len: usize) {
    out.extend((0..len).map(|i| ALPHANUMERIC[(seed + i) % ALPHANUMERIC.len()]));
}

/// 100,000 (÷ `divisor`) small events: `id: <n>\ndata: <32 bytes>\n\n`.
fn small(divisor: usize) -> Workload {
    let events = 100_000 / divisor;
    let mut input = Vec::with_capacity(events * 52);
    for n in 0..events {
        input.extend_from_slice(format!("id: {n}\ndata: ").as_bytes());
        ascii(&mut input, n, 32);
        input.extend_from_slice(b"\n\n");
    }
    Workload { name: "small", input, events }
}

/// 64 (÷ `divisor`) events, each an id and a single `data` line of 1 MiB of ASCII.
fn large(divisor: usize) -> Workload {
    const DATA: usize = 1024 * 1024;
    let events = 64 / divisor;
    let mut input = Vec::with_capacity(events * (DATA + 24));
    for n in 0..events {
        input.extend_from_slice(format!("id: {n}\ndata: ").as_bytes());
        ascii(&mut input, n, DATA);
        input.extend_from_slice(b"\n\n");
    }
    Workload { name: "large", input, events }
}

/// 20,000 (÷ `divisor`) events of 16 `data` lines each, of 16 to 32 bytes.
fn multiline(divisor: usize) -> Workload {
    const LINES: usize = 16;
    let events = 20_000 / divisor;
    let mut input = Vec::with_capacity(events * LINES * 31);
    for n in 0..events {
        for line in 0..LINES {
            input.extend_from_slice(b"data: ");
            ascii(&mut input, n + line, 16 + (n * 7 + line * 13) % 17);
            input.push(b'\n');
        }
        input.push(b'\n');
    }
    Workload { name: "multiline", input, events }
}

/// 50,000 (÷ `divisor`) events of about 64 bytes of data mixing 1- to 4-byte UTF-8.
fn multibyte(divisor: usize) -> Workload {
    const WORDS: [&str; 10] = ["héllo", "wörld", "—", "日本語", "テキスト", "🎉", "ñandú", "Ελληνικά", "𝄞♪", "Ünïcödé"];
    let events = 50_000 / divisor;
    let mut input = Vec::with_capacity(events * 80);
    for n in 0..events {
        let mut data = String::new();
        for word in WORDS.iter().cycle().skip(n % WORDS.len()) {
            if data.len() + word.len() > 64 {
                break;
            }
            data.push_str(word);
            data.push(' ');
        }
        input.extend_from_slice(format!("data: {}\n\n", data.trim_end()).as_bytes());
    }
    Workload { name: "multibyte", input, events }
}

/// What each sink keeps: enough that no parsing can be optimised away.
#[derive(Debug, Default)]
struct Tally {
    events: usize,
    data_bytes: usize,
}

impl Tally {
    #[inline]
    fn record(&mut self, data: &str) {
        self.events += 1;
        self.data_bytes += data.len();
    }
}

/// A [`Sink`] that hands each event to a closure.
struct EventFn<F>(F);

impl<F: FnMut(Event<'_>)> Sink for EventFn<F> {
    #[inline]
    fn event(&mut self, event: Event<'_>) -> ControlFlow<()> {
        (self.0)(event);
        ControlFlow::Continue(())
    }
}

/// Parses `chunks` with this crate, passing each event to `on_event`.
fn drive_ours(chunks: &[&[u8]], on_event: impl FnMut(Event<'_>)) {
    let mut parser = Parser::new();
    let mut sink = EventFn(on_event);
    for chunk in chunks {
        let status = parser.feed(chunk, &mut sink);
        assert_eq!(status, Ok(Status::Done), "eventsource-wasm");
    }
}

/// Parses `chunks` with `eventsource-stream`, passing each event to `on_event`.
fn drive_eventsource_stream(chunks: &[&[u8]], mut on_event: impl FnMut(eventsource_stream::Event)) {
    let mut events = stream::iter(chunks.iter().map(|&chunk| Ok::<_, Infallible>(chunk))).eventsource();
    block_on(async {
        while let Some(event) = events.next().await {
            on_event(event.expect("eventsource-stream failed"));
        }
    });
}

/// Parses `chunks` with `sse-codec`, passing each message to `on_event`.
fn drive_sse_codec(chunks: &[&[u8]], mut on_event: impl FnMut(sse_codec::Event)) {
    let reader = stream::iter(chunks.iter().map(|&chunk| Ok::<_, io::Error>(chunk))).into_async_read();
    let mut events = sse_codec::decode_stream(reader);
    block_on(async {
        while let Some(event) = events.next().await {
            on_event(event.expect("sse-codec failed"));
        }
    });
}

/// Parses the chunks, tallying the events: what one iteration measures.
type Implementation = fn(&[&[u8]]) -> Tally;

/// Parses `chunks` with `sse-codec`'s decoder, without its `FramedRead`.
fn drive_sse_codec_decoder(chunks: &[&[u8]], mut on_event: impl FnMut(sse_codec::Event)) {
    let mut codec = sse_codec::SSECodec::default();
    let mut buffer = BytesMut::new();
    for chunk in chunks {
        buffer.extend_from_slice(chunk);
        while let Some(event) = codec.decode(&mut buffer).expect("sse-codec failed") {
            on_event(event);
        }
    }
}

fn eventsource_wasm(chunks: &[&[u8]]) -> Tally {
    let mut tally = Tally::default();
    drive_ours(chunks, |event| tally.record(event.data));
    tally
}

fn eventsource_wasm_owned(chunks: &[&[u8]]) -> Tally {
    let mut tally = Tally::default();
    drive_ours(chunks, |event| {
        let event = OwnedEvent::from(event);
        tally.record(&event.data);
        black_box(event);
    });
    tally
}

fn eventsource_stream(chunks: &[&[u8]]) -> Tally {
    let mut tally = Tally::default();
    drive_eventsource_stream(chunks, |event| {
        tally.record(&event.data);
        black_box(event);
    });
    tally
}

fn sse_codec(chunks: &[&[u8]]) -> Tally {
    let mut tally = Tally::default();
    drive_sse_codec(chunks, |event| {
        if let sse_codec::Event::Message { data, .. } = &event {
            tally.record(data);
        }
        black_box(event);
    });
    tally
}

fn sse_codec_decoder(chunks: &[&[u8]]) -> Tally {
    let mut tally = Tally::default();
    drive_sse_codec_decoder(chunks, |event| {
        if let sse_codec::Event::Message { data, .. } = &event {
            tally.record(data);
        }
        black_box(event);
    });
    tally
}

/// The events an implementation yielded, in brief: how many, and a hash of
/// every event's type, data and last event ID, in order.
#[derive(Debug, PartialEq, Eq)]
struct Fingerprint {
    events: usize,
    data_bytes: usize,
    hash: u64,
}

struct Fingerprinter {
    tally: Tally,
    hasher: DefaultHasher,
}

impl Fingerprinter {
    fn new() -> Self {
        Fingerprinter { tally: Tally::default(), hasher: DefaultHasher::new() }
    }

    fn add(&mut self, event_type: &str, data: &str, last_event_id: &str) {
        self.tally.record(data);
        (event_type, data, last_event_id).hash(&mut self.hasher);
    }

    fn finish(self) -> Fingerprint {
        Fingerprint { events: self.tally.events, data_bytes: self.tally.data_bytes, hash: self.hasher.finish() }
    }
}

/// Parses the workload once with every implementation and checks that they
/// all yield the expected number of events, and the same events.
fn check(workload: &Workload, chunks: &[&[u8]]) {
    let mut ours = Fingerprinter::new();
    drive_ours(chunks, |event| ours.add(event.event_type, event.data, event.last_event_id));
    let ours = ours.finish();
    assert_eq!(ours.events, workload.events, "{}: eventsource-wasm yields the wrong number of events", workload.name);

    let mut peer = Fingerprinter::new();
    drive_eventsource_stream(chunks, |event| peer.add(&event.event, &event.data, &event.id));
    let peer = peer.finish();
    assert_eq!(peer, ours, "{}: eventsource-stream disagrees with eventsource-wasm", workload.name);

    type Driver = fn(&[&[u8]], &mut dyn FnMut(sse_codec::Event));
    let sse_codec_drivers: [(&str, Driver); 2] =
        [("sse-codec", |c, f| drive_sse_codec(c, f)), ("sse-codec-decoder", |c, f| drive_sse_codec_decoder(c, f))];
    for (name, drive) in sse_codec_drivers {
        let mut peer = Fingerprinter::new();
        drive(chunks, &mut |event| match event {
            sse_codec::Event::Message { id, event, data } => peer.add(&event, &data, id.as_deref().unwrap_or("")),
            sse_codec::Event::Retry { retry } => panic!("{}: {name} yields a retry of {retry}", workload.name),
        });
        let peer = peer.finish();
        assert_eq!(peer, ours, "{}: {name} disagrees with eventsource-wasm", workload.name);
    }
}

fn throughput(c: &mut Criterion) {
    // `cargo test --benches` runs each benchmark once, unoptimised, as a
    // test: there, smaller inputs (same shapes, fewer events) keep it quick.
    // `cargo bench` passes `--bench`, also with `-- --test`.
    let divisor = if std::env::args().any(|arg| arg == "--bench") { 1 } else { 32 };
    for make in [small, large, multiline, multibyte] {
        let workload = make(divisor);
        let chunks = workload.chunks();
        eprintln!(
            "workload {}: {} bytes, {} events, {} chunks of up to {} bytes",
            workload.name,
            workload.input.len(),
            workload.events,
            chunks.len(),
            CHUNK_SIZE
        );
        check(&workload, &chunks);

        let mut group = c.benchmark_group(workload.name);
        group.throughput(Throughput::Bytes(workload.input.len() as u64));
        // The peers take up to seconds per iteration: sample each benchmark
        // with the same number of iterations rather than a linear ramp.
        group.sampling_mode(SamplingMode::Flat);
        let implementations: [(&str, Implementation); 5] = [
            ("eventsource-wasm", eventsource_wasm),
            ("eventsource-wasm-owned", eventsource_wasm_owned),
            ("eventsource-stream", eventsource_stream),
            ("sse-codec", sse_codec),
            ("sse-codec-decoder", sse_codec_decoder),
        ];
        for (name, parse) in implementations {
            group.bench_function(name, |b| {
                b.iter(|| {
                    let tally = parse(black_box(&chunks));
                    assert_eq!(tally.events, workload.events, "{}/{name}", workload.name);
                    tally
                })
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = throughput
}
criterion_main!(benches);
