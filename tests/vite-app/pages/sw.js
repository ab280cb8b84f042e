// A module service worker using the polyfill entry: where service workers
// have no EventSource of their own it installs ours, else it leaves theirs.
import './scenario.js';
import { EventSource } from '/dist/polyfill.js';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('message', (event) => {
  const [port] = event.ports;
  event.waitUntil(
    runScenario(EventSource, event.data.tag).then((result) => {
      const global = globalThis.EventSource;
      result.globalNative = /\[native code\]/.test(Function.prototype.toString.call(global));
      result.installed = global === EventSource;
      port.postMessage(result);
    }),
  );
});
