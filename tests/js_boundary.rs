//! The boundary between the Rust core and the JS class, defined once, in
//! Rust: the defaults the class needs before the wasm has loaded are
//! generated from the Rust constants into `js/defaults.js` (this test fails
//! if the file differs; `UPDATE_GENERATED=1 cargo test --test js_boundary`
//! writes it), and the reasons of an `error` event in `js/index.d.ts` are the
//! machine's [`ErrorReason`]s (and `module`, the JS class's own: the wasm did
//! not load).

use std::fmt::Write as _;
use std::path::Path;

use eventsource_wasm::machine::{
    ErrorReason, DEFAULT_CREDENTIALS, DEFAULT_METHOD, DEFAULT_RECONNECTION_TIME, MAX_TIMER_DELAY,
};
use eventsource_wasm::parser::DEFAULT_MAX_BUFFER_SIZE;

/// The reason that only the JS class reports.
const JS_ONLY_REASONS: [&str; 1] = ["module"];

fn generated() -> String {
    let mut js = String::from(
        "// Generated from the Rust constants by tests/js_boundary.rs: do not edit by hand\n\
         // (`UPDATE_GENERATED=1 cargo test --test js_boundary` writes it again).\n\n",
    );
    let constants: [(&str, &str, String); 5] = [
        (
            "The reconnection time before any `retry` field (ms).",
            "DEFAULT_RECONNECTION_TIME",
            DEFAULT_RECONNECTION_TIME.to_string(),
        ),
        (
            "The longest delay a timer holds (ms): larger ones are clamped to it.",
            "MAX_DELAY",
            MAX_TIMER_DELAY.to_string(),
        ),
        (
            "The parser's cap on one event or line (bytes).",
            "DEFAULT_MAX_BUFFER_SIZE",
            DEFAULT_MAX_BUFFER_SIZE.to_string(),
        ),
        ("The request method when none is given.", "DEFAULT_METHOD", format!("'{DEFAULT_METHOD}'")),
        ("The credentials mode when none is given.", "DEFAULT_CREDENTIALS", format!("'{DEFAULT_CREDENTIALS}'")),
    ];
    for (doc, name, value) in constants {
        writeln!(js, "/** {doc} */\nexport const {name} = {value};").unwrap();
    }
    js
}

#[test]
fn js_defaults_are_the_rust_constants() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("js/defaults.js");
    let want = generated();
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "js/defaults.js is not what the Rust constants give: run UPDATE_GENERATED=1 cargo test --test js_boundary\n{want}");
}

#[test]
fn the_typescript_error_reasons_are_the_machines() {
    let types = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("js/index.d.ts")).unwrap();
    let start = types.find("export type EventSourceErrorReason =").expect("the EventSourceErrorReason type");
    let union = &types[start..start + types[start..].find(';').unwrap()];
    let named: Vec<&str> = union.split('\'').skip(1).step_by(2).collect();
    let mut want: Vec<&str> = ErrorReason::ALL.iter().map(|reason| reason.as_str()).collect();
    want.extend(JS_ONLY_REASONS);
    assert_eq!(named, want);
}
