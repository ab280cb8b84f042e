// Installs EventSource on the global object where the runtime has none.
import { EventSource } from 'eventsource-wasm';

if (typeof globalThis.EventSource === 'undefined') {
  globalThis.EventSource = EventSource;
}
export { EventSource };
export default EventSource;
