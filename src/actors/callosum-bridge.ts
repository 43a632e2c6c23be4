/**
 * Forwards a runtime's bus to Callosum.
 *
 * `logs` tract, the seed's events and fields: `exec` when a process is
 * running, `line` per logged line, `exit` when it has ended (exited or
 * killed) with `lines_shed`. A spawn that failed never ran, so, as in the
 * seed, it gets no `exit`; it is visible on the `lifecycle` tract, which
 * carries every bus `transition` as it is.
 *
 * exec, exit and transitions are kept messages (never shed, they wait for a
 * server); lines are sheddable and each shed one is counted against its
 * process. The exit's `lines_shed` is computed when the exit is written, after
 * every earlier line of its process has gone out or been shed.
 */
import { fromCallback, type EventObject } from 'xstate';
import type { Bus } from '../bus/create-bus.js';
import type { Stamped } from '../bus/events.js';
import type { CallosumConnection } from '../callosum/connection.js';

export type CallosumBridgeInput = {
  bus: Pick<Bus, 'on'>;
  /** Shared by the whole runtime; the bridge neither starts nor stops it. */
  connection: CallosumConnection;
};

type Tracked = { shed: number; countShed: () => void };

/** Subscribes the bridge; returns the function that unsubscribes it. */
export function bridgeBusToCallosum({ bus, connection }: CallosumBridgeInput): () => void {
  const processes = new Map<string, Tracked>();
  const track = (ref: string): Tracked => {
    let tracked = processes.get(ref);
    if (!tracked) {
      const created: Tracked = { shed: 0, countShed: () => created.shed++ };
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

  const onLine = (event: Stamped<'line'>) => {
    const tracked = track(event.ref);
    const { ref, name, pid, stream, line } = event;
    const queued = connection.emit('logs', 'line', { ref, name, pid, stream, line, ts: event.at }, { sheddable: true, onShed: tracked.countShed });
    if (!queued) tracked.shed++;
  };

  const offTransition = bus.on('transition', onTransition);
  const offLine = bus.on('line', onLine);
  return () => {
    offTransition();
    offLine();
    processes.clear();
  };
}

/** The bridge as an xstate actor: `spawn(callosumBridge, { input: { bus, connection } })`; stopping it unsubscribes. */
export const callosumBridge = fromCallback<EventObject, CallosumBridgeInput>(({ input }) => bridgeBusToCallosum(input));
