// The 'eventsource-wasm/stream-parser' subpath in browsers (dist/stream-parser.js):
// EventStreamParser, bundled with the wasm-bindgen glue into one file, on a wasm of its
// own, stream_parser_bg.wasm, which holds the parser and nothing of the class. It is
// fetched and compiled from the moment this is imported; a load that fails fails the
// parsers made. (Node.js and workerd: scripts/build.sh makes their entries, on the
// instance their main entry uses, js/wasm-node.js and js/wasm-workerd.js.)
import init, { StreamParser } from './eventsource_wasm.js';
import { defineEventStreamParser } from './stream-parser.js';

const ready = (async () => {
  await init({ module_or_path: new URL('./stream_parser_bg.wasm', import.meta.url) });
})();
ready.catch(() => {}); // reported by the parsers, not as an unhandled rejection

export const EventStreamParser = defineEventStreamParser(() => ready.then(() => StreamParser));
