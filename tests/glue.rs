//! The Rust glue (`src/wasm.rs`) in headless Chromium and Firefox, driven
//! through its hooks as the JS class drives it, against `data:` URLs (which
//! fetch serves without a server) and addresses that fail. The class and
//! real servers are tested end to end in tests/e2e.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use eventsource_wasm::wasm::{Connection, Hooks};
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// What the hooks saw, one line each, and a promise that resolves once a
/// line satisfies `until` (or fails the test after 10 s).
struct Recorder {
    log: Rc<RefCell<Vec<String>>>,
    hooks: Hooks,
    done: Promise,
    /// Closures owned here, alive as long as the hooks are used.
    _closures: Vec<Box<dyn std::any::Any>>,
}

fn recorder(until: impl Fn(&str) -> bool + 'static, on_message: impl Fn() + 'static) -> Recorder {
    let log = Rc::new(RefCell::new(Vec::new()));
    let resolve: Rc<RefCell<Option<Function>>> = Rc::default();
    let done = Promise::new(&mut |res, rej| {
        *resolve.borrow_mut() = Some(res);
        let fail = Closure::once_into_js(move || rej.call1(&JsValue::NULL, &"timed out".into()));
        web_sys_timeout(&fail, 10_000);
    });
    let until = Rc::new(until);
    let record = {
        let (log, resolve, until) = (log.clone(), resolve.clone(), until.clone());
        Rc::new(move |line: String| {
            let matched = until(&line);
            log.borrow_mut().push(line);
            if matched {
                if let Some(resolve) = resolve.borrow_mut().take() {
                    resolve.call0(&JsValue::NULL).unwrap();
                }
            }
        })
    };
    let hooks = Object::new();
    let open = {
        let record = record.clone();
        Closure::<dyn Fn(String)>::new(move |origin: String| record(format!("open {origin}")))
    };
    let message = {
        let record = record.clone();
        Closure::<dyn Fn(String, String, String)>::new(move |event_type: String, data: String, id: String| {
            record(format!("{event_type} {data:?} #{id}"));
            on_message();
        })
    };
    let error = Closure::<dyn Fn(u8)>::new(move |state: u8| record(format!("error {state}")));
    Reflect::set(&hooks, &"open".into(), open.as_ref()).unwrap();
    Reflect::set(&hooks, &"message".into(), message.as_ref()).unwrap();
    Reflect::set(&hooks, &"error".into(), error.as_ref()).unwrap();
    Recorder {
        log,
        hooks: hooks.unchecked_into(),
        done,
        _closures: vec![Box::new(open), Box::new(message), Box::new(error)],
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn web_sys_timeout(callback: &JsValue, millis: i32);
}

fn data_url(stream: &str) -> String {
    format!("data:text/event-stream,{}", String::from(js_sys::encode_uri_component(stream)))
}

#[wasm_bindgen_test]
async fn spec_7_to_11_opens_dispatches_and_reconnects_after_the_body_ends() {
    let recorder = recorder(|line| line == "error 0", || {});
    let connection = Connection::new(
        data_url("retry: 10\nid: 1\nevent: greet\ndata: hi\ndata: there\n\ndata: second\n\n"),
        &JsValue::UNDEFINED,
        true,
        recorder.hooks.clone().unchecked_into(),
    );
    JsFuture::from(recorder.done.clone()).await.unwrap();
    connection.close();
    assert_eq!(*recorder.log.borrow(), ["open null", "greet \"hi\\nthere\" #1", "message \"second\" #1", "error 0"],);
}

#[wasm_bindgen_test]
async fn spec_13_close_inside_a_handler_stops_the_rest_of_the_chunk() {
    let slot: Rc<RefCell<Option<Connection>>> = Rc::default();
    let closer = slot.clone();
    let recorder = recorder(
        |line| line.starts_with("message"),
        move || {
            if let Some(connection) = closer.borrow().as_ref() {
                connection.close();
            }
        },
    );
    *slot.borrow_mut() = Some(Connection::new(
        data_url("data: 1\n\ndata: 2\n\ndata: 3\n\n"),
        &JsValue::UNDEFINED,
        true,
        recorder.hooks.clone().unchecked_into(),
    ));
    JsFuture::from(recorder.done.clone()).await.unwrap();
    // Let any wrongly scheduled work run: a macrotask later, still nothing.
    JsFuture::from(Promise::new(&mut |resolve, _| web_sys_timeout(&resolve, 50))).await.unwrap();
    assert_eq!(*recorder.log.borrow(), ["open null", "message \"1\" #"]);
}

#[wasm_bindgen_test]
async fn spec_5_an_unloadable_scheme_fails_without_reconnecting() {
    let recorder = recorder(|line| line.starts_with("error"), || {});
    let _connection = Connection::new(
        "ftp://127.0.0.1/stream".into(),
        &JsValue::UNDEFINED,
        true,
        recorder.hooks.clone().unchecked_into(),
    );
    JsFuture::from(recorder.done.clone()).await.unwrap();
    assert_eq!(*recorder.log.borrow(), ["error 2"]);
}

#[wasm_bindgen_test]
async fn spec_6_a_wrong_content_type_fails() {
    let recorder = recorder(|line| line.starts_with("error"), || {});
    let _connection = Connection::new(
        "data:text/plain,data:%20x%0A%0A".into(),
        &JsValue::UNDEFINED,
        true,
        recorder.hooks.clone().unchecked_into(),
    );
    JsFuture::from(recorder.done.clone()).await.unwrap();
    assert_eq!(*recorder.log.borrow(), ["error 2"]);
}

#[wasm_bindgen_test]
async fn spec_5_an_unreachable_server_is_retried() {
    // A high port on loopback where nothing listens: the connection is refused.
    let recorder = recorder(|line| line.starts_with("error"), || {});
    let connection = Connection::new(
        "http://127.0.0.1:65534/".into(),
        &JsValue::UNDEFINED,
        true,
        recorder.hooks.clone().unchecked_into(),
    );
    JsFuture::from(recorder.done.clone()).await.unwrap();
    connection.close();
    assert_eq!(*recorder.log.borrow(), ["error 0"]);
}

/// Counts `error 0` lines (one per reconnection) and resolves at `n`.
fn reconnections(n: usize) -> impl Fn(&str) -> bool {
    let seen = std::cell::Cell::new(0);
    move |line| {
        if line == "error 0" {
            seen.set(seen.get() + 1);
        }
        seen.get() == n
    }
}

#[wasm_bindgen_test]
async fn reconnecting_leaks_no_closure_or_js_reference() {
    // Every fetch, read and timer goes through promises and closures; a leak
    // per attempt would show as live JS references held by wasm.
    let stream = data_url("retry: 0\nid: 1\ndata: x\n\n");
    let warm_up = recorder(reconnections(3), || {});
    let connection = Connection::new(stream.clone(), &JsValue::UNDEFINED, true, warm_up.hooks.clone().unchecked_into());
    JsFuture::from(warm_up.done.clone()).await.unwrap();
    connection.close();

    let recorder = recorder(reconnections(200), || {});
    let before = wasm_bindgen::externref_heap_live_count();
    let connection = Connection::new(stream, &JsValue::UNDEFINED, true, recorder.hooks.clone().unchecked_into());
    JsFuture::from(recorder.done.clone()).await.unwrap();
    connection.close();
    drop(connection);
    // Let aborted promises settle.
    JsFuture::from(Promise::new(&mut |resolve, _| web_sys_timeout(&resolve, 50))).await.unwrap();
    let after = wasm_bindgen::externref_heap_live_count();
    assert_eq!(recorder.log.borrow().iter().filter(|line| line.starts_with("message")).count(), 200);
    assert!(after <= before + 2, "live JS references: {before} before, {after} after 200 reconnections");
}
