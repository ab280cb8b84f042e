// The ES entry under the page's CSP: a source must open and receive events.
import { EventSource } from '/dist/index.js';

window.__csp.finish(window.__csp.run(EventSource).then((r) => ({ loaded: true, ...r })));
