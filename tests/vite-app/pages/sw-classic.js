// A classic service worker: importScripts the classic build (the wasm
// inlined, instantiated synchronously), which installs EventSource only where
// service workers have none.
// ?no-native=1: behave as a runtime without EventSource, to see it installed.
if (new URL(location.href).searchParams.has('no-native')) delete self.EventSource;
const hadNative = typeof self.EventSource !== 'undefined';
importScripts('/dist/eventsource-wasm.js', './scenario.js');

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('message', (event) => {
  const [port] = event.ports;
  event.waitUntil(
    runScenario(EventSourceWasm.EventSource, event.data.tag).then((result) => {
      result.globalNative = hadNative;
      result.installed = self.EventSource === EventSourceWasm.EventSource;
      port.postMessage(result);
    }),
  );
});
