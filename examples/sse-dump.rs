//! `sse-dump`: prints the events of a Server-Sent Events stream as JSON lines.
//!
//! ```text
//! cargo run --release --example sse-dump -- [--comments] [--chunk N] [--max-buffer BYTES] [FILE]
//! curl -sN https://example.test/stream | cargo run --release --example sse-dump
//! ```
//!
//! One JSON object per line: `{"type":…,"data":…,"lastEventId":…}` for each
//! dispatched event, `{"retry":N}` when the reconnection time changes and,
//! with `--comments`, `{"comment":…}`. Without FILE (or with `-`) it reads
//! standard input, printing each event as soon as it is complete. `--chunk N`
//! feeds the parser N bytes at a time, to check that the result does not
//! depend on how the stream is split.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::ops::ControlFlow;
use std::process::ExitCode;

use eventsource_wasm::parser::{Event, Parser, Sink, DEFAULT_MAX_BUFFER_SIZE};

const USAGE: &str = "usage: sse-dump [--comments] [--chunk N] [--max-buffer BYTES] [FILE | -]";

struct Options {
    comments: bool,
    chunk: Option<usize>,
    max_buffer: usize,
    file: Option<String>,
}

/// The options, or `Err(None)` for `--help`, or `Err(Some(why))`.
fn options() -> Result<Options, Option<String>> {
    let mut options = Options { comments: false, chunk: None, max_buffer: DEFAULT_MAX_BUFFER_SIZE, file: None };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            let value = args.next().ok_or_else(|| format!("{name} needs a value"))?;
            match value.parse() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!("{name} needs a positive whole number, not {value:?}")),
            }
        };
        match arg.as_str() {
            "--comments" => options.comments = true,
            "--chunk" => options.chunk = Some(number("--chunk").map_err(Some)?),
            "--max-buffer" => options.max_buffer = number("--max-buffer").map_err(Some)?,
            "-h" | "--help" => return Err(None),
            "-" if options.file.is_none() => options.file = None,
            _ if !arg.starts_with('-') && options.file.is_none() => options.file = Some(arg),
            _ => return Err(Some(format!("unexpected argument {arg:?}"))),
        }
    }
    Ok(options)
}

/// Writes each report as a JSON line into `out`.
struct JsonLines {
    out: String,
    comments: bool,
}

impl Sink for JsonLines {
    fn event(&mut self, event: Event<'_>) -> ControlFlow<()> {
        self.out.push_str("{\"type\":");
        push_json_string(&mut self.out, event.event_type);
        self.out.push_str(",\"data\":");
        push_json_string(&mut self.out, event.data);
        self.out.push_str(",\"lastEventId\":");
        push_json_string(&mut self.out, event.last_event_id);
        self.out.push_str("}\n");
        ControlFlow::Continue(())
    }

    fn retry(&mut self, millis: u64) -> ControlFlow<()> {
        let _ = writeln!(self.out, "{{\"retry\":{millis}}}");
        ControlFlow::Continue(())
    }

    fn comment(&mut self, text: &str) -> ControlFlow<()> {
        if self.comments {
            self.out.push_str("{\"comment\":");
            push_json_string(&mut self.out, text);
            self.out.push_str("}\n");
        }
        ControlFlow::Continue(())
    }
}

/// A JSON string literal (RFC 8259): quotes, backslashes and control
/// characters escaped; everything else, U+FFFD included, as is.
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn run(options: Options) -> Result<(), String> {
    let mut input: Box<dyn Read> = match &options.file {
        Some(path) => Box::new(std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?),
        None => Box::new(io::stdin().lock()),
    };
    let mut parser = Parser::with_max_buffer_size(options.max_buffer);
    let mut sink = JsonLines { out: String::new(), comments: options.comments };
    let mut stdout = io::stdout().lock();
    let mut buffer = vec![0; options.chunk.unwrap_or(64 * 1024)];
    loop {
        let read = match options.chunk {
            // Exactly N bytes per chunk (fewer only at the end).
            Some(_) => read_full(&mut input, &mut buffer),
            // Whatever has arrived, so that a live stream prints promptly.
            None => input.read(&mut buffer),
        }
        .map_err(|e| format!("read error: {e}"))?;
        if read == 0 {
            break;
        }
        let result = parser.feed(&buffer[..read], &mut sink);
        stdout.write_all(sink.out.as_bytes()).and_then(|()| stdout.flush()).map_err(|e| format!("write error: {e}"))?;
        sink.out.clear();
        if let Err(error) = result {
            return Err(error.to_string());
        }
    }
    let pending = parser.pending_bytes();
    if pending > 0 {
        eprintln!("sse-dump: the stream ended inside an event; {pending} bytes were discarded, as the spec requires");
    }
    Ok(())
}

/// Reads until `buffer` is full or the input ends.
fn read_full(input: &mut dyn Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(Some(why)) => {
            eprintln!("sse-dump: {why}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    match run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("sse-dump: {why}");
            ExitCode::FAILURE
        }
    }
}
