import mittModule, { type Emitter } from 'mitt';
import type { BusEvents, BusEventType, HistoryEvent, Stamped } from './events.js';
import { Ring } from './ring.js';

export type BusHandler<K extends BusEventType> = (event: Stamped<K>) => void;
export type BusWildcardHandler = <K extends BusEventType>(type: K, event: Stamped<K>) => void;
/** Receives every event of one type as the batches they were emitted in (one pipe chunk's lines, say); `emit` makes a batch of one. */
export type BusBatchHandler<K extends BusEventType> = (events: readonly Stamped<K>[]) => void;
export type BusErrorHandler = (error: unknown, type: BusEventType, event: Stamped<BusEventType>) => void;

export interface BusOptions {
  /** Lifecycle events (`transition`, `log`) kept for `history()`. @default 10000 */
  historyLimit?: number;
  /** `line` events kept for `history()`; kept apart so a flood of output never pushes lifecycle events out. @default 1000 */
  lineHistoryLimit?: number;
  /**
   * Characters of line text kept for `history()` at most, whatever `lineHistoryLimit` allows: a
   * thousand 64 KiB lines would pin 64 MB, and every kept line outlives V8's young generation, which
   * then grows (a 400 MB burst peaked at 407 MB RSS with no bound, 153 MB with 256 Ki, 117 MB with
   * 64 Ki). The newest line is always kept. @default 65536
   */
  lineHistoryChars?: number;
  /** Where the `at` stamp comes from. @default Date.now */
  now?: () => number;
  /** Told about every handler that throws. @default prints the error to stderr */
  onError?: BusErrorHandler;
}

export interface Bus {
  on<K extends BusEventType>(type: K, handler: BusHandler<K>): () => void;
  on(type: '*', handler: BusWildcardHandler): () => void;
  off<K extends BusEventType>(type: K, handler: BusHandler<K>): void;
  off(type: '*', handler: BusWildcardHandler): void;
  /**
   * Subscribes to whole batches of one type, for consumers whose cost is per
   * delivery rather than per event (the Callosum bridge encodes a chunk's
   * lines in one go). Called after the per-event handlers; returns the
   * function that unsubscribes.
   */
  onBatch<K extends BusEventType>(type: K, handler: BusBatchHandler<K>): () => void;
  /** Stamps `payload` with `seq` and `at`, delivers it, keeps it in history, and returns the stamped event. */
  emit<K extends BusEventType>(type: K, payload: BusEvents[K]): Stamped<K>;
  /** Delivers many events of one type in order, as `emit` would one by one, but looks its handlers up once. */
  emitBatch<K extends BusEventType>(type: K, payloads: readonly BusEvents[K][]): void;
  /** The kept events, oldest first, each tagged with its `type`. */
  history(): HistoryEvent[];
  /** The `seq` of the last event emitted (0 before the first). */
  readonly seq: number;
  /** How many handler errors were reported. */
  readonly handlerErrors: number;
}

type AnyHandler = (...args: any[]) => void;

// mitt's types describe a CommonJS module while Node loads its ESM build: take the function either way.
const mitt = ((mittModule as unknown as { default?: unknown }).default ?? mittModule) as typeof mittModule.default;

const printHandlerError: BusErrorHandler = (error, type, event) => {
  console.error(`[brainstem] a bus handler for "${type}" (seq ${event.seq}) threw:`, error);
};

/** A typed mitt bus that stamps, keeps a bounded history, and isolates handlers that throw. */
export function createBus(options: BusOptions = {}): Bus {
  const now = options.now ?? Date.now;
  const onError = options.onError ?? printHandlerError;
  const emitter: Emitter<BusEvents> = mitt<BusEvents>();
  const lifecycle = new Ring<HistoryEvent>(options.historyLimit ?? 10_000);
  const lines = new LineHistory(options.lineHistoryLimit ?? 1_000, options.lineHistoryChars ?? 64 * 1024);
  // mitt calls handlers in a plain loop, so one that throws would stop the rest: wrap each once.
  const wrapped = new Map<string, Map<AnyHandler, AnyHandler>>();
  const batchHandlers = new Map<BusEventType, Set<AnyHandler>>();
  let seq = 0;
  let handlerErrors = 0;

  const report = (error: unknown, type: BusEventType, event: Stamped<BusEventType>) => {
    handlerErrors++;
    try {
      onError(error, type, event);
    } catch (reportError) {
      printHandlerError(reportError, type, event);
    }
  };

  const on = (type: BusEventType | '*', handler: AnyHandler) => {
    const safe: AnyHandler =
      type === '*'
        ? (eventType: BusEventType, event: Stamped<BusEventType>) => {
            try {
              handler(eventType, event);
            } catch (error) {
              report(error, eventType, event);
            }
          }
        : (event: Stamped<BusEventType>) => {
            try {
              handler(event);
            } catch (error) {
              report(error, type, event);
            }
          };
    let byHandler = wrapped.get(type);
    if (!byHandler) wrapped.set(type, (byHandler = new Map()));
    const previous = byHandler.get(handler);
    if (previous) emitter.off(type as BusEventType, previous);
    byHandler.set(handler, safe);
    emitter.on(type as BusEventType, safe);
    return () => off(type, handler);
  };

  const off = (type: BusEventType | '*', handler: AnyHandler) => {
    const safe = wrapped.get(type)?.get(handler);
    if (!safe) return;
    wrapped.get(type)!.delete(handler);
    emitter.off(type as BusEventType, safe);
  };

  const onBatch = (type: BusEventType, handler: AnyHandler) => {
    let handlers = batchHandlers.get(type);
    if (!handlers) batchHandlers.set(type, (handlers = new Set()));
    handlers.add(handler);
    return () => void batchHandlers.get(type)?.delete(handler);
  };

  const deliverBatch = <K extends BusEventType>(type: K, events: readonly Stamped<K>[]) => {
    const handlers = batchHandlers.get(type);
    if (!handlers || handlers.size === 0) return;
    for (const handler of [...handlers]) {
      try {
        handler(events);
      } catch (error) {
        report(error, type, events[0]! as Stamped<BusEventType>);
      }
    }
  };

  const stamp = <K extends BusEventType>(payload: BusEvents[K], at: number): Stamped<K> => {
    const event = payload as Stamped<K>;
    event.seq = ++seq;
    event.at = at;
    return event;
  };

  const keep = <K extends BusEventType>(type: K, event: Stamped<K>) => {
    if (type === 'line') lines.push(event as Stamped<'line'>);
    else lifecycle.push({ type, ...event } as HistoryEvent);
  };

  const bus: Bus = {
    on: on as Bus['on'],
    off: off as Bus['off'],
    onBatch: onBatch as Bus['onBatch'],
    emit(type, payload) {
      const event = stamp(payload, now());
      keep(type, event);
      emitter.emit(type, event);
      deliverBatch(type, [event]);
      return event;
    },
    emitBatch(type, payloads) {
      if (payloads.length === 0) return;
      const at = now();
      const typed = [...(emitter.all.get(type) ?? [])] as AnyHandler[];
      const wildcard = [...(emitter.all.get('*') ?? [])] as AnyHandler[];
      const events: Stamped<typeof type>[] = new Array(payloads.length);
      for (let i = 0; i < payloads.length; i++) {
        const event = stamp(payloads[i]!, at);
        events[i] = event;
        keep(type, event);
        for (const handler of typed) handler(event);
        for (const handler of wildcard) handler(type, event);
      }
      deliverBatch(type, events);
    },
    history() {
      const kept = lifecycle.toArray();
      if (lines.length === 0) return kept;
      const tagged = lines.toArray().map((event) => ({ type: 'line' as const, ...event }));
      // Both rings are in seq order: merge them.
      const merged: HistoryEvent[] = [];
      let i = 0;
      let j = 0;
      while (i < kept.length || j < tagged.length) {
        if (j >= tagged.length || (i < kept.length && kept[i]!.seq < tagged[j]!.seq)) merged.push(kept[i++]!);
        else merged.push(tagged[j++]!);
      }
      return merged;
    },
    get seq() {
      return seq;
    },
    get handlerErrors() {
      return handlerErrors;
    },
  };
  return bus;
}

/** The kept `line` events: a ring bounded by count and by characters of text, oldest dropped first. */
class LineHistory {
  private readonly ring: Ring<Stamped<'line'>>;
  private chars = 0;

  constructor(
    limit: number,
    private readonly maxChars: number,
  ) {
    this.ring = new Ring(limit);
  }

  push(event: Stamped<'line'>): void {
    if (this.ring.capacity === 0) return;
    const dropped = this.ring.push(event);
    this.chars += event.line.length - (dropped ? dropped.line.length : 0);
    while (this.chars > this.maxChars && this.ring.length > 1) this.chars -= this.ring.shift()!.line.length;
  }

  toArray(): Stamped<'line'>[] {
    return this.ring.toArray();
  }

  get length(): number {
    return this.ring.length;
  }
}

let defaultBus: Bus | undefined;

/** The bus every process uses unless given its own. */
export function getDefaultBus(): Bus {
  return (defaultBus ??= createBus());
}
