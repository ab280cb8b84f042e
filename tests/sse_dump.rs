//! The `sse-dump` example, run as a developer would run it.
#![cfg(not(target_arch = "wasm32"))] // it runs a native process

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// `cargo test` builds the examples next to the test binaries.
fn sse_dump() -> Command {
    let mut path = std::env::current_exe().unwrap();
    path.pop();
    if path.ends_with("deps") {
        path.pop();
    }
    let exe: PathBuf = path.join("examples").join(format!("sse-dump{}", std::env::consts::EXE_SUFFIX));
    assert!(exe.exists(), "{} not built: run all of `cargo test` (it builds the examples)", exe.display());
    Command::new(exe)
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child =
        sse_dump().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

const STREAM: &[u8] = b"\xEF\xBB\xBF: hi\r\nretry: 2500\r\nid: 7\r\nevent: chat\r\ndata: {\"a\": \"\\\"\"}\r\ndata: \xC3\xA9\x01\xFF\r\n\r\ndata: second\r\rdata: unfinished\n";

const EXPECTED: &str = concat!(
    "{\"retry\":2500}\n",
    "{\"type\":\"chat\",\"data\":\"{\\\"a\\\": \\\"\\\\\\\"\\\"}\\n\u{e9}\\u0001\u{FFFD}\",\"lastEventId\":\"7\"}\n",
    "{\"type\":\"message\",\"data\":\"second\",\"lastEventId\":\"7\"}\n",
);

#[test]
fn prints_json_lines_whatever_the_chunk_size() {
    for chunk in 1..=STREAM.len() + 1 {
        let output = run(&["--chunk", &chunk.to_string()], STREAM);
        assert!(output.status.success());
        assert_eq!(String::from_utf8(output.stdout).unwrap(), EXPECTED, "--chunk {chunk}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains("ended inside an event; 11 bytes were discarded"), "{stderr}");
    }
}

#[test]
fn comments_on_request_and_reads_a_file() {
    let path = std::env::temp_dir().join(format!("sse-dump-test-{}.txt", std::process::id()));
    std::fs::write(&path, STREAM).unwrap();
    let output = run(&["--comments", path.to_str().unwrap()], b"");
    std::fs::remove_file(&path).unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8(output.stdout).unwrap(), format!("{{\"comment\":\"hi\"}}\n{EXPECTED}"));
}

#[test]
fn a_stream_past_the_buffer_limit_fails_clearly() {
    let output = run(&["--max-buffer", "8"], b"data: 0123456789\n\n");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("maximum buffer size of 8 bytes"), "{stderr}");
}

#[test]
fn bad_arguments_print_the_usage() {
    for args in [&["--chunk", "0"][..], &["--chunk"], &["--nope"], &["a", "b"]] {
        let output = run(args, b"");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(String::from_utf8(output.stderr).unwrap().contains("usage: sse-dump"), "{args:?}");
    }
}
