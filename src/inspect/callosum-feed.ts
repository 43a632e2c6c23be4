import { createBus, type Bus, type BusOptions } from '../bus/create-bus.js';
import { SERVICE_STATES, type LineEvent, type QueueEvent, type QueuedTask, type ServiceEvent, type ServiceState, type TransitionEvent } from '../bus/events.js';
import type { CallosumMessage } from '../callosum/protocol.js';

/**
 * A bus fed from Callosum, so an inspector in another process sees what the
 * runtime's own bus saw: the bridge's `lifecycle` tract carries every
 * transition and service change as it was, the `logs` tract every line, the
 * `supervisor` tract every task queue. Events keep the time the
 * runtime stamped them with (`at`, else the server's `ts`). Hand `onMessage`
 * to `CallosumConnection.start`.
 */
export function callosumFedBus(options: Omit<BusOptions, 'now'> = {}): { bus: Bus; onMessage: (message: CallosumMessage) => void } {
  let stamp: number | undefined;
  const bus = createBus({ ...options, now: () => stamp ?? Date.now() });
  const onMessage = (message: CallosumMessage) => {
    stamp = typeof message.at === 'number' ? message.at : typeof message.ts === 'number' ? message.ts : undefined;
    try {
      if (message.tract === 'lifecycle' && message.event === 'transition') {
        const transition = asTransition(message);
        if (transition) bus.emit('transition', transition);
      } else if (message.tract === 'lifecycle' && message.event === 'service') {
        const service = asService(message);
        if (service) bus.emit('service', service);
      } else if (message.tract === 'supervisor' && message.event === 'queue') {
        const queue = asQueue(message);
        if (queue) bus.emit('queue', queue);
      } else if (message.tract === 'logs' && message.event === 'line') {
        const line = asLine(message);
        if (line) bus.emit('line', line);
      }
    } finally {
      stamp = undefined;
    }
  };
  return { bus, onMessage };
}

const STATES = new Set(['spawning', 'running', 'terminating', 'exited', 'killed', 'failed']);

// Messages come from any client on the socket: take only well-formed ones, and only their known fields.
function asTransition(m: CallosumMessage): TransitionEvent | undefined {
  if (typeof m.ref !== 'string' || typeof m.name !== 'string' || typeof m.to !== 'string' || !STATES.has(m.to)) return undefined;
  if (m.from !== null && (typeof m.from !== 'string' || !STATES.has(m.from))) return undefined;
  return {
    ref: m.ref,
    name: m.name,
    ...(typeof m.pid === 'number' && { pid: m.pid }),
    from: m.from as TransitionEvent['from'],
    to: m.to as TransitionEvent['to'],
    ...(typeof m.exitCode === 'number' && { exitCode: m.exitCode }),
    ...(typeof m.signal === 'string' && { signal: m.signal }),
    ...(typeof m.error === 'string' && { error: m.error }),
    cmd: Array.isArray(m.cmd) ? m.cmd.map(String) : [],
    logPath: typeof m.logPath === 'string' ? m.logPath : '',
    startTime: typeof m.startTime === 'number' ? m.startTime : typeof m.ts === 'number' ? m.ts : Date.now(),
  };
}

const SERVICE_STATE_SET = new Set<string>(SERVICE_STATES);
const isServiceState = (value: unknown): value is ServiceState => typeof value === 'string' && SERVICE_STATE_SET.has(value);

function asService(m: CallosumMessage): ServiceEvent | undefined {
  if (typeof m.service !== 'string' || !isServiceState(m.to) || (m.from !== null && !isServiceState(m.from))) return undefined;
  return {
    service: m.service,
    from: m.from as ServiceState | null,
    to: m.to,
    restarts: typeof m.restarts === 'number' ? m.restarts : 0,
    ...(typeof m.ref === 'string' && { ref: m.ref }),
    ...(typeof m.pid === 'number' && { pid: m.pid }),
    ...(typeof m.exitCode === 'number' && { exitCode: m.exitCode }),
    ...(typeof m.delayMs === 'number' && { delayMs: m.delayMs }),
  };
}

/** The `supervisor` tract's `queue` message (`queued` a count, `queue` the list) as the bus's `queue` event. */
function asQueue(m: CallosumMessage): QueueEvent | undefined {
  if (typeof m.command !== 'string' || !Array.isArray(m.queue)) return undefined;
  const queued: QueuedTask[] = [];
  for (const entry of m.queue as unknown[]) {
    if (entry === null || typeof entry !== 'object') continue;
    const { refs, cmd, day } = entry as { refs?: unknown; cmd?: unknown; day?: unknown };
    if (!Array.isArray(refs) || !Array.isArray(cmd)) continue;
    queued.push({ refs: refs.map(String), cmd: cmd.map(String), day: typeof day === 'string' ? day : null });
  }
  return { command: m.command, running: typeof m.running === 'string' ? m.running : null, queued };
}

function asLine(m: CallosumMessage): LineEvent | undefined {
  if (typeof m.ref !== 'string' || typeof m.name !== 'string' || typeof m.line !== 'string') return undefined;
  return {
    ref: m.ref,
    name: m.name,
    pid: typeof m.pid === 'number' ? m.pid : 0,
    stream: m.stream === 'stderr' ? 'stderr' : 'stdout',
    line: m.line,
  };
}
