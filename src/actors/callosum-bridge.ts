/**
 * Forwards a runtime's bus to Callosum.
 *
 * `logs` tract, the seed's events and fields: `exec` when a process is
 * running, `line` per logged line, `exit` when it has ended (exited or
 * killed) with `lines_shed`. A spawn that failed never ran, so, as in the
 * seed, it gets no `exit`; it is visible on the `lifecycle` tract, which
 * carries every bus `transition` as it is.
 *
 * Every bus `service` event goes to the `lifecycle` tract as `service`, with
 * its fields (SPEC 8).
 *
 * exec, exit, transitions and services are kept messages (never shed, they wait for a
 * server); lines are sheddable and each shed one is counted against its
 * process. Lines travel as the bus delivered them, a pipe chunk at a time:
 * one `emitEach` batch per run of lines from one stream. The exit's
 * `lines_shed` is computed when the exit is written, after every earlier line
 * of its process has gone out or been shed.
 */
import { fromCallback, type EventObject } from 'xstate';
import type { Bus } from '../bus/create-bus.js';
import type { Stamped } from '../bus/events.js';
import type { CallosumConnection } from '../callosum/connection.js';

export type CallosumBridgeInput = {
  bus: Pick<Bus, 'on' | 'onBatch'>;
  /** Shared by the whole runtime; the bridge neither starts nor stops it. */
  connection: CallosumConnection;
};

type Tracked = { shed: number; countShed: (count: number) => void };

/** Subscribes the bridge; returns the function that unsubscribes it. */
export function bridgeBusToCallosum({ bus, connection }: CallosumBridgeInput): () => void {
  const processes = new Map<string, Tracked>();
  const track = (ref: string): Tracked => {
    let tracked = processes.get(ref);
    if (!tracked) {
      const created: Tracked = { shed: 0, countShed: (count) => (created.shed += count) };
      processes.set(ref, created);
      tracked = created;
    }
    return tracked;
  };

  const onTransition = (event: Stamped<'transition'>) => {
    connection.emit('lifecycle', 'transition', { ...event, cmd: [...event.cmd], ts: event.at });
    const { ref, name, pid, cmd, logPath } = event;
    if (event.to === 'running') {
      track(ref);
      connection.emit('logs', 'exec', { ref, name, pid, cmd: [...cmd], log_path: logPath, ts: event.at });
    } else if (event.to === 'exited' || event.to === 'killed') {
      const tracked = track(ref);
      processes.delete(ref);
      const fields = {
        ref,
        name,
        pid,
        exit_code: event.exitCode ?? null,
        duration_ms: Math.max(0, Math.round(event.at - event.startTime)),
        cmd: [...cmd],
        log_path: logPath,
        ts: event.at,
      };
      // Read when written: lines still queued ahead of the exit may yet be shed.
      connection.emit('logs', 'exit', () => ({ ...fields, lines_shed: tracked.shed }));
    } else if (event.to === 'failed') {
      processes.delete(ref);
    }
  };

  const send = (events: readonly Stamped<'line'>[], from: number, to: number) => {
    const { ref, name, pid, stream, at } = events[from]!;
    const tracked = track(ref);
    const lines: string[] = new Array(to - from);
    for (let i = from; i < to; i++) lines[i - from] = events[i]!.line;
    const queued = connection.emitEach('logs', 'line', { ref, name, pid, stream, ts: at }, 'line', lines, { onShed: tracked.countShed });
    if (!queued) tracked.shed += lines.length;
  };

  const onLines = (events: readonly Stamped<'line'>[]) => {
    // A batch is one chunk of one stream; split it anyway wherever that does not hold.
    let from = 0;
    for (let i = 1; i <= events.length; i++) {
      const first = events[from]!;
      const event = events[i];
      if (event && event.ref === first.ref && event.stream === first.stream && event.pid === first.pid && event.name === first.name && event.at === first.at) continue;
      send(events, from, i);
      from = i;
    }
  };

  // A service's every state change, with the bus event's fields; kept, like transitions.
  const onService = (event: Stamped<'service'>) => connection.emit('lifecycle', 'service', { ...event, ts: event.at });

  const offTransition = bus.on('transition', onTransition);
  const offLine = bus.onBatch('line', onLines);
  const offService = bus.on('service', onService);
  return () => {
    offTransition();
    offLine();
    offService();
    processes.clear();
  };
}

/** The bridge as an xstate actor: `spawn(callosumBridge, { input: { bus, connection } })`; stopping it unsubscribes. */
export const callosumBridge = fromCallback<EventObject, CallosumBridgeInput>(({ input }) => bridgeBusToCallosum(input));
