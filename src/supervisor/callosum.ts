/**
 * The Supervisor on Callosum, as the reference's supervisor speaks it: the
 * `supervisor` tract's `started` each time a service's process runs,
 * `stopped` each time one ends, `restarting` when a restart was asked for
 * (see Supervisor.restart); and, with `control`, a listener of its own that
 * obeys `supervisor` `restart` (and hands `request` on for tasks). Every
 * message is kept (never shed).
 */
import type { Bus } from '../bus/create-bus.js';
import { CallosumConnection } from '../callosum/connection.js';
import type { CallosumMessage } from '../callosum/protocol.js';

/**
 * Announces the processes of the named services on `connection`; returns the
 * function that stops it. A run is known by the ref its `service` event
 * carries on entering `starting`, before its process's first transition.
 */
export function speakSupervisorTract(bus: Bus, connection: CallosumConnection, owns: (service: string) => boolean): () => void {
  const runs = new Map<string, string>();
  const offService = bus.on('service', (event) => {
    if (event.to === 'starting' && event.ref !== undefined && owns(event.service)) runs.set(event.ref, event.service);
  });
  const offTransition = bus.on('transition', (event) => {
    const service = runs.get(event.ref);
    if (service === undefined) return;
    if (event.to === 'running') {
      connection.emit('supervisor', 'started', { service, pid: event.pid ?? 0, ref: event.ref, ts: event.at });
    } else if (event.to === 'exited' || event.to === 'killed' || event.to === 'failed') {
      runs.delete(event.ref);
      // A process that could not start never ran: pid 0, exit code -1 (as for a task).
      const ran = event.to !== 'failed';
      connection.emit('supervisor', 'stopped', { service, pid: ran ? (event.pid ?? 0) : 0, ref: event.ref, exit_code: ran ? (event.exitCode ?? -1) : -1, ts: event.at });
    }
  });
  return () => {
    offService();
    offTransition();
    runs.clear();
  };
}

export interface ControlHandlers {
  restart: (service: string) => void;
  request?: (fields: CallosumMessage) => void;
}

/**
 * Listens on a connection of its own to `socketPath` and obeys `supervisor`
 * `restart { service }` and `request`. Returns the function that stops it.
 */
export function listenForControl(socketPath: string, handlers: ControlHandlers): () => Promise<void> {
  const connection = new CallosumConnection({ socketPath });
  connection.start((message) => {
    if (message.tract !== 'supervisor') return;
    if (message.event === 'restart' && typeof message.service === 'string') handlers.restart(message.service);
    else if (message.event === 'request') handlers.request?.(message);
  });
  return () => connection.stop({ timeoutMs: 0 });
}
