//! Arbitrary bytes, fed whole: no panic, agreement with the reference model,
//! and `BufferFull` handling with a limit taken from the first byte.
//! See `fuzz_parse` in `tests/check/mod.rs`.
#![no_main]

#[path = "../../tests/check/mod.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::fuzz_parse(data));
