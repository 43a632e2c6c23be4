/**
 * Model-based coverage of `serviceMachine`, as for processMachine: xstate's
 * graph utilities walk the machine wrapped in a model of the world (what a
 * real child, a blocked journal and the clock can do next), and each path is
 * driven on real children with the test clock: crash, crash while starting,
 * readiness timeout, tempfail, giving up, restart from failed, stop during
 * backoff and during starting, and the rest the chart allows. An event type
 * the machine accepts with no real cause here fails the test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { __unsafe_getAllOwnEventDescriptors as ownEventTypes, createActor, type ActorScope, type AnyActorLogic, type SnapshotFrom } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { createBus, createTestClock, JournalError, SERVICE_STATES, serviceMachine, type ServiceContext, type ServicePolicy, type ServiceState } from '../../src/index.js';
import { dayOf } from '../../src/journal/day.js';
import type { ProcessInput } from '../../src/machines/process.js';
import type { ServiceMachineEvent } from '../../src/machines/service.js';
import { prepareProcess } from '../../src/process/prepare.js';
import { fixture, groupMembers, tempDir, until } from '../faults/helpers.js';

const test = suite('serviceMachine, walked: every state and transition the chart allows, driven on real children');

const DAY = 86_400_000;
type MachineSnapshot = SnapshotFrom<typeof serviceMachine>;
type AnyEvent = ServiceMachineEvent | { type: string; [key: string]: unknown };

/** What the world owes or allows next, beside the machine's own context. */
type World = {
  /** A process runs for the current run (between its start and its exit). */
  live: boolean;
  /** The journal's day directory is blocked: the next run cannot be prepared. */
  blocked: boolean;
  /** Events one real cause set off: they come next, in this order. */
  owed: AnyEvent[];
};
type ModelState = { machine: MachineSnapshot; world: World };

const POLICIES: Record<string, ServicePolicy> = {
  always: {
    restart: 'always',
    backoff: [1 * DAY, 2 * DAY],
    resetAfter: 7 * DAY,
    maxRestarts: { count: 2, within: 365 * DAY },
    tempfail: { code: 75, delay: DAY / 2 },
    ready: { line: 'ready' },
    readyTimeout: 3 * DAY,
  },
  never: {
    restart: 'never',
    backoff: [DAY],
    resetAfter: 7 * DAY,
    maxRestarts: { count: 5, within: 365 * DAY },
    tempfail: { code: 75, delay: DAY / 2 },
    ready: { line: 'ready' },
    readyTimeout: 3 * DAY,
  },
};

const done = (exitCode: number): AnyEvent => ({ type: 'xstate.done.actor.process', output: { exitCode }, actorId: 'process' });
const TIMER = /^xstate\.after\.(backoffDelay|readyTimeout|resetAfter)\./;
const driverKey = (type: string) => TIMER.exec(type)?.[1] ?? type;

/** For each event type the machine accepts: when the real world can produce it, with what payload. */
const CAN_HAPPEN: Record<string, (ctx: ServiceContext, value: ServiceState, world: World) => AnyEvent[]> = {
  START: (_c, value) => (['waiting', 'stopped', 'failed'].includes(value) ? [{ type: 'START' }] : []),
  STOP: () => [{ type: 'STOP' }],
  RESTART: (_c, value) => (value !== 'waiting' ? [{ type: 'RESTART' }] : []),
  READY: (ctx, value, world) => (value === 'starting' && world.live && !ctx.timedOut ? [{ type: 'READY' }] : []),
  // Owed after every start; see nextWorld.
  PROCESS_RUNNING: () => [],
  // Raised by the machine itself when the run cannot be prepared (a blocked journal: BLOCK_JOURNAL).
  PREPARE_FAILED: () => [],
  'xstate.done.actor.process': (ctx, value, world) => (world.live && (value === 'starting' || value === 'up') && !ctx.timedOut ? [done(1), done(75), done(0)] : []),
  backoffDelay: (_c, value) => (value === 'backoff' ? [{ type: 'backoffDelay' }] : []),
  readyTimeout: (ctx, value, world) => (value === 'starting' && world.live && !ctx.timedOut ? [{ type: 'readyTimeout' }] : []),
  resetAfter: (ctx, value) => (value === 'up' && ctx.step > 0 ? [{ type: 'resetAfter' }] : []),
};

function possibleEvents(state: ModelState): AnyEvent[] {
  const { machine, world } = state;
  if (world.owed.length > 0) return [world.owed[0]!];
  const value = machine.value as ServiceState;
  const events = ownEventTypes(machine).flatMap((type: string) => {
    const canHappen = CAN_HAPPEN[driverKey(type)];
    if (!canHappen) throw new Error(`serviceMachine accepts ${type} in ${value}, and this test has no way to make it happen for real: add it to CAN_HAPPEN and drive()`);
    return canHappen(machine.context, value, world).map((event) => (TIMER.test(type) ? { type } : event));
  });
  // The world's own move: the journal gets blocked before the first start.
  if (value === 'waiting' && !world.blocked) events.push({ type: 'BLOCK_JOURNAL' });
  return events;
}

let modelBlocked = false;
const modelInput = (policy: ServicePolicy) => ({
  name: 'model',
  policy,
  bus: createBus(),
  now: () => 0,
  prepare: (): ProcessInput => {
    if (modelBlocked) throw new JournalError('model', '/model', 'ENOTDIR');
    return { ref: 'model', name: 'model', cmd: ['model'], bus: createBus(), log: { path: '/model', pinned: false } as never, now: () => 0, startTime: 0, lineLimit: 64, terminateTimeout: 1, drainTimeout: 1 };
  },
});

function modelOf() {
  return {
    getInitialSnapshot: (scope: ActorScope<any, any>, input: unknown): ModelState => {
      modelBlocked = false;
      return { machine: serviceMachine.getInitialSnapshot(scope as never, input as never), world: { live: false, blocked: false, owed: [] } };
    },
    transition: (state: ModelState, event: AnyEvent, scope: ActorScope<any, any>): ModelState => {
      const world: World = { ...state.world, owed: [...state.world.owed] };
      if (world.owed.length > 0 && world.owed[0]!.type === event.type) world.owed.shift();
      if (event.type === 'BLOCK_JOURNAL') return { machine: state.machine, world: { ...world, blocked: true } };
      modelBlocked = world.blocked;
      const before = state.machine;
      const machine = serviceMachine.transition(before, event as ServiceMachineEvent, scope as never);
      modelBlocked = false;
      const type = driverKey(event.type);
      if (type === 'xstate.done.actor.process') world.live = false;
      if (type === 'readyTimeout') world.owed.push(done(-15));
      if (machine.value === 'stopping' && before.value !== 'stopping') world.owed.push(done(-15));
      // A run began (its ref is new, or its process ended and another starts): its process runs before anything else happens.
      const began = machine.value === 'starting' && (before.value !== 'starting' || type === 'xstate.done.actor.process');
      if (began && !world.blocked) {
        world.live = true;
        world.owed.unshift({ type: 'PROCESS_RUNNING', pid: 1 });
      }
      return { machine, world };
    },
  } as unknown as AnyActorLogic;
}

/** What a real actor must match: the machine's own facts. */
function facts(machine: { value: unknown; context: ServiceContext }) {
  const c = machine.context;
  return JSON.stringify({ state: machine.value, restarts: c.restarts, step: c.step, recent: c.recent.length, timedOut: c.timedOut, restartRequested: c.restartRequested, exitCode: c.exitCode });
}
const serializeState = (state: unknown) => {
  const { machine, world } = state as ModelState;
  const c = machine.context;
  // Restarts only grow: counted up to 3 so the walk is finite.
  const bounded = { state: machine.value, restarts: Math.min(c.restarts, 3), step: c.step, recent: c.recent.length, timedOut: c.timedOut, restartRequested: c.restartRequested, exitCode: c.exitCode };
  return `${JSON.stringify(bounded)} ${JSON.stringify({ ...world, owed: world.owed.map((e) => e.type) })}`;
};
const serializeEvent = (event: unknown) => JSON.stringify(event);

type Step = { event: AnyEvent; state: ModelState };

function pathsToRun(policy: ServicePolicy): Step[][] {
  const model = modelOf();
  const traversal = { events: (state: unknown) => possibleEvents(state as ModelState), serializeState, serializeEvent, input: modelInput(policy) } as never;
  const shortest = getShortestPaths(model, traversal) as unknown as { state: ModelState; steps: Step[] }[];
  const toState = new Map(shortest.map((p) => [serializeState(p.state), p.steps.slice(1) as Step[]]));
  const adjacency = getAdjacencyMap(model, traversal) as unknown as Record<string, { transitions: Record<string, { event: AnyEvent; state: ModelState }> }>;
  // One path per edge of the chart (from, cause, to), the shortest that takes it: the model's
  // states also count restarts and the schedule, and walking each of those would take hours.
  const byEdge = new Map<string, Step[]>();
  for (const [source, { transitions }] of Object.entries(adjacency)) {
    const from = JSON.parse(source.split(' ')[0]!).state as string;
    for (const { event, state } of Object.values(transitions)) {
      const edge = `${from} ${serializeEvent({ ...event, type: driverKey(event.type), pid: undefined })} ${state.machine.value as string}`;
      const steps = [...toState.get(source)!, { event, state }];
      if (!byEdge.has(edge) || byEdge.get(edge)!.length > steps.length) byEdge.set(edge, steps);
    }
  }
  const all = [...byEdge.values()];
  const key = (steps: Step[]) => steps.map((s) => serializeEvent(s.event)).join('>') + '>';
  const keys = [...new Set(all.map(key))].sort((a, b) => b.length - a.length);
  const kept: string[] = [];
  const byKey = new Map(all.map((steps) => [key(steps), steps]));
  for (const k of keys) if (!kept.some((longer) => longer.startsWith(k))) kept.push(k);
  return kept.map((k) => byKey.get(k)!).filter((steps) => steps.length > 0);
}

/** An event as the edge list names it: `exit <code>` for a process's end, a timer by its delay, a blocked journal by what it causes. */
function edgeCause(event: AnyEvent): string {
  if (event.type === 'xstate.done.actor.process') return `exit ${(event as { output: { exitCode: number } }).output.exitCode}`;
  if (event.type === 'BLOCK_JOURNAL') return 'BLOCK_JOURNAL';
  return driverKey(event.type);
}

/** Drives real services along `steps`, checking the real actor against the model after every settled step. */
async function drive(policy: ServicePolicy, steps: Step[]): Promise<Set<string>> {
  const { journal, remove } = tempDir('service-walk');
  const clock = createTestClock(new Date(2026, 2, 10, 12, 0, 0));
  const bus = createBus({ now: () => clock.now() });
  const armed = new Set<string>();
  bus.on('line', (e) => e.line === 'armed' && armed.add(e.ref));
  const pids = new Set<number>();
  bus.on('transition', (e) => e.pid !== undefined && pids.add(e.pid));
  const prepare = () =>
    prepareProcess([fixture('serves_as_signals_say.sh')], { name: 'walker', journal, bus, clock, callosum: false, eventLog: false, endGroupOnExit: true, terminateTimeout: 100 * DAY } as never).input;
  const actor = createActor(serviceMachine, { input: { name: 'walker', policy, bus, now: () => clock.now(), prepare }, clock });
  const real = () => actor.getSnapshot();
  const advanceTo = (at: number) => clock.advance(Math.max(0, at - clock.now()));
  const describe = (i: number) => steps.map((s, k) => `${k === i ? '>>' : ''}${s.event.type}${'output' in s.event ? `(${(s.event.output as { exitCode: number }).exitCode})` : ''}`).join(' → ');
  const signal = (sig: NodeJS.Signals) => process.kill(real().context.pid!, sig);

  actor.start();
  try {
    for (const [i, { event, state }] of steps.entries()) {
      const owedBefore = i > 0 && steps[i - 1]!.state.world.owed.length > 0;
      switch (driverKey(event.type)) {
        case 'BLOCK_JOURNAL':
          fs.mkdirSync(journal, { recursive: true, mode: 0o700 });
          fs.writeFileSync(path.join(journal, dayOf(clock.now())), 'in the way');
          break;
        case 'START':
        case 'STOP':
        case 'RESTART':
          actor.send({ type: event.type } as ServiceMachineEvent);
          break;
        case 'PROCESS_RUNNING':
          await until(`the run is armed (${describe(i)})`, () => real().context.ref !== null && armed.has(real().context.ref!));
          break;
        case 'READY':
          signal('SIGUSR1');
          break;
        case 'xstate.done.actor.process': {
          if (owedBefore) break;
          const code = (event as { output: { exitCode: number } }).output.exitCode;
          signal(code === 1 ? 'SIGHUP' : code === 75 ? 'SIGUSR2' : 'SIGINT');
          break;
        }
        case 'backoffDelay':
          advanceTo(real().context.nextStartAt!);
          break;
        case 'readyTimeout':
          advanceTo(real().context.since + policy.readyTimeout);
          break;
        case 'resetAfter':
          advanceTo(real().context.since + policy.resetAfter);
          break;
        default:
          throw new Error(`no driver for ${event.type}`);
      }
      if (state.world.owed.length > 0) continue;
      const expected = facts(state.machine);
      await until(`${expected} after ${describe(i)}; real: ${facts(real())}`, () => facts(real()) === expected);
    }
    return new Set([steps[0]!.state, ...steps.map((s) => s.state)].map((s) => s.machine.value as string));
  } finally {
    if (['starting', 'up', 'stopping'].includes(real().value as string)) {
      actor.send({ type: 'STOP' });
      await until(`the last run ends after ${describe(-1)}; real: ${facts(real())}`, () => real().value === 'stopped');
    }
    actor.stop();
    for (const pid of pids) await until(`group ${pid} is gone`, () => groupMembers(pid).length === 0);
    remove();
  }
}

for (const [label, policy] of Object.entries(POLICIES)) {
  test(`restart '${label}': every event type has a real cause, and the walk reaches the states this policy can`, () => {
    const paths = pathsToRun(policy);
    const reached = new Set(paths.flatMap((steps) => steps.map((s) => s.state.machine.value as string)));
    const expected = label === 'always' ? [...SERVICE_STATES] : SERVICE_STATES.filter((s) => s !== 'backoff');
    assert.equal([...reached].sort(), [...expected].sort());
    const edges = new Set(paths.flatMap((steps) => steps.map((s, i) => `${(i === 0 ? 'waiting' : (steps[i - 1]!.state.machine.value as string))} ${edgeCause(s.event)} ${s.state.machine.value as string}`)));
    const named = label === 'always'
      ? ['up exit 1 backoff', 'starting exit 1 backoff', 'starting readyTimeout starting', 'starting exit -15 backoff', 'up exit 75 backoff', 'starting exit 1 failed', 'failed RESTART starting', 'backoff STOP stopped', 'starting STOP stopping', 'waiting START failed', 'up resetAfter up', 'backoff RESTART starting']
      : ['starting exit 1 failed', 'up exit 0 stopped', 'starting readyTimeout starting', 'failed RESTART starting', 'stopped START starting', 'starting STOP stopping'];
    for (const edge of named) assert.ok(edges.has(edge), `the walk takes ${edge}`);
  });

  test(`restart '${label}': real children walk every path`, async () => {
    const paths = pathsToRun(policy);
    const visited = new Set<string>();
    for (const steps of paths) for (const value of await drive(policy, steps)) visited.add(value);
    console.log(`  restart '${label}': walked ${paths.length} paths on real children, through ${visited.size} states`);
  });
}

test.run();
