// EventStreamParser: a TransformStream from the bytes of an event stream to
// { type, data, lastEventId } objects, parsed by the same Rust/wasm parser as
// EventSource (the wasm `StreamParser`). One stream, one response: no
// reconnection.

import { forEachEvent } from './eventsource.js';

const DEFAULT_MAX_BUFFER_SIZE = 16 * 1024 * 1024;

const encoder = new TextEncoder();

/** ArrayBuffer's brand check (also true for one from another realm). */
const bufferByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get;
function isArrayBuffer(value) {
  try {
    bufferByteLength.call(value);
    return true;
  } catch {
    return false;
  }
}

/** A chunk's bytes, without copying them: a view of the same memory. */
function bytesOf(chunk) {
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (isArrayBuffer(chunk)) return new Uint8Array(chunk);
  throw new TypeError('EventStreamParser: a chunk must be a string, an ArrayBuffer or an ArrayBufferView');
}

function validate(options) {
  const init = options ?? {};
  if (typeof init !== 'object' && typeof init !== 'function') {
    throw new TypeError('EventStreamParser: options must be an object');
  }
  const { maxBufferSize = DEFAULT_MAX_BUFFER_SIZE, onRetry, onComment } = init;
  if (!Number.isInteger(maxBufferSize) || maxBufferSize <= 0) {
    throw new TypeError('EventStreamParser: maxBufferSize must be an integer > 0');
  }
  for (const [name, callback] of [
    ['onRetry', onRetry],
    ['onComment', onComment],
  ]) {
    if (callback != null && typeof callback !== 'function') {
      throw new TypeError(`EventStreamParser: ${name} must be a function`);
    }
  }
  return { maxBufferSize, onRetry, onComment };
}

/**
 * Makes the EventStreamParser class. `load()` returns the wasm `StreamParser`
 * class, or a promise of it while the module is still loading: construction
 * is synchronous either way, and the stream's start() waits for the module.
 */
export function defineEventStreamParser(load) {
  // Engines without TransformStream (Firefox before 102) can still import the
  // package for EventSource; only constructing a parser fails there.
  const Base =
    typeof TransformStream === 'function'
      ? TransformStream
      : class {
          constructor() {
            throw new TypeError('EventStreamParser needs TransformStream, which this engine lacks');
          }
        };

  class EventStreamParser extends Base {
    constructor(options = undefined) {
      const { maxBufferSize, onRetry, onComment } = validate(options);
      let parser = null; // the wasm StreamParser, from start() until released
      let feeding = false; // wasm is parsing a chunk: freeing now would trap
      let released = false;
      let pending = ''; // a high surrogate that ended the last string chunk
      let hooks = null;

      // Frees the wasm memory, at once or when the chunk being parsed is done
      // (onRetry or onComment may cancel the stream while it is parsed).
      const release = () => {
        released = true;
        if (parser && !feeding) {
          parser.free();
          parser = null;
        }
      };
      const feed = (bytes) => {
        feeding = true;
        let ok;
        try {
          ok = parser.feed(bytes, hooks);
        } finally {
          feeding = false;
        }
        if (!ok) throw new RangeError(`EventStreamParser: an event exceeded maxBufferSize (${maxBufferSize} bytes)`);
      };

      super({
        start(controller) {
          // Called by wasm: the events of (a slice of) a chunk, each field
          // followed by a CR, which none can contain (src/wasm/stream_parser.rs).
          hooks = {
            events(batch) {
              forEachEvent(batch, (type, data, lastEventId) => controller.enqueue({ type, data, lastEventId }));
            },
            retry(ms) {
              if (!released) onRetry?.(ms);
            },
            comment(text) {
              if (!released) onComment(text);
            },
          };
          const create = (StreamParser) => {
            if (!released) parser = new StreamParser(maxBufferSize, typeof onComment === 'function');
          };
          const loaded = load();
          return typeof loaded.then === 'function' ? loaded.then(create) : create(loaded);
        },
        transform(chunk, controller) {
          try {
            if (typeof chunk === 'string') {
              // As TextEncoderStream: a surrogate pair split across chunks is
              // joined, not turned into two U+FFFD.
              chunk = pending + chunk;
              pending = '';
              const last = chunk.charCodeAt(chunk.length - 1);
              if (last >= 0xd800 && last <= 0xdbff) {
                pending = chunk.slice(-1);
                chunk = chunk.slice(0, -1);
              }
              feed(encoder.encode(chunk));
            } else {
              const bytes = bytesOf(chunk);
              if (pending) {
                pending = '';
                feed(encoder.encode('\ufffd'));
              }
              feed(bytes);
            }
          } catch (error) {
            // The stream errors with it; transformer.cancel() is not called.
            release();
            throw error;
          }
          if (released) {
            // Cancelled from onRetry or onComment, during the chunk.
            release();
          }
        },
        // A lone high surrogate left pending cannot end a line: the event it
        // would belong to is discarded anyway.
        flush: release,
        cancel: release,
      });
    }
  }

  // Minifiers rename classes; the name is part of the interface.
  Object.defineProperty(EventStreamParser, 'name', { value: 'EventStreamParser' });
  Object.defineProperty(EventStreamParser.prototype, Symbol.toStringTag, {
    value: 'EventStreamParser',
    configurable: true,
  });
  return EventStreamParser;
}
