/**
 * `/events`: the bus as Server-Sent Events. On connect a page gets `hello`
 * (the bus history and the processes known from the journal), then `batch`
 * messages of every event as it happens, one serialisation per batch shared
 * by every page.
 */
import type http from 'node:http';
import type { Bus } from '../bus/create-bus.js';
import type { BusEventType, HistoryEvent, Stamped } from '../bus/events.js';
import type { EarlierProcess } from './journal-scan.js';

export interface EventStream {
  /** Serves one page its stream until it goes away or the stream is closed. */
  open(req: http.IncomingMessage, res: http.ServerResponse, headers: Record<string, string>): void;
  readonly clients: number;
  /** Unsubscribes from the bus and ends every page's stream. */
  close(): void;
}

export function createEventStream(options: { bus: Pick<Bus, 'on' | 'history'>; earlier: readonly EarlierProcess[]; maxBufferedBytes: number }): EventStream {
  const { bus, earlier, maxBufferedBytes } = options;
  const pages = new Set<http.ServerResponse>();
  let pending: HistoryEvent[] = [];
  let flushScheduled = false;

  const send = (res: http.ServerResponse, chunk: string) => {
    // A page that stopped reading is let go (it reconnects and gets the history) rather than buffered without bound.
    if (res.writableLength > maxBufferedBytes) {
      pages.delete(res);
      res.destroy();
      return;
    }
    res.write(chunk);
  };

  const flush = () => {
    flushScheduled = false;
    if (pending.length === 0) return;
    const chunk = `event: batch\ndata: ${JSON.stringify(pending)}\n\n`;
    pending = [];
    for (const res of pages) send(res, chunk);
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
      res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
      pages.add(res);
      const forget = () => pages.delete(res);
      req.on('close', forget);
      res.on('close', forget);
      // A write to a page that went away mid-stream fails here, not in the host.
      res.on('error', forget);
      // History and subscription are taken in the same tick, so no event falls between; the page drops repeats by seq.
      send(res, `retry: 1000\nevent: hello\ndata: ${JSON.stringify({ history: bus.history(), earlier })}\n\n`);
    },
    get clients() {
      return pages.size;
    },
    close() {
      offBus();
      pending = [];
      for (const res of pages) res.end();
      pages.clear();
    },
  };
}
