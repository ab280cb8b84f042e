// Types for eventsource-wasm: the standard EventSource interface (HTML,
// "Server-sent events"), so that `EventSource satisfies typeof
// globalThis.EventSource` (checked by tsc in the tests).

export interface EventSourceInit {
  /** Send credentials (cookies, HTTP auth) cross-origin. Default false. */
  withCredentials?: boolean;
}

/** The listener types of the DOM, spelled out so that no lib "dom" is needed. */
export type EventSourceListener = ((event: Event) => any) | { handleEvent(event: Event): any };
export interface EventSourceListenerOptions {
  capture?: boolean;
}
export interface EventSourceAddListenerOptions extends EventSourceListenerOptions {
  once?: boolean;
  passive?: boolean;
  signal?: AbortSignal;
}

export interface EventSourceEventMap {
  error: Event;
  message: MessageEvent;
  open: Event;
}

export declare class EventSource extends EventTarget {
  constructor(url: string | URL, eventSourceInitDict?: EventSourceInit);

  /** The absolute URL of the stream. */
  readonly url: string;
  /** Whether credentials are sent cross-origin. */
  readonly withCredentials: boolean;
  /** CONNECTING (0), OPEN (1) or CLOSED (2). */
  readonly readyState: number;

  onopen: ((this: EventSource, ev: Event) => any) | null;
  onmessage: ((this: EventSource, ev: MessageEvent) => any) | null;
  onerror: ((this: EventSource, ev: Event) => any) | null;

  /** Aborts the connection and any pending reconnection, for good. */
  close(): void;

  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSED: 2;
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSED: 2;

  addEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: (this: EventSource, ev: EventSourceEventMap[K]) => any,
    options?: boolean | EventSourceAddListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: (this: EventSource, event: MessageEvent) => any,
    options?: boolean | EventSourceAddListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventSourceListener,
    options?: boolean | EventSourceAddListenerOptions,
  ): void;
  removeEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: (this: EventSource, ev: EventSourceEventMap[K]) => any,
    options?: boolean | EventSourceListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: (this: EventSource, event: MessageEvent) => any,
    options?: boolean | EventSourceListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventSourceListener,
    options?: boolean | EventSourceListenerOptions,
  ): void;
}

export default EventSource;
export { EventStreamParser } from './stream-parser.js';
export type { EventStreamChunk, EventStreamMessage, EventStreamParserOptions } from './stream-parser.js';
