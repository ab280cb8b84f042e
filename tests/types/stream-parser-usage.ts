// EventStreamParser's types, checked by both tsconfigs (with lib "dom", and
// a Node.js project with only @types/node): no DOM-only names needed.
// Its own subpath: the main entry and the polyfill do not export it.
import { EventStreamParser } from 'eventsource-wasm/stream-parser';
import type { EventStreamChunk, EventStreamMessage, EventStreamParserOptions } from 'eventsource-wasm/stream-parser';
// @ts-expect-error: not exported by the main entry
import { EventStreamParser as FromMain } from 'eventsource-wasm';
// @ts-expect-error: nor by the polyfill
import { EventStreamParser as FromPolyfill } from 'eventsource-wasm/polyfill';
void FromMain;
void FromPolyfill;

// A TransformStream from bytes or text to events.
const parser = new EventStreamParser();
parser satisfies TransformStream<Uint8Array, EventStreamMessage>;
parser satisfies TransformStream<string, EventStreamMessage>;
parser satisfies TransformStream<ArrayBuffer, EventStreamMessage>;
parser satisfies TransformStream<DataView, EventStreamMessage>;
const chunk: EventStreamChunk = new Uint8Array(1);
void chunk;

const options: EventStreamParserOptions = {
  maxBufferSize: 1024,
  onRetry: (ms: number) => console.log(ms),
  onComment: (text: string) => console.log(text),
};
new EventStreamParser(options);
new EventStreamParser({});
new EventStreamParser({ maxBufferSize: undefined, onRetry: null, onComment: undefined });

async function read(response: Response): Promise<string[]> {
  // biome-ignore lint/style/noNonNullAssertion: a fetch response's body, known here to be there.
  const events = response.body!.pipeThrough(new EventStreamParser({ onComment: () => {} }));
  const reader = events.getReader();
  const out: string[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    const { type, data, lastEventId }: { type: string; data: string; lastEventId: string } = r.value;
    out.push(`${type} ${data} ${lastEventId}`);
  }
  return out;
}
void read;

// @ts-expect-error: maxBufferSize is a number
new EventStreamParser({ maxBufferSize: '1024' });
// @ts-expect-error: onRetry is a function
new EventStreamParser({ onRetry: 5 });
// @ts-expect-error: the events are objects, not strings
const wrong: TransformStream<Uint8Array, string> = parser;
void wrong;
