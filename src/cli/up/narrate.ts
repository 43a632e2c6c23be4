/**
 * What `brainstem up` says about its services and tasks, from the bus: their
 * lines prefixed, and each step of their lives (`cortex exited with code 1,
 * restarting in 1 s (restart 2)`) as a brainstem line of its own.
 */
import { constants } from 'node:os';
import type { Bus } from '../../bus/create-bus.js';
import type { ServiceEvent, Stamped, TransitionEvent } from '../../bus/events.js';
import { SERVICE_DEFAULTS, type ServiceOptions } from '../../supervisor/options.js';
import type { PrefixedOutput } from './output.js';

/** Subscribes `out` to `bus`; returns the function that stops it. */
export function narrate(bus: Bus, out: PrefixedOutput, services: ReadonlyMap<string, ServiceOptions>): () => void {
  // Refs of the services' runs, so a task named like a service is still told apart.
  const serviceRefs = new Set<string>();
  const queued = new Map<string, Set<string>>();
  const offs = [
    // One by one, not by batch: a line that makes its service ready is printed before the service is said to be up.
    bus.on('line', (event) => out.line(event.at, event.name, event.stream, event.line)),
    bus.on('service', (event) => {
      if (event.ref !== undefined) serviceRefs.add(event.ref);
      const text = describeService(event, services.get(event.service) ?? {});
      if (text !== null) out.say(event.at, text);
    }),
    bus.on('transition', (event) => {
      const text = serviceRefs.has(event.ref) ? describeServiceRun(event, services.get(event.name) ?? {}) : describeTask(event);
      if (text !== null) out.say(event.at, text);
    }),
    bus.on('queue', (event) => {
      const known = queued.get(event.command) ?? new Set<string>();
      for (const entry of event.queued) {
        const [primary, ...joined] = entry.refs;
        if (!known.has(primary!)) out.say(event.at, `${event.command} queued (ref ${primary}) behind ${event.running ?? 'nothing'}`);
        for (const ref of joined) if (!known.has(ref)) out.say(event.at, `${event.command} ref ${ref} joined the queued ref ${primary} (same command)`);
      }
      queued.set(event.command, new Set(event.queued.flatMap((entry) => entry.refs)));
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}

function describeService(event: Stamped<'service'>, options: ServiceOptions): string | null {
  const { service: name, from, to, exitCode, delayMs, restarts } = event;
  const ended = exitCode === undefined ? 'could not start' : describeExit(exitCode);
  switch (to) {
    case 'waiting':
      return options.after?.length ? `${name} waits for ${options.after.join(', ')} to be up` : null;
    case 'up':
      return options.ready ? `${name} is up (ready)` : `${name} is up (pid ${event.pid})`;
    case 'backoff': {
      const tempfail = options.tempfail ?? SERVICE_DEFAULTS.tempfail;
      const why = exitCode === tempfail.code ? `${ended} (temporary failure)` : from === 'starting' && exitCode !== undefined ? `${ended} before it was up` : ended;
      return `${name} ${why}, restarting ${delayMs ? `in ${seconds(delayMs)}` : 'at once'} (restart ${restarts + 1})`;
    }
    case 'failed': {
      if (from === 'starting' && (options.restart ?? SERVICE_DEFAULTS.restart) === 'never') return `${name} ${ended} before it was up; not restarted (restart: never)`;
      if (exitCode === undefined && from === 'starting') return `${name} failed: its run could not be prepared`;
      const within = options.maxRestarts?.within ?? SERVICE_DEFAULTS.maxRestarts.within;
      return `${name} gave up after ${restarts} restart${restarts === 1 ? '' : 's'} in ${seconds(within)} (the last run ${ended})`;
    }
    case 'stopping':
      return `${name} stopping`;
    case 'stopped':
      if (from === 'up' || from === 'starting') return `${name} ${ended}; not restarted (restart: ${options.restart ?? SERVICE_DEFAULTS.restart})`;
      if (from === 'waiting') return `${name} stopped before it started`;
      return exitCode !== undefined && from === 'stopping' ? `${name} stopped: ${ended}` : `${name} stopped`;
    default:
      return null;
  }
}

/** A service run's own steps that its `service` events do not tell: its pid while it is not ready yet, and why it could not start. */
function describeServiceRun(event: TransitionEvent, options: ServiceOptions): string | null {
  if (event.to === 'running' && options.ready) return `${event.name} started (pid ${event.pid}), waiting until ready: ${describeReady(options.ready)}`;
  if (event.to === 'failed') return `${event.name} could not start: ${event.error ?? 'unknown error'}`;
  return null;
}

function describeTask(event: TransitionEvent): string | null {
  const { name, ref } = event;
  if (event.to === 'running') return `task ${name} started (pid ${event.pid}, ref ${ref})`;
  if (event.to === 'failed') return `task ${name} could not start (ref ${ref}): ${event.error ?? 'unknown error'}`;
  if (event.to === 'exited' || event.to === 'killed') return `task ${name} ${describeExit(event.exitCode ?? -1, event.to === 'killed')} (ref ${ref})`;
  return null;
}

/** `exited with code 1`, `ended by SIGTERM (signal 15)`. */
export function describeExit(exitCode: number, killed = false): string {
  if (exitCode >= 0) return `exited with code ${exitCode}`;
  const signal = Object.entries(constants.signals).find(([, number]) => number === -exitCode)?.[0];
  return `${killed ? 'was killed' : 'ended'} by ${signal ? `${signal} (signal ${-exitCode})` : `signal ${-exitCode}`}`;
}

function describeReady(ready: NonNullable<ServiceOptions['ready']>): string {
  if ('line' in ready) return typeof ready.line === 'string' ? `line ${JSON.stringify(ready.line)}` : `line matching ${String(ready.line)}`;
  if ('port' in ready) return `port ${ready.host ?? '127.0.0.1'}:${ready.port}`;
  if ('socket' in ready) return `socket ${ready.socket}`;
  return `still running after ${seconds(ready.delay)}`;
}

/** `0 s`, `1 s`, `1.5 s`, `0.25 s`. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
