// Types for 'eventsource-wasm/stream-parser' (EventStreamParser). Only names that both lib "dom" and @types/node
// declare globally (TransformStream, ArrayBufferView), so that no lib "dom"
// is needed.

/** What EventStreamParser accepts: bytes, or text (UTF-8 encoded). */
export type EventStreamChunk = ArrayBuffer | ArrayBufferView | string;

/** One dispatched event: a plain object. */
export interface EventStreamMessage {
  /** The event type: the `event` field, or `'message'`. */
  type: string;
  /** The `data` fields' values, joined with `'\n'`. */
  data: string;
  /** The last event ID at the time of dispatch. */
  lastEventId: string;
}

export interface EventStreamParserOptions {
  /**
   * The most bytes held for one event (its data, type, ID and current line),
   * an integer > 0. Exceeding it errors the stream with a RangeError.
   * Default 16 MiB (16777216).
   */
  maxBufferSize?: number | undefined;
  /** Called with the milliseconds of each valid `retry:` field. */
  onRetry?: ((ms: number) => void) | null | undefined;
  /** Called with each comment line's text (after `:` and one space). */
  onComment?: ((text: string) => void) | null | undefined;
}

/**
 * A TransformStream from the bytes of an event stream (HTML, "Server-sent
 * events") to its events; for one response, with no reconnection:
 *
 *     import { EventStreamParser } from 'eventsource-wasm/stream-parser';
 *     const events = response.body.pipeThrough(new EventStreamParser());
 *     for await (const { type, data, lastEventId } of events) ...
 *
 * @throws {TypeError} for invalid options.
 */
export declare class EventStreamParser extends TransformStream<EventStreamChunk, EventStreamMessage> {
  constructor(options?: EventStreamParserOptions);
}
