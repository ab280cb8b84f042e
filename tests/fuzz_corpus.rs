//! Replays the fuzz corpora (`fuzz/corpus/<target>/`) on stable Rust, through
//! the same checks as the fuzz targets (`tests/check/mod.rs`), so that every input
//! the fuzzers kept stays a regression test of `cargo test`.
#![cfg(not(target_arch = "wasm32"))] // native only: tests/wasm.rs runs the spec table in browsers

use std::fs;
use std::panic;
use std::path::Path;

mod check;

/// Runs `check` on every file of `fuzz/corpus/<target>/`, if the directory
/// exists, naming the files that fail. Returns how many were checked.
fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let Ok(entries) = fs::read_dir(&dir) else { return 0 };
    let mut paths: Vec<_> = entries.map(|entry| entry.expect("reading the corpus").path()).collect();
    paths.sort();
    let mut failed = Vec::new();
    for path in &paths {
        let data = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if panic::catch_unwind(|| check(&data)).is_err() {
            failed.push(path.display().to_string());
        }
    }
    assert!(failed.is_empty(), "{} of {} inputs failed: {failed:#?}", failed.len(), paths.len());
    paths.len()
}

#[test]
fn parse_corpus() {
    replay("parse", check::fuzz_parse);
}

#[test]
fn chunking_corpus() {
    replay("chunking", check::fuzz_chunking);
}

/// Each target accepts any bytes, so each corpus is also a source of inputs
/// for the other check.
#[test]
fn corpora_swapped() {
    replay("parse", check::fuzz_chunking);
    replay("chunking", check::fuzz_parse);
}
