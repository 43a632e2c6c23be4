// Shared set-up for the task tests: a real Callosum server, a listener that records every
// `supervisor` message, and a TaskQueue on its own bus and connection.
import fs from 'node:fs';
import path from 'node:path';
import { createBus, type Bus } from '../../src/bus/create-bus.js';
import type { HistoryEvent, Stamped } from '../../src/bus/events.js';
import { CallosumConnection } from '../../src/callosum/connection.js';
import type { CallosumMessage } from '../../src/callosum/protocol.js';
import { CallosumServer } from '../../src/callosum/server.js';
import type { Clock } from '../../src/clock.js';
import { TaskQueue } from '../../src/supervisor/tasks.js';
import { tempDir, waitFor } from '../callosum/helpers.js';

export interface TaskRig {
  dir: string;
  journal: string;
  bus: Bus;
  tasks: TaskQueue;
  /** Every `supervisor` message the listener heard, in order. */
  heard: CallosumMessage[];
  connection: CallosumConnection;
  socket: string;
  stoppedFor(ref: string): CallosumMessage | undefined;
  startedFor(ref: string): CallosumMessage | undefined;
  /** Waits (generously) for the `stopped` of each ref and returns them. */
  waitStopped(refs: readonly string[], timeoutMs?: number): Promise<CallosumMessage[]>;
  busEvents<K extends HistoryEvent['type']>(type: K): Stamped<K>[];
  close(): Promise<void>;
}

export async function taskRig(options: { clock?: Clock; maxQueued?: number; terminateTimeout?: number } = {}): Promise<TaskRig> {
  const tmp = tempDir();
  const journal = path.join(tmp.dir, 'journal');
  const socket = tmp.socket;
  const server = new CallosumServer({ socketPath: socket });
  await server.start();
  const heard: CallosumMessage[] = [];
  // The first started/stopped per ref, so a wait for a thousand refs is not a thousand scans per poll.
  const firsts = new Map<string, CallosumMessage>();
  const listener = new CallosumConnection({ socketPath: socket });
  listener.start((message) => {
    if (message.tract !== 'supervisor') return;
    heard.push(message);
    const key = `${message.event}:${String(message.ref)}`;
    if (!firsts.has(key)) firsts.set(key, message);
  });
  await waitFor('listener connected', () => listener.isConnected);
  // Unbounded history: the tests read every event back.
  const bus = createBus({ historyLimit: 1_000_000 });
  const connection = new CallosumConnection({ socketPath: socket });
  connection.start();
  const tasks = new TaskQueue({ journal, bus, callosum: connection, ...(options.clock && { clock: options.clock }), ...(options.maxQueued && { maxQueued: options.maxQueued }),
    ...(options.terminateTimeout !== undefined && { terminateTimeout: options.terminateTimeout }),
  });
  const find = (event: string, ref: string) => firsts.get(`${event}:${ref}`);
  return {
    dir: tmp.dir,
    journal,
    bus,
    tasks,
    heard,
    connection,
    socket,
    stoppedFor: (ref) => find('stopped', ref),
    startedFor: (ref) => find('started', ref),
    async waitStopped(refs, timeoutMs = 20_000) {
      // Fails only when no ref was answered for `timeoutMs`: a long queue on a loaded machine is slow, not stuck.
      let answered = 0;
      let progressAt = Date.now();
      for (;;) {
        const now = refs.filter((ref) => find('stopped', ref)).length;
        if (now === refs.length) return refs.map((ref) => find('stopped', ref)!);
        if (now > answered) [answered, progressAt] = [now, Date.now()];
        if (Date.now() - progressAt > timeoutMs) {
          const missing = refs.filter((ref) => !find('stopped', ref));
          throw new Error(`no stopped for ${missing.length} of ${refs.length} refs (first: ${missing.slice(0, 3).join(', ')}); none came for ${timeoutMs} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    busEvents: <K extends HistoryEvent['type']>(type: K) => bus.history().filter((event) => event.type === type) as unknown as Stamped<K>[],
    async close() {
      await tasks.stop();
      await connection.stop();
      await listener.stop();
      await server.stop();
      tmp.cleanup();
    },
  };
}

/** A directory of symlinks to `target`, one per name: commands that differ only in their name. */
export function namedCopies(dir: string, target: string, names: readonly string[]): string[] {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  return names.map((name) => {
    const link = path.join(bin, name);
    fs.symlinkSync(target, link);
    return link;
  });
}
