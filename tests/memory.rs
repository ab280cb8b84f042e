//! A closed source gives back its wasm memory at once: every byte it
//! allocated is free when `close()` (and the handle's drop) returns, before
//! any garbage collection. A connection whose memory waited for the JS
//! garbage collector (a closure handed to it, holding a `Weak` that keeps
//! the connection's allocation) grew Firefox's wasm memory by about 1 MiB
//! over 5,000 create/close cycles (tests/soak): this counts the bytes
//! instead, so that it fails at the first cycle, in every browser.
//!
//! The test binary's global allocator counts live bytes; it is its own
//! binary for that (the `small-allocator` feature sets the library's).
#![cfg(all(target_arch = "wasm32", not(feature = "small-allocator")))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use eventsource_wasm::machine::{ReadyState, RetryPolicy};
use eventsource_wasm::wasm::{Connection, EventSource, Options};
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// The system allocator, counting the bytes it has handed out and not had back.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to `System` unchanged; only the count is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE.fetch_add(new_size, Ordering::Relaxed);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Hooks made in JS (no Rust closure of the test's own is allocated or freed
/// while it counts): `done` resolves with the first batch of events.
fn js_hooks() -> (JsValue, Promise) {
    let make = Function::new_no_args(
        "let resolve; const done = new Promise((r) => { resolve = r; });
         return [{ open() {}, messages(batch) { resolve(batch); }, error() {} }, done];",
    );
    let pair = make.call0(&JsValue::NULL).unwrap();
    (Reflect::get_u32(&pair, 0).unwrap(), Reflect::get_u32(&pair, 1).unwrap().unchecked_into())
}

fn data_url(stream: &str) -> String {
    format!("data:text/event-stream,{}", String::from(js_sys::encode_uri_component(stream)))
}

/// A fetch whose response body is `text` and then never ends (a `data:`
/// URL would end, and reconnect; a long one would be kept as the URL).
fn endless_fetch(text: &str) -> Function {
    Function::new_with_args(
        "url, init",
        &format!(
            "const body = new ReadableStream({{ start(c) {{ c.enqueue(new TextEncoder().encode({text:?})); }} }});
             return Promise.resolve(new Response(body, {{ headers: {{ 'content-type': 'text/event-stream' }} }}));"
        ),
    )
}

/// One cycle of the JS class's use: construct, an event, close, free.
async fn connection_cycle() {
    let (hooks, done) = js_hooks();
    let options = Object::new();
    let event = format!("id: 7\ndata: {}\n\n", "x".repeat(3000));
    Reflect::set(&options, &"fetch".into(), &endless_fetch(&event)).unwrap();
    let connection = Connection::new(
        "https://example.invalid/stream".into(),
        &options,
        hooks.unchecked_into(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    );
    let batch = JsFuture::from(done).await.unwrap();
    assert!(batch.as_string().unwrap().ends_with("\r7\r"), "the event arrived");
    connection.close();
    drop(connection); // the JS class's free()
}

/// Runs `cycle` once, which settles what is allocated once (the executor's
/// queue, the externref slab), then three times more: each must leave the
/// live bytes as it found them.
async fn each_cycle_gives_back_everything<F: std::future::Future<Output = ()>>(cycle: impl Fn() -> F) {
    cycle().await;
    for round in 0..3 {
        let before = live();
        cycle().await;
        let after = live();
        assert_eq!(after, before, "cycle {round}: {} bytes still allocated after close()", after.wrapping_sub(before));
    }
}

#[wasm_bindgen_test]
async fn closed_and_freed_a_connection_holds_no_wasm_memory() {
    each_cycle_gives_back_everything(connection_cycle).await;
}

#[wasm_bindgen_test]
async fn closed_and_dropped_a_rust_api_source_holds_no_wasm_memory() {
    let cycle = || async {
        let source = EventSource::new(&data_url("data: hi\n\n")).unwrap();
        let (hooks, done) = js_hooks();
        let messages: Function = Reflect::get(&hooks, &"messages".into()).unwrap().unchecked_into();
        source.on_message(move |event| drop(messages.call1(&JsValue::NULL, &event.data.as_str().into())));
        JsFuture::from(done).await.unwrap();
        source.close();
        drop(source);
    };
    each_cycle_gives_back_everything(cycle).await;
}

#[wasm_bindgen_test]
async fn a_failed_source_gives_its_buffers_back_before_its_handle_goes() {
    // The Rust API's handle may be kept after a failure (to read the last
    // event ID): the buffers of the stream are given back at the failure,
    // and only the handle's few bytes wait for its drop. Here the first
    // response ends inside a 10 KB event (the parser's buffers keep their
    // room across a reconnection), and the reconnection fails with a 500.
    let fail = || async {
        let fetch = Function::new_with_args(
            "url, init",
            "if (this.calls++) return Promise.resolve(new Response('', { status: 500 }));
             return Promise.resolve(new Response('data: ' + 'x'.repeat(10000), { headers: { 'content-type': 'text/event-stream' } }));",
        );
        let this = Object::new();
        Reflect::set(&this, &"calls".into(), &0.into()).unwrap();
        let options = Options {
            fetch: Some(fetch.bind0(&this)),
            retry: RetryPolicy { initial_delay: 1, ..Default::default() },
            ..Default::default()
        };
        let source = EventSource::with_options("https://example.invalid/stream", options).unwrap();
        let (hooks, done) = js_hooks();
        let resolve: Function = Reflect::get(&hooks, &"messages".into()).unwrap().unchecked_into();
        source.on_error(move |error| {
            if error.ready_state == ReadyState::Closed {
                drop(resolve.call1(&JsValue::NULL, &error.reason.as_str().into()));
            }
        });
        let reason = JsFuture::from(done).await.unwrap();
        assert_eq!(reason.as_string().as_deref(), Some("status"));
        let held = live();
        drop(source);
        held
    };
    fail().await;
    let before = live();
    let held = fail().await - before;
    let after = live();
    assert_eq!(after, before, "{} bytes still allocated after the drop", after.wrapping_sub(before));
    assert!(held < 1024, "{held} bytes held by a failed source whose handle is kept");
}
