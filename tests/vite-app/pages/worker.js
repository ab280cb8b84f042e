// A module worker, dedicated or shared, using the ES module entry.
import './scenario.js';
import { EventSource } from '/dist/index.js';

const tag = new URL(location.href).searchParams.get('tag');
if (typeof SharedWorkerGlobalScope !== 'undefined' && self instanceof SharedWorkerGlobalScope) {
  self.onconnect = (event) => {
    const [port] = event.ports;
    runScenario(EventSource, tag).then((result) => port.postMessage(result));
  };
} else {
  runScenario(EventSource, tag).then((result) => postMessage(result));
}
