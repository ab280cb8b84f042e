// The SharedWorker of tests/many/run.mjs ("one shared source"): every tab of the origin connects to
// it; it holds ONE EventSource and posts each of its events to every connected tab.
import { implementation } from './sources.mjs';

const ports = new Set();
let source = null;

self.onconnect = ({ ports: [port] }) => {
  ports.add(port);
  port.onmessage = async ({ data: { op, impl, url } }) => {
    if (op === 'start' && !source) {
      source = new (await implementation(impl))(url);
      source.onmessage = ({ data, lastEventId }) => {
        for (const p of ports) p.postMessage({ type: 'message', data, lastEventId });
      };
    } else if (op === 'stop') {
      source?.close();
      source = null;
    }
    port.postMessage({ type: 'ack', op, tabs: ports.size });
  };
  port.postMessage({ type: 'ack', op: 'connect', tabs: ports.size });
};
