// A dedicated module worker of a test page (page.mjs): it opens the sources the page asks
// for and posts every event back.
//   page -> worker: { open: key, url, init }   { close: key }
//   worker -> page: { ready: true }   { key, entry }
import { EventSource } from '/dist/index.js';
import { watch } from './watch.mjs';

const sources = new Map();
self.onmessage = ({ data }) => {
  if (data.close !== undefined) {
    sources.get(data.close)?.close();
  } else if (data.open !== undefined) {
    const es = new EventSource(data.url, data.init);
    sources.set(data.open, es);
    watch(es, (entry) => self.postMessage({ key: data.open, entry }));
  }
};
self.postMessage({ ready: true });
