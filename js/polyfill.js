// Installs EventSource on the global object where the runtime has none.
import { EventSource, EventStreamParser } from 'eventsource-wasm';

if (typeof globalThis.EventSource === 'undefined') {
  globalThis.EventSource = EventSource;
}
export { EventSource, EventStreamParser };
export default EventSource;
