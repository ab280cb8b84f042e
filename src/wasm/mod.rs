//! The browser side (wasm32 only): one driver, two ways in.
//!
//! - `driver`: performs what [`Machine`](crate::machine::Machine) decides,
//!   with `fetch`, a stream reader and timers, and reports to a handler;
//! - `Connection` (feature `js-connection`): the handle the npm package's JS
//!   class (`js/eventsource.js`) drives, reporting to its hooks object;
//! - [`EventSource`]: the Rust API, reporting to callbacks and, with the
//!   `stream` feature, to a `futures_core::Stream` (see [`source`]);
//! - `stream_parser` (feature `js-stream-parser`): the parser behind the JS
//!   `EventStreamParser`.

#[cfg(feature = "js-connection")]
mod connection;
mod driver;
pub mod source;
#[cfg(feature = "js-stream-parser")]
pub mod stream_parser;

pub use crate::machine::{ErrorReason, Warning};
#[cfg(feature = "js-connection")]
pub use connection::{Connection, Hooks};
#[cfg(feature = "stream")]
pub use source::Events;
pub use source::{ErrorEvent, EventSource, MessageEvent, Options, SourceEvent};
