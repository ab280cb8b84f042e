// Generated from the Rust constants by tests/js_boundary.rs: do not edit by hand
// (`UPDATE_GENERATED=1 cargo test --test js_boundary` writes it again).

/** The reconnection time before any `retry` field (ms). */
export const DEFAULT_RECONNECTION_TIME = 3000;
/** The longest delay a timer holds (ms): larger ones are clamped to it. */
export const MAX_DELAY = 2147483647;
/** The parser's cap on one event or line (bytes). */
export const DEFAULT_MAX_BUFFER_SIZE = 16777216;
/** The request method when none is given. */
export const DEFAULT_METHOD = 'GET';
/** The credentials mode when none is given. */
export const DEFAULT_CREDENTIALS = 'same-origin';
