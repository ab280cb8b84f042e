//! # eventsource-wasm
//!
//! A Server-Sent Events (`EventSource`) implementation in Rust, exact to the
//! WHATWG HTML Living Standard, section "Server-sent events".
//!
//! Three layers, each usable on its own:
//!
//! - [`parser`]: a sans-IO, byte-level, incremental event-stream parser,
//!   `no_std` + `alloc`, used by the native tools (tests, fuzzing,
//!   benchmarks, the `sse-dump` example) and the WebAssembly build;
//! - [`machine`]: the life cycle of an `EventSource` (readyState,
//!   reconnection time, when to fail and when to reconnect) as a pure state
//!   machine, with no I/O and no clock;
//! - `wasm` (wasm32 only): the browser driver, performing the machine's
//!   decisions with `fetch`, a stream reader and timers; behind the npm
//!   package's `EventSource` class, and usable from Rust as
//!   `wasm::EventSource` (callbacks, and with the `stream` feature a
//!   `futures_core::Stream` of events: see `wasm::source` for an example).
//!
//! ```
//! use eventsource_wasm::parser::{Item, OwnedEvent, Parser, Status};
//!
//! let mut parser = Parser::new();
//! let mut items = Vec::new();
//! // Chunks may split the stream anywhere, even inside a CRLF.
//! for chunk in [&b"retry: 1000\r"[..], b"\nid: 7\ndata: hello\ndata: wor", b"ld\n\n"] {
//!     assert_eq!(parser.feed(chunk, &mut items), Ok(Status::Done));
//! }
//! assert_eq!(items, [
//!     Item::Retry(1000),
//!     Item::Event(OwnedEvent {
//!         event_type: "message".into(),
//!         data: "hello\nworld".into(),
//!         last_event_id: "7".into(),
//!     }),
//! ]);
//! // On reconnection, send `Last-Event-ID: 7` and start afresh.
//! assert_eq!(parser.last_event_id(), "7");
//! parser.reset();
//! ```
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod machine;
pub mod parser;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

/// The npm build's allocator (the `small-allocator` feature): smaller than
/// dlmalloc, as fast. Single-threaded wasm only, as this crate's wasm build is.
#[cfg(all(target_arch = "wasm32", feature = "small-allocator"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub use parser::{Event, ParseError, Parser, Sink, Status};

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The crate's README (docs/crate.md): its examples, compiled and run as doctests.
#[doc = include_str!("../docs/crate.md")]
#[cfg(doctest)]
pub struct CrateReadmeDoctests;

/// The Rust examples of docs/design.md (the parser), compiled and run as doctests.
#[doc = include_str!("../docs/design.md")]
#[cfg(doctest)]
pub struct DesignDoctests;
