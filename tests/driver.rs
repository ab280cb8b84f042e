//! The browser side (`src/wasm/`: the driver, the Connection handle, the Rust API) in headless Chromium and Firefox, driven
//! through its hooks as the JS class drives it, against `data:` URLs (which
//! fetch serves without a server) and addresses that fail. The class and
//! real servers are tested end to end in tests/e2e.
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};
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
    /// The length (UTF-16 units) of each batch `messages` received.
    batches: Rc<RefCell<Vec<u32>>>,
    hooks: Hooks,
    done: Promise,
    /// Closures owned here, alive as long as the hooks are used.
    _closures: Vec<Box<dyn std::any::Any>>,
}

/// `on_message` runs after each event; `true` stops the rest of its batch, as
/// the JS class does once closed.
fn recorder(until: impl Fn(&str) -> bool + 'static, on_message: impl Fn() -> bool + 'static) -> Recorder {
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
    let batches: Rc<RefCell<Vec<u32>>> = Rc::default();
    let messages = {
        let record = record.clone();
        let batches = batches.clone();
        // The type, data and ID of each event, every field followed by a CR.
        Closure::<dyn Fn(String)>::new(move |batch: String| {
            batches.borrow_mut().push(batch.len() as u32);
            let fields: Vec<&str> = batch.split('\r').collect();
            for event in fields.chunks_exact(3) {
                record(format!("{} {:?} #{}", event[0], event[1], event[2]));
                if on_message() {
                    break;
                }
            }
        })
    };
    // `error` gets `{ readyState, reason, status, delay, contentType, cause }`.
    let error = Closure::<dyn Fn(JsValue)>::new(move |info: JsValue| {
        let field = |name: &str| Reflect::get(&info, &name.into()).unwrap();
        let state = field("readyState").as_f64().unwrap();
        assert!(field("reason").is_string() && field("status").as_f64().is_some(), "{info:?}");
        record(format!("error {state}"))
    });
    Reflect::set(&hooks, &"open".into(), open.as_ref()).unwrap();
    Reflect::set(&hooks, &"messages".into(), messages.as_ref()).unwrap();
    Reflect::set(&hooks, &"error".into(), error.as_ref()).unwrap();
    Recorder {
        log,
        batches,
        hooks: hooks.unchecked_into(),
        done,
        _closures: vec![Box::new(open), Box::new(messages), Box::new(error)],
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
    let recorder = recorder(|line| line == "error 0", || false);
    let connection = Connection::new(
        data_url("retry: 10\nid: 1\nevent: greet\ndata: hi\ndata: there\n\ndata: second\n\n"),
        &Object::new(),
        recorder.hooks.clone().unchecked_into(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
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
            true
        },
    );
    *slot.borrow_mut() = Some(Connection::new(
        data_url("data: 1\n\ndata: 2\n\ndata: 3\n\n"),
        &Object::new(),
        recorder.hooks.clone().unchecked_into(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    ));
    JsFuture::from(recorder.done.clone()).await.unwrap();
    // Let any wrongly scheduled work run: a macrotask later, still nothing.
    JsFuture::from(Promise::new(&mut |resolve, _| web_sys_timeout(&resolve, 50))).await.unwrap();
    assert_eq!(*recorder.log.borrow(), ["open null", "message \"1\" #"]);
}

#[wasm_bindgen_test]
async fn spec_5_an_unloadable_scheme_fails_without_reconnecting() {
    let recorder = recorder(|line| line.starts_with("error"), || false);
    let _connection = Connection::new(
        "ftp://127.0.0.1/stream".into(),
        &Object::new(),
        recorder.hooks.clone().unchecked_into(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    );
    JsFuture::from(recorder.done.clone()).await.unwrap();
    assert_eq!(*recorder.log.borrow(), ["error 2"]);
}

#[wasm_bindgen_test]
async fn spec_6_a_wrong_content_type_fails() {
    let recorder = recorder(|line| line.starts_with("error"), || false);
    let _connection = Connection::new(
        "data:text/plain,data:%20x%0A%0A".into(),
        &Object::new(),
        recorder.hooks.clone().unchecked_into(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    );
    JsFuture::from(recorder.done.clone()).await.unwrap();
    assert_eq!(*recorder.log.borrow(), ["error 2"]);
}

#[wasm_bindgen_test]
async fn spec_5_an_unreachable_server_is_retried() {
    // A high port on loopback where nothing listens: the connection is refused.
    let recorder = recorder(|line| line.starts_with("error"), || false);
    let connection = Connection::new(
        "http://127.0.0.1:65534/".into(),
        &Object::new(),
        recorder.hooks.clone().unchecked_into(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
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
async fn a_connection_dropped_without_close_aborts_its_request() {
    // A custom fetch that keeps the signal and never answers: the request stays in flight.
    let signal: Rc<RefCell<Option<JsValue>>> = Rc::default();
    let kept = signal.clone();
    let fetch = Closure::<dyn FnMut(JsValue, JsValue) -> Promise>::new(move |_url, init: JsValue| {
        *kept.borrow_mut() = Some(Reflect::get(&init, &"signal".into()).unwrap());
        Promise::new(&mut |_, _| {})
    });
    let options = Object::new();
    Reflect::set(&options, &"fetch".into(), fetch.as_ref()).unwrap();
    let recorder = recorder(|_| false, || false);
    let connection = Connection::new(
        data_url("data: x\n\n"),
        &options,
        recorder.hooks.clone().unchecked_into(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    );
    // The request is made once the current task's microtasks ran.
    JsFuture::from(Promise::new(&mut |resolve, _| web_sys_timeout(&resolve, 0))).await.unwrap();
    let signal = signal.borrow_mut().take().expect("the request was made");
    assert_eq!(Reflect::get(&signal, &"aborted".into()).unwrap(), false);
    drop(connection);
    assert_eq!(Reflect::get(&signal, &"aborted".into()).unwrap(), true, "dropped, the connection aborted its request");
    assert!(recorder.log.borrow().is_empty());
}

#[wasm_bindgen_test]
async fn reconnecting_leaks_no_closure_or_js_reference() {
    // Every fetch, read and timer goes through promises and closures; a leak
    // per attempt would show as live JS references held by wasm.
    let stream = data_url("retry: 0\nid: 1\ndata: x\n\n");
    let warm_up = recorder(reconnections(3), || false);
    let connection = Connection::new(
        stream.clone(),
        &Object::new(),
        warm_up.hooks.clone().unchecked_into(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    );
    JsFuture::from(warm_up.done.clone()).await.unwrap();
    connection.close();

    let recorder = recorder(reconnections(200), || false);
    let before = wasm_bindgen::externref_heap_live_count();
    let connection = Connection::new(
        stream,
        &Object::new(),
        recorder.hooks.clone().unchecked_into(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    );
    JsFuture::from(recorder.done.clone()).await.unwrap();
    connection.close();
    drop(connection);
    // Let aborted promises settle.
    JsFuture::from(Promise::new(&mut |resolve, _| web_sys_timeout(&resolve, 50))).await.unwrap();
    let after = wasm_bindgen::externref_heap_live_count();
    assert_eq!(recorder.log.borrow().iter().filter(|line| line.starts_with("message")).count(), 200);
    assert!(after <= before + 2, "live JS references: {before} before, {after} after 200 reconnections");
}

#[wasm_bindgen_test]
async fn events_cross_into_js_in_batches_of_about_4_kib() {
    // One chunk of 300 events of 100 bytes: a few batches, none much over
    // 4 KiB (a page that keeps one event's data keeps its batch alive).
    let data = "x".repeat(100);
    let stream: String = (0..300).map(|i| format!("id: {i}\ndata: {data}\n\n")).collect();
    let recorder = recorder(|line| line.ends_with("#299"), || false);
    let connection = Connection::new(
        data_url(&stream),
        &Object::new(),
        recorder.hooks.clone().unchecked_into(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    );
    JsFuture::from(recorder.done.clone()).await.unwrap();
    connection.close();
    let log = recorder.log.borrow();
    let expected: Vec<String> = (0..300).map(|i| format!("message {data:?} #{i}")).collect();
    // (The end of the body may be reported before the test resumes.)
    let messages: Vec<&String> = log.iter().filter(|line| line.starts_with("message")).collect();
    assert_eq!(messages, expected.iter().collect::<Vec<_>>(), "every event once, in order");
    let batches = recorder.batches.borrow();
    let event = "message\r".len() + data.len() + "\r299\r".len();
    assert!(batches.len() >= 300 * event / (4096 + event), "batches: {batches:?}");
    assert!(batches.iter().all(|&len| len as usize <= 4096 + event), "batches: {batches:?}");
}

// ---- The Rust API (`eventsource_wasm::wasm::EventSource`) ----

use eventsource_wasm::machine::ReadyState;
use eventsource_wasm::wasm::EventSource;

#[wasm_bindgen_test]
async fn rust_api_callbacks_see_open_messages_and_the_reconnection() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let (promise, done) = {
        let mut resolve = None;
        let promise = Promise::new(&mut |res, _| resolve = Some(res));
        (promise, resolve.unwrap())
    };
    let source = EventSource::new(&data_url("retry: 10\nid: 7\nevent: greet\ndata: hi\n\ndata: there\n\n")).unwrap();
    assert_eq!(source.ready_state(), ReadyState::Connecting);
    let record = log.clone();
    source.on_open(move || record.borrow_mut().push("open".to_string()));
    let record = log.clone();
    source.on_message(move |event| {
        record
            .borrow_mut()
            .push(format!("{} {} #{} {}", event.event_type, event.data, event.last_event_id, event.origin))
    });
    let (record, handle) = (log.clone(), source.clone());
    source.on_error(move |error| {
        record.borrow_mut().push(format!("error {:?} {} {:?}", error.ready_state, error.reason.as_str(), error.delay));
        handle.close();
        done.call0(&JsValue::NULL).unwrap();
    });
    JsFuture::from(promise).await.unwrap();
    assert_eq!(
        *log.borrow(),
        ["open", "greet hi #7 null", "message there #7 null", "error Connecting end-of-stream Some(10)"]
    );
    assert_eq!(source.ready_state(), ReadyState::Closed);
    assert_eq!(source.last_event_id(), "7");
    assert_eq!(source.reconnection_time(), 10);
}

#[wasm_bindgen_test]
async fn rust_api_warns_of_a_content_length_once_in_order_unless_told_not_to() {
    use eventsource_wasm::machine::Warning;
    use eventsource_wasm::wasm::Options;
    // A stream with a Content-Length, from the fetch option (a server's would do the same).
    let fetch = Function::new_no_args(
        "return Promise.resolve(new Response('data: x\\n\\n', { headers: { 'Content-Type': 'text/event-stream', 'Content-Length': '9' } }))",
    );
    for no_diagnostics in [false, true] {
        let retry = eventsource_wasm::machine::RetryPolicy { initial_delay: 10, ..Default::default() };
        let options = Options { fetch: Some(fetch.clone()), no_diagnostics, retry, ..Options::default() };
        let source = EventSource::with_options("/stream", options).unwrap();
        let log = Rc::new(RefCell::new(Vec::new()));
        let (promise, done) = {
            let mut resolve = None;
            let promise = Promise::new(&mut |res, _| resolve = Some(res));
            (promise, resolve.unwrap())
        };
        let record = log.clone();
        source.on_open(move || record.borrow_mut().push("open".to_string()));
        let record = log.clone();
        source.on_message(move |event| record.borrow_mut().push(format!("message {}", event.data)));
        let record = log.clone();
        source.on_warning(move |warning| {
            assert_eq!(*warning, Warning::ContentLength);
            assert!(warning.message().contains("X-Accel-Buffering: no"));
            record.borrow_mut().push(format!("warning {}", warning.code()));
        });
        // The reconnection after the body's end asks again: still one warning.
        let (record, handle, errors) = (log.clone(), source.clone(), Cell::new(0));
        source.on_error(move |error| {
            record.borrow_mut().push(format!("error {:?}", error.ready_state));
            errors.set(errors.get() + 1);
            if errors.get() == 2 {
                handle.close();
                done.call0(&JsValue::NULL).unwrap();
            }
        });
        JsFuture::from(promise).await.unwrap();
        let mut expected = vec!["open", "warning content-length", "message x", "error Connecting"];
        expected.extend(["open", "message x", "error Connecting"]);
        if no_diagnostics {
            expected.remove(1);
        }
        assert_eq!(*log.borrow(), expected, "no_diagnostics: {no_diagnostics}");
    }
}

#[wasm_bindgen_test]
async fn rust_api_from_readable_stream_reads_the_stream_then_closes_with_no_reconnection() {
    let make = Function::new_no_args(
        "const bytes = new TextEncoder().encode('id: 7\\ndata: hi\\n\\ndata: cut');
         return new ReadableStream({ start(c) { c.enqueue(bytes.slice(0, 5)); c.enqueue(bytes.slice(5)); c.close(); } });",
    );
    let stream: web_sys::ReadableStream = make.call0(&JsValue::NULL).unwrap().unchecked_into();
    let log = Rc::new(RefCell::new(Vec::new()));
    let (promise, done) = {
        let mut resolve = None;
        let promise = Promise::new(&mut |res, _| resolve = Some(res));
        (promise, resolve.unwrap())
    };
    let source = EventSource::from_readable_stream(&stream).unwrap();
    assert!(stream.locked(), "the stream is the source's");
    assert!(EventSource::from_readable_stream(&stream).is_err(), "a locked stream is an error");
    assert_eq!((source.url(), source.ready_state()), ("about:event-stream", ReadyState::Connecting));
    let record = log.clone();
    source.on_open(move || record.borrow_mut().push("open".to_string()));
    let record = log.clone();
    source.on_message(move |event| {
        record.borrow_mut().push(format!("{} #{} {}", event.data, event.last_event_id, event.origin))
    });
    let record = log.clone();
    source.on_error(move |error| {
        record.borrow_mut().push(format!("error {:?} {} {:?}", error.ready_state, error.reason.as_str(), error.delay));
        done.call0(&JsValue::NULL).unwrap();
    });
    JsFuture::from(promise).await.unwrap();
    assert_eq!(*log.borrow(), ["open", "hi #7 null", "error Closed end-of-stream None"]);
    assert_eq!((source.ready_state(), source.last_event_id()), (ReadyState::Closed, "7".to_string()));
}

#[cfg(feature = "stream")]
#[wasm_bindgen_test]
async fn rust_api_stream_ends_when_the_retries_are_exhausted() {
    use core::pin::Pin;
    use eventsource_wasm::machine::RetryPolicy;
    use eventsource_wasm::wasm::{ErrorReason, Options, SourceEvent};
    use futures_core::Stream;
    let options = Options {
        retry: RetryPolicy { initial_delay: 5, max_attempts: 0, ..Default::default() },
        last_event_id: "41".into(),
        ..Default::default()
    };
    // A wrong port: refused at once, never opens.
    let source = EventSource::with_options("http://127.0.0.1:65534/", options).unwrap();
    let mut events = source.events();
    drop(source); // the stream keeps it alive
    let mut seen = Vec::new();
    while let Some(event) = core::future::poll_fn(|cx| Pin::new(&mut events).poll_next(cx)).await {
        seen.push(event);
    }
    assert!(
        matches!(
            seen.as_slice(),
            [SourceEvent::Error(error)] if error.reason == ErrorReason::RetriesExhausted && error.ready_state == ReadyState::Closed
        ),
        "{seen:?}"
    );
}

/// A JS `ReadableStream` that gives `text` and then stays open (`close: false`) or closes,
/// and a promise that resolves when it is cancelled.
#[cfg(feature = "stream")]
fn js_stream(text: &str, close: bool) -> (web_sys::ReadableStream, Promise) {
    let make = Function::new_with_args(
        "text, close",
        "let cancelled; const promise = new Promise((resolve) => (cancelled = resolve));
         const stream = new ReadableStream({
           start(c) { c.enqueue(new TextEncoder().encode(text)); if (close) c.close(); },
           cancel() { cancelled(true); },
         });
         return [stream, promise];",
    );
    let pair = make.call2(&JsValue::NULL, &text.into(), &close.into()).unwrap();
    (Reflect::get_u32(&pair, 0).unwrap().unchecked_into(), Reflect::get_u32(&pair, 1).unwrap().unchecked_into())
}

/// The next item of `events`, polled as an executor does.
#[cfg(feature = "stream")]
async fn next(events: &mut eventsource_wasm::wasm::Events) -> Option<eventsource_wasm::wasm::SourceEvent> {
    use futures_core::Stream;
    core::future::poll_fn(|cx| core::pin::Pin::new(&mut *events).poll_next(cx)).await
}

#[cfg(feature = "stream")]
#[wasm_bindgen_test]
async fn rust_api_stream_as_for_await_ends_at_a_stream_s_end_at_close_and_dropping_the_last_handle_closes() {
    use eventsource_wasm::wasm::{ErrorReason, SourceEvent};
    let describe = |event: Option<SourceEvent>| match event {
        Some(SourceEvent::Open) => "open".to_string(),
        Some(SourceEvent::Message(message)) => format!("message {}", message.data),
        Some(SourceEvent::Error(error)) => format!("error {:?} {}", error.ready_state, error.reason.as_str()),
        Some(SourceEvent::Warning(warning)) => format!("warning {}", warning.code()),
        None => "end".to_string(),
    };
    // The stream's end: its events, the closing error, then the end of the Stream.
    let (stream, _) = js_stream("data: a\n\ndata: b\n\n", true);
    let source = EventSource::from_readable_stream(&stream).unwrap();
    let mut events = source.events();
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(describe(next(&mut events).await));
    }
    assert_eq!(seen, ["open", "message a", "message b", "error Closed end-of-stream", "end"]);
    assert_eq!(ErrorReason::EndOfStream.as_str(), "end-of-stream");
    // close() from elsewhere ends it after what came before.
    let (stream, cancelled) = js_stream("data: a\n\n", false);
    let source = EventSource::from_readable_stream(&stream).unwrap();
    let mut events = source.events();
    assert_eq!(describe(next(&mut events).await), "open");
    assert_eq!(describe(next(&mut events).await), "message a");
    source.close();
    assert_eq!(describe(next(&mut events).await), "end");
    assert_eq!(JsFuture::from(cancelled).await.unwrap(), JsValue::TRUE, "close() cancels the stream");
    // Leaving the loop: the stream dropped with the last handle closes the source.
    let (stream, cancelled) = js_stream("data: a\n\n", false);
    let mut events = EventSource::from_readable_stream(&stream).unwrap().events();
    assert_eq!(describe(next(&mut events).await), "open");
    drop(events);
    assert_eq!(JsFuture::from(cancelled).await.unwrap(), JsValue::TRUE, "dropped: closed, the stream cancelled");
}

#[wasm_bindgen_test]
async fn rust_api_relative_urls_and_bad_urls() {
    assert!(EventSource::new("http://[").is_err());
    let source = EventSource::new("/no/such/stream").unwrap();
    assert!(source.url().starts_with("http://") && source.url().ends_with("/no/such/stream"), "{}", source.url());
    source.close();
    assert_eq!(source.ready_state(), ReadyState::Closed);
}

#[wasm_bindgen_test]
async fn rust_api_a_callback_may_call_anything_at_any_point() {
    // One chunk: two events, a retry field, an event, then the end. The
    // callbacks read the getters, dispatch `online` and `offline` (inputs
    // that arrive while events are dispatched), make and close another
    // source, and close this one from the second event of the second
    // connection: nothing after it.
    let stream = "id: 1\ndata: a\n\nid: 2\ndata: b\n\nretry: 5\nid: 3\ndata: c\n\n";
    let source = EventSource::new(&data_url(stream)).unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let (promise, done) = {
        let mut resolve = None;
        let promise = Promise::new(&mut |res, _| resolve = Some(res));
        (promise, resolve.unwrap())
    };
    let dispatch = Function::new_no_args(
        "globalThis.dispatchEvent(new Event('online')); globalThis.dispatchEvent(new Event('offline'));",
    );
    let getters = |source: &EventSource| {
        format!("{:?} #{} {}", source.ready_state(), source.last_event_id(), source.reconnection_time())
    };
    let (record, handle, online) = (log.clone(), source.clone(), dispatch.clone());
    source.on_open(move || {
        record.borrow_mut().push(format!("open {}", getters(&handle)));
        online.call0(&JsValue::NULL).unwrap();
    });
    let (record, handle, online) = (log.clone(), source.clone(), dispatch.clone());
    let messages = Rc::new(Cell::new(0));
    source.on_message(move |event| {
        record.borrow_mut().push(format!("{} {}", event.data, getters(&handle)));
        messages.set(messages.get() + 1);
        match event.data.as_str() {
            "a" => online.call0(&JsValue::NULL).map(drop).unwrap(),
            "b" => EventSource::new("/other").unwrap().close(),
            _ => {}
        }
        // The second connection's second event.
        if messages.get() == 5 {
            handle.close();
            done.call0(&JsValue::NULL).unwrap();
        }
    });
    let (record, handle) = (log.clone(), source.clone());
    source.on_error(move |error| record.borrow_mut().push(format!("error {:?} {}", error.reason, getters(&handle))));
    JsFuture::from(promise).await.unwrap();
    // Nothing after close(): not the rest of the batch, not an error.
    JsFuture::from(Promise::new(&mut |resolve, _| web_sys_timeout(&resolve, 50))).await.unwrap();
    assert_eq!(
        *log.borrow(),
        [
            "open Open # 3000",
            "a Open #1 3000",
            "b Open #2 3000",
            "c Open #3 5",
            "error EndOfStream Connecting #3 5",
            "open Open #3 5",
            "a Open #1 5",
            "b Open #2 5",
        ]
    );
    assert_eq!(source.ready_state(), ReadyState::Closed);
    assert_eq!(source.last_event_id(), "2");
}

#[wasm_bindgen_test]
async fn a_hook_that_throws_is_reported_and_the_connection_goes_on() {
    // The hooks are the class's own code: a throw there is a bug, reported as an
    // exception in an event listener is (an `error` event on the global), not dropped.
    let make = Function::new_no_args(
        "const reported = [];
         const onError = (event) => { reported.push(event.error?.message); event.preventDefault(); };
         globalThis.addEventListener('error', onError);
         let resolve;
         const done = new Promise((r) => { resolve = r; }).then((batch) => {
           globalThis.removeEventListener('error', onError);
           return [batch, reported];
         });
         return [{ open() { throw new Error('a bug in open'); }, messages(batch) { resolve(batch); }, error() {} }, done];",
    );
    let pair = make.call0(&JsValue::NULL).unwrap();
    let hooks = Reflect::get_u32(&pair, 0).unwrap();
    let done: Promise = Reflect::get_u32(&pair, 1).unwrap().unchecked_into();
    let connection = Connection::new(
        data_url("data: still here\n\n"),
        &Object::new(),
        hooks.unchecked_into(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    );
    let result = JsFuture::from(done).await.unwrap();
    connection.close();
    let batch = Reflect::get_u32(&result, 0).unwrap().as_string().unwrap();
    let reported = js_sys::Array::from(&Reflect::get_u32(&result, 1).unwrap());
    assert_eq!(batch, "message\rstill here\r\r");
    assert_eq!(reported.to_vec(), [JsValue::from("a bug in open")]);
}
