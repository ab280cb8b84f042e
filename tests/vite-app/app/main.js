// A user's app: imports the package by name; Vite or webpack bundles it and
// emits the wasm as an asset (`new URL('./…wasm', import.meta.url)`).
import './scenario.js';
import { EventSource } from 'eventsource-wasm';

const tag = new URLSearchParams(location.search).get('tag');
window.__events = [];
runScenario(EventSource, tag).then((result) => {
  window.__events = result.events;
  window.__result = result;
  document.getElementById('status').textContent = JSON.stringify(result.events);
});
