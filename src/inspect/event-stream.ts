/**
 * `/events`: the bus as Server-Sent Events. On connect a page gets `hello`
 * (how much is coming), then what happened before it came, in pieces:
 * `earlier` (processes known only from their logs), `replay` (the journal's
 * event log from before this runtime), `history` (the bus's kept events),
 * then `batch` messages of every event as it happens, one serialisation per
 * batch shared by every page.
 *
 * Memory per page is bounded from the first message on: the catch-up is cut
 * into pieces of at most `PIECE_BYTES` and the next piece is made only when
 * the page has read the last one (backpressure), so a page that never reads
 * costs one piece and a cursor. Live batches wait in a page's queue while it
 * catches up or is slow; past `maxBufferedBytes` the page is let go (it
 * reconnects and starts over). At most `maxClients` pages at once.
 */
import type http from 'node:http';
import type { Bus } from '../bus/create-bus.js';
import type { BusEventType, HistoryEvent, Stamped } from '../bus/events.js';
import type { EarlierProcess } from './journal-scan.js';

export interface EventStream {
  /** Serves one page its stream until it goes away or the stream is closed; a 503 when `maxClients` are already served. */
  open(req: http.IncomingMessage, res: http.ServerResponse, headers: Record<string, string>): void;
  readonly clients: number;
  /** Unsubscribes from the bus and ends every page's stream. */
  close(): void;
}

export interface EventStreamOptions {
  bus: Pick<Bus, 'on' | 'history'>;
  earlier: readonly EarlierProcess[];
  /** Events from before the bus (the journal's event log), sent before its history; drop from the history what `isReplayed` says is among them. */
  replay?: { readonly events: readonly object[]; isReplayed: (event: HistoryEvent) => boolean };
  maxBufferedBytes: number;
  maxClients: number;
}

/** The most a catch-up piece holds (one item larger than this goes alone). */
export const PIECE_BYTES = 64 * 1024;

type Source = { event: 'earlier' | 'replay' | 'history'; items: readonly object[]; skip?: (item: object) => boolean };

type Page = {
  res: http.ServerResponse;
  /** What is left to catch up on, and where in it the page is. */
  sources: Source[];
  index: number;
  /** Live chunks waiting for the catch-up or for the socket to drain. */
  queued: string[];
  queuedBytes: number;
  waiting: boolean;
};

export function createEventStream(options: EventStreamOptions): EventStream {
  const { bus, earlier, replay, maxBufferedBytes, maxClients } = options;
  const pages = new Set<Page>();
  let pending: HistoryEvent[] = [];
  let flushScheduled = false;

  const drop = (page: Page) => {
    pages.delete(page);
    page.queued = [];
    page.sources = [];
    page.res.destroy();
  };

  /** The next catch-up piece, or undefined when the page has caught up. */
  const nextPiece = (page: Page): string | undefined => {
    while (page.sources.length > 0) {
      const source = page.sources[0]!;
      const parts: string[] = [];
      let bytes = 0;
      while (page.index < source.items.length && bytes < PIECE_BYTES) {
        const item = source.items[page.index++]!;
        if (source.skip?.(item)) continue;
        const json = JSON.stringify(item);
        parts.push(json);
        bytes += json.length;
      }
      if (page.index >= source.items.length) {
        page.sources.shift();
        page.index = 0;
      }
      if (parts.length > 0) return `event: ${source.event}\ndata: [${parts.join(',')}]\n\n`;
    }
    return undefined;
  };

  /** Writes until the socket asks to wait; catch-up first, then what queued live meanwhile. */
  const pump = (page: Page) => {
    while (!page.waiting && pages.has(page)) {
      let chunk = nextPiece(page);
      if (chunk === undefined) {
        chunk = page.queued.shift();
        if (chunk === undefined) return;
        page.queuedBytes -= chunk.length;
      }
      if (!page.res.write(chunk)) page.waiting = true;
    }
  };

  const flush = () => {
    flushScheduled = false;
    if (pending.length === 0) return;
    // A handler that emits while an event is being delivered (a Supervisor starting a dependent when a service
    // comes up) makes the wildcard see the newer event first: the page keeps events in seq order and drops repeats by it.
    if (!inOrder(pending)) pending.sort((a, b) => a.seq - b.seq);
    const chunk = `event: batch\ndata: ${JSON.stringify(pending)}\n\n`;
    pending = [];
    for (const page of pages) {
      if (page.waiting || page.sources.length > 0 || page.queued.length > 0) {
        // A page that stopped reading is let go (it reconnects and starts over) rather than buffered without bound.
        if (page.queuedBytes + chunk.length + page.res.writableLength > maxBufferedBytes) {
          drop(page);
          continue;
        }
        page.queued.push(chunk);
        page.queuedBytes += chunk.length;
      } else if (!page.res.write(chunk)) {
        page.waiting = true;
      }
    }
  };

  const offBus = bus.on('*', <K extends BusEventType>(type: K, event: Stamped<K>) => {
    if (pages.size === 0) return;
    pending.push({ type, ...event } as HistoryEvent);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  });

  return {
    open(req, res, headers) {
      if (pages.size >= maxClients) {
        res.writeHead(503, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '5' });
        res.end(`Too many pages: the inspector serves ${maxClients} at once; close one.\n`);
        return;
      }
      res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
      // History and subscription are taken in the same tick, so no event falls between; the page drops repeats by seq.
      const history = bus.history();
      const page: Page = { res, sources: [], index: 0, queued: [], queuedBytes: 0, waiting: false };
      const replayed = replay?.events ?? [];
      page.sources = [
        { event: 'earlier', items: earlier },
        { event: 'replay', items: replayed },
        { event: 'history', items: history, ...(replay && { skip: (event: object) => replay.isReplayed(event as HistoryEvent) }) },
      ];
      pages.add(page);
      const forget = () => pages.delete(page);
      req.on('close', forget);
      res.on('close', forget);
      // A write to a page that went away mid-stream fails here, not in the host.
      res.on('error', forget);
      res.on('drain', () => {
        page.waiting = false;
        pump(page);
      });
      const hello = { earlier: earlier.length, replay: replayed.length, history: history.length };
      if (!res.write(`retry: 1000\nevent: hello\ndata: ${JSON.stringify(hello)}\n\n`)) page.waiting = true;
      pump(page);
    },
    get clients() {
      return pages.size;
    },
    close() {
      offBus();
      pending = [];
      for (const page of pages) page.res.end();
      pages.clear();
    },
  };
}

function inOrder(events: readonly HistoryEvent[]): boolean {
  for (let i = 1; i < events.length; i++) if (events[i]!.seq < events[i - 1]!.seq) return false;
  return true;
}
