//! Chunked input (split points chosen by the first bytes) gives the same
//! result as the whole input, with or without a pausing sink, a small limit
//! and `reset()`. See `fuzz_chunking` in `tests/check/mod.rs` for the input layout.
#![no_main]

#[path = "../../tests/check/mod.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::fuzz_chunking(data));
