import { createActor, type Actor } from 'xstate';
import { getDefaultBus, type Bus } from '../bus/create-bus.js';
import type { ServiceState } from '../bus/events.js';
import type { ServiceView } from '../bus/project-services.js';
import type { CallosumConnection } from '../callosum/connection.js';
import { realClock, type Clock } from '../clock.js';
import { SupervisorError, ValidationError } from '../errors.js';
import { sweepOrphans } from '../eventlog/sweep.js';
import { keepAlive, registerShutdown } from '../host/guard.js';
import { checkId } from '../journal/names.js';
import { resolveJournal } from '../journal/paths.js';
import type { ServiceMachine } from '../machines/service.js';
import { linkCallosum } from '../process/callosum-link.js';
import { linkEventLog } from '../process/event-log-link.js';
import { prepareProcess } from '../process/prepare.js';
import { supervisorMachine, type SupervisorMachine } from './actor.js';
import { listenForControl, speakSupervisorTract } from './callosum.js';
import { dependentsOf, topologicalOrder } from './graph.js';
import { resolveService, type ServiceOptions } from './options.js';
import { TaskQueue, type CommandQueueView, type SubmitOptions } from './tasks.js';

export interface SupervisorOptions {
  /** Journal root for every service's logs. @default process.env.JOURNAL_PATH ?? './journal' */
  journal?: string;
  /** @default the runtime's default bus */
  bus?: Bus;
  /** Where `supervisor` messages and the services' `logs` go: a connection to share, or `false` for none. @default the journal's shared connection */
  callosum?: CallosumConnection | false;
  /** Drives every timer (backoff, readiness, uptime reset) and timestamp. @default the wall clock */
  clock?: Clock;
  /** Obey `supervisor` `restart` and `request` messages from Callosum, on a connection of its own. @default true */
  control?: boolean;
  /** End what dead runtimes left behind in this journal on `start()` (SPEC 10). @default true */
  sweep?: boolean;
  /** `false` keeps the services' and tasks' events out of the event log (SPEC 10). @default true */
  eventLog?: boolean;
  /** The most task refs that may wait per command; see `TaskQueueOptions.maxQueued`. @default Infinity (none) */
  maxQueued?: number;
  /** ms from a task's SIGTERM to SIGKILL; see `TaskQueueOptions.terminateTimeout` (each service has its own). @default 15000 */
  taskTerminateTimeout?: number;
}

/** One row of `status()`: the same row `projectServices` folds from the bus. */
export type ServiceStatus = ServiceView;

type ServiceActor = Actor<ServiceMachine>;

/**
 * Keeps named services alive (SPEC 8): starts them in dependency order, waits
 * until each is ready, restarts what ends as its policy says, gives up on
 * what keeps failing, and stops them in reverse order. It also runs
 * on-demand tasks (SPEC 9).
 */
export class Supervisor {
  /** The supervisor's own xstate actor; it owns one `serviceMachine` actor per service. */
  readonly actor: Actor<SupervisorMachine>;
  private readonly bus: Bus;
  private readonly clock: Clock;
  private readonly journal: string;
  private readonly connection: CallosumConnection | undefined;
  private readonly options: SupervisorOptions;
  private readonly graph = new Map<string, readonly string[]>();
  private readonly tasks: TaskQueue;
  private readonly offTract: () => void;
  private stopControl: (() => Promise<void>) | undefined;
  private releaseHost: (() => void) | undefined;
  private unregisterShutdown: (() => void) | undefined;

  constructor(options: SupervisorOptions = {}) {
    if (options === null || typeof options !== 'object') throw new ValidationError('Supervisor options must be an object', 'options');
    this.options = options;
    this.bus = options.bus ?? getDefaultBus();
    this.clock = options.clock ?? realClock;
    this.journal = resolveJournal(options.journal);
    this.connection = linkCallosum(this.bus, this.journal, options.callosum);
    // Services are recorded from their first `waiting` on, not from their first process.
    linkEventLog(this.bus, this.journal, options.eventLog);
    this.tasks = new TaskQueue({
      journal: this.journal,
      bus: this.bus,
      callosum: this.connection ?? false,
      clock: this.clock,
      eventLog: options.eventLog,
      ...(options.maxQueued !== undefined && { maxQueued: options.maxQueued }),
      ...(options.taskTerminateTimeout !== undefined && { terminateTimeout: options.taskTerminateTimeout }),
    });
    this.actor = createActor(supervisorMachine, { input: { bus: this.bus }, clock: this.clock });
    this.actor.start();
    this.offTract = this.connection ? speakSupervisorTract(this.bus, this.connection, (name) => this.graph.has(name)) : () => {};
    // Tasks run whether or not start() was called (SPEC 9), so requests for them are heard from the start too.
    this.listen();
  }

  /**
   * Adds a service. Throws `ValidationError` for a name already added, a bad
   * name, command or option, an `after` naming no added service, or a cycle.
   * Added after `start()`, it starts once its dependencies are up.
   */
  add(name: string, cmd: readonly string[], options: ServiceOptions = {}): this {
    checkId('name', name);
    if (this.graph.has(name)) throw new ValidationError(`a service named ${name} was already added`, 'name');
    const { cmd: args, policy, after } = resolveService(name, cmd, options);
    topologicalOrder(new Map([...this.graph, [name, after]]));
    const { env, cwd, lineLimit, terminateTimeout } = options;
    const { journal, bus, clock } = this;
    const eventLog = this.options.eventLog;
    // KillMode=control-group: what a run leaves in its group ends with it, so its exit is reported at once and never overlaps the next run.
    const spawnOptions = { name, journal, bus, clock, callosum: this.connection ?? (false as const), env, cwd, lineLimit, terminateTimeout, endGroupOnExit: true, ...(eventLog !== undefined && { eventLog }) };
    this.graph.set(name, after);
    this.actor.send({
      type: 'ADD',
      name,
      after,
      input: { name, policy, bus, now: () => clock.now(), prepare: () => prepareProcess(args, spawnOptions).input },
    });
    return this;
  }

  /**
   * Starts every service in dependency order (those with no path between them
   * together; stopped and failed ones again). Resolves once each is `up` (or
   * `stopped` by its policy); rejects with a `SupervisorError` naming the
   * first that goes `failed`. From here the host stays alive until `stop()`.
   */
  async start(): Promise<void> {
    topologicalOrder(this.graph);
    // What a dead runtime left running in this journal would otherwise run beside the new services.
    if (this.options.sweep !== false) await sweepOrphans({ journal: this.journal });
    this.holdHost();
    this.listen();
    const settled = this.settled();
    this.actor.send({ type: 'START' });
    return settled;
  }

  /**
   * Ends the service's current process and starts it again at once: no
   * backoff, not counted toward `maxRestarts`, `restarts` + 1. Resolves once
   * the new run is starting. A stopped or failed service starts again.
   */
  async restart(name: string): Promise<void> {
    const service = this.service(name);
    const { pid, ref } = service.getSnapshot().context;
    this.connection?.emit('supervisor', 'restarting', { service: name, pid, ref: pid === null ? null : ref });
    const before = service.getSnapshot().value as ServiceState;
    if (before === 'waiting') return;
    const started = this.when(name, (state) => state === 'starting' || state === 'failed');
    this.actor.send({ type: 'RESTART', name });
    await started;
  }

  /**
   * Stops one service (its dependents first) or, with no name, every service
   * in reverse dependency order, and the running tasks: a dependent's process
   * has ended before its dependency is signalled. Services with no path
   * between them stop together.
   */
  async stop(name?: string): Promise<void> {
    let names: Set<string>;
    if (name === undefined) {
      names = new Set(this.graph.keys());
      this.actor.send({ type: 'HALT' });
    } else {
      this.service(name);
      names = new Set([name, ...dependentsOf(this.graph, name)]);
    }
    const stopping = new Map<string, Promise<void>>();
    const stopOne = (each: string): Promise<void> => {
      let done = stopping.get(each);
      if (!done) {
        const dependents = [...names].filter((other) => this.graph.get(other)!.includes(each));
        done = Promise.all(dependents.map(stopOne)).then(() => this.stopService(each));
        stopping.set(each, done);
      }
      return done;
    };
    await Promise.all([...names].map(stopOne));
    if (name !== undefined) return;
    await this.tasks.stop();
    await this.stopControl?.();
    this.stopControl = undefined;
    // The last `stopped` messages go out before the host may exit.
    await this.connection?.flush();
    this.releaseHost?.();
    this.releaseHost = undefined;
    this.unregisterShutdown?.();
    this.unregisterShutdown = undefined;
  }

  /** Every service, in the order added. */
  status(): ServiceStatus[] {
    return [...this.graph.keys()].map((name) => {
      const { value, context } = this.service(name).getSnapshot();
      const { pid, ref, restarts, since, exitCode, nextStartAt } = context;
      return { name, state: value as ServiceState, pid, ref, restarts, since, exitCode, nextStartAt };
    });
  }

  /** Queues an on-demand task (SPEC 9); see `TaskQueue.submit` (a full queue throws `QueueFullError`). */
  submit(cmd: readonly string[], options?: SubmitOptions): string | null {
    return this.tasks.submit(cmd, options);
  }

  /** Every command with a running or waiting task. */
  queue(): CommandQueueView[] {
    return this.tasks.queue();
  }

  private service(name: string): ServiceActor {
    const actor = this.graph.has(name) ? (this.actor.getSnapshot().children[name] as ServiceActor | undefined) : undefined;
    if (!actor) throw new ValidationError(`no service named ${JSON.stringify(name)} (added: ${[...this.graph.keys()].join(', ') || 'none'})`, 'name');
    return actor;
  }

  private async stopService(name: string): Promise<void> {
    const ended = this.when(name, (state) => state === 'stopped' || state === 'failed');
    this.actor.send({ type: 'STOP', name });
    await ended;
  }

  /** Resolves once the service's snapshot satisfies `accept`. */
  private when(name: string, accept: (state: ServiceState) => boolean): Promise<void> {
    const service = this.service(name);
    return new Promise((resolve) => {
      const check = () => {
        if (!accept(service.getSnapshot().value as ServiceState)) return false;
        subscription?.unsubscribe();
        resolve();
        return true;
      };
      let subscription: { unsubscribe(): void } | undefined;
      if (!check()) subscription = service.subscribe({ next: check, complete: check });
    });
  }

  /** Resolves when every service is up or stopped; rejects when one goes failed first. */
  private settled(): Promise<void> {
    return new Promise((resolve, reject) => {
      // Kept per service and counted, not recomputed from status() on every change: with
      // hundreds of services that would be quadratic garbage while they start.
      const states = new Map<string, ServiceState>();
      let settledCount = 0;
      let done = false;
      const subscriptions: { unsubscribe(): void }[] = [];
      const finish = (error?: SupervisorError) => {
        done = true;
        for (const each of subscriptions) each.unsubscribe();
        if (error) reject(error);
        else resolve();
      };
      // `stopped` counts once the service has run since start(): before, it is only waiting its turn.
      const ran = new Set<string>();
      const settled = (name: string, value: ServiceState | undefined) => value === 'up' || (value === 'stopped' && ran.has(name));
      const note = (name: string, state: ServiceState) => {
        if (done) return;
        const before = settled(name, states.get(name));
        if (state !== 'stopped' && state !== 'waiting' && state !== 'failed') ran.add(name);
        settledCount += Number(settled(name, state)) - Number(before);
        states.set(name, state);
        if (state === 'failed') finish(this.failure(this.status().find((row) => row.name === name)!));
        else if (settledCount === this.graph.size) finish();
      };
      for (const name of this.graph.keys()) {
        const service = this.service(name);
        subscriptions.push(service.subscribe({ next: (snapshot) => note(name, snapshot.value as ServiceState) }));
      }
      // Checked once START has been handled: a service that was stopped is starting again by then.
      queueMicrotask(() => {
        for (const name of this.graph.keys()) note(name, this.service(name).getSnapshot().value as ServiceState);
        // Nothing to wait for: a Supervisor with no services (only tasks) is started at once.
        if (this.graph.size === 0 && !done) finish();
      });
    });
  }

  private failure(row: ServiceStatus): SupervisorError {
    const { error } = this.service(row.name).getSnapshot().context;
    const why = error
      ? `its run could not be prepared: ${(error as Error).message ?? String(error)}`
      : `it gave up after ${row.restarts} restart(s)${row.exitCode !== null ? `, the last exit code ${row.exitCode}` : ''}`;
    return new SupervisorError(`service ${row.name} failed: ${why}; see ${this.journal}/health/${row.name}.log`, row.name, error ? { cause: error } : undefined);
  }

  /** With `control`, obeys `supervisor` `restart` and `request` from Callosum on a connection of its own (never keeping the host alive). */
  private listen(): void {
    if (this.options.control === false || !this.connection || this.stopControl) return;
    this.stopControl = listenForControl(this.connection.socketPath, {
      restart: (service) => {
        if (service !== 'supervisor' && this.graph.has(service)) void this.restart(service);
      },
      request: (fields) => this.tasks.handleRequest(fields),
    });
  }

  /** A started Supervisor keeps its host alive, and a stop signal to the host stops the services first, in order. */
  private holdHost(): void {
    this.releaseHost ??= keepAlive();
    this.unregisterShutdown ??= registerShutdown(() => this.stop());
  }
}
