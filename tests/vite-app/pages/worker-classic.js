// A classic dedicated worker using the classic script (wasm inlined).
importScripts('/dist/eventsource-wasm.js', './scenario.js');
const tag = new URL(location.href).searchParams.get('tag');
runScenario(EventSourceWasm.EventSource, tag).then((result) => postMessage(result));
