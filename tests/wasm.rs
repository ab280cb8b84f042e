//! The spec table of `tests/cases`, compiled to wasm32 and run in headless
//! Chromium and Firefox by `wasm-pack test` (see scripts/test.sh): the parser
//! the browser runs is checked in the browser, under every chunking.
#![cfg(target_arch = "wasm32")]

mod cases;

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn spec_cases_under_every_chunking() {
    for case in cases::cases() {
        cases::check(case.name, case.input, &case.items, &case.last_event_id);
    }
}

#[wasm_bindgen_test]
fn spec_14_invalid_utf8_decodes_like_text_decoder() {
    for (bytes, expected) in cases::UTF8_CASES {
        let mut input = b"data: A".to_vec();
        input.extend_from_slice(bytes);
        input.extend_from_slice(b"\n\n");
        cases::check(&format!("spec 14: {bytes:02X?}"), &input, &[cases::msg(expected)], "");
    }
}
