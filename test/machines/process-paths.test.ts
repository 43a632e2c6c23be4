/**
 * Model-based lifecycle coverage: xstate's graph utilities walk `processMachine`
 * (wrapped in a small model of the physical world: what a real child and real
 * timers can do next), and a real child is driven along the shortest path to
 * every state and through every transition. The cases come from the machine:
 * a state or transition added later is walked automatically, and an event type
 * with no way to cause it for real fails the test until one is written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { __unsafe_getAllOwnEventDescriptors as ownEventTypes, createActor, type ActorScope, type AnyActorLogic, type SnapshotFrom } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { createBus, createTestClock, JournalError, PROCESS_STATES, processMachine, SpawnError, type ProcessContext } from '../../src/index.js';
import { dayOf, nextMidnight } from '../../src/journal/day.js';
import { DailyLog } from '../../src/journal/daily-log.js';
import type { ProcessEvent } from '../../src/machines/process.js';
import { fixture, groupMembers, tempDir, until } from '../faults/helpers.js';

const test = suite('processMachine, walked: every state and transition the chart allows, driven on a real child');

type MachineSnapshot = SnapshotFrom<typeof processMachine>;
type AnyEvent = ProcessEvent | { type: string };

/** What the real world owes or allows next, beside the machine's own context. */
type World = {
  spawned: boolean;
  /** TERMINATE came while spawning: the child gets SIGTERM before it can set a trap, and dies of it. */
  sigtermKills: boolean;
  /** Events that one real cause set off (SIGKILL, SIGTERM death, drain expiry): they come next, in some order. */
  owed: AnyEvent[];
  terminateTimerFired: boolean;
  drainFired: boolean;
  logBroken: boolean;
};
type ModelState = { machine: MachineSnapshot; world: World };

const AFTER_TERMINATE = /^xstate\.after\.terminateTimeout\./;

const exitEvent = (exitCode: number, signal: string | null): AnyEvent => ({ type: 'EXITED', exitCode, signal });
const pipesEvent: AnyEvent = { type: 'PIPES_CLOSED' };
/** The pipes' end, owed by whatever ends them all, if they are still open. */
const pipesIfOpen = (ctx: ProcessContext): AnyEvent[] => (ctx.pipesOpen ? [pipesEvent] : []);
const isLive = (value: string) => value === 'running' || value === 'terminating';

/**
 * For each event type the machine accepts: when the real world can produce it
 * (given the machine's context and the world), with what payload. A type
 * missing here fails the coverage test: it needs a way to happen for real.
 */
const CAN_HAPPEN: Record<string, (ctx: ProcessContext, value: string, world: World) => AnyEvent[]> = {
  SPAWNED: (_c, value) => (value === 'spawning' ? [{ type: 'SPAWNED', pid: 1, stdout: null, stderr: null } as unknown as AnyEvent] : []),
  SPAWN_FAILED: (_c, value) => (value === 'spawning' ? [{ type: 'SPAWN_FAILED', error: new SpawnError('model', ['model'], 'ENOENT', 'model') }] : []),
  TERMINATE: (ctx, value) => ((value === 'spawning' || value === 'running') && !ctx.terminateRequested ? [{ type: 'TERMINATE' }] : []),
  EXITED: (ctx, value) => (isLive(value) && ctx.exitCode === null ? [exitEvent(0, null)] : []),
  PIPES_CLOSED: (ctx, value) => (isLive(value) && ctx.pipesOpen ? [pipesEvent] : []),
  DRAIN_EXPIRED: (ctx, value, world) => (isLive(value) && ctx.exitCode !== null && ctx.pipesOpen && !world.drainFired ? [{ type: 'DRAIN_EXPIRED' }] : []),
  AFTER_TERMINATE: (_c, value, world) => (value === 'terminating' && !world.terminateTimerFired ? [{ type: 'AFTER_TERMINATE' }] : []),
  MIDNIGHT: (_c, value) => (value !== 'failed' ? [{ type: 'MIDNIGHT' }] : []),
  LOG_ERROR: (_c, value, world) => (!world.logBroken ? [{ type: 'LOG_ERROR', error: new JournalError('model', '/model', 'ENOTDIR') }] : []),
};

const driverKey = (type: string) => (AFTER_TERMINATE.test(type) ? 'AFTER_TERMINATE' : type);

function possibleEvents(state: ModelState): AnyEvent[] {
  const { machine, world } = state;
  if (machine.status !== 'active') return [];
  if (world.owed.length > 0) return [world.owed[0]!];
  const value = machine.value as string;
  return ownEventTypes(machine).flatMap((type: string) => {
    const canHappen = CAN_HAPPEN[driverKey(type)];
    if (!canHappen) throw new Error(`processMachine accepts ${type} in ${value}, and this test has no way to make it happen for real: add it to CAN_HAPPEN and drive()`);
    return canHappen(machine.context, value, world).map((event) => (event.type === 'AFTER_TERMINATE' ? { type } : event));
  });
}

function nextWorld(before: ModelState, event: AnyEvent, after: MachineSnapshot): World {
  const world: World = { ...before.world, owed: [...before.world.owed] };
  if (world.owed.length > 0 && world.owed[0]!.type === event.type) world.owed.shift();
  const ctx = before.machine.context;
  const value = before.machine.value as string;
  switch (driverKey(event.type)) {
    case 'SPAWNED':
      world.spawned = true;
      // Killed by the SIGTERM that the early TERMINATE sends at once: leader, holder and pipes go together.
      if (world.sigtermKills) world.owed = [exitEvent(-15, 'SIGTERM'), pipesEvent];
      break;
    case 'TERMINATE':
      if (value === 'spawning') world.sigtermKills = true;
      break;
    case 'AFTER_TERMINATE':
      world.terminateTimerFired = true;
      if (after.context.escalated && ctx.exitCode === null) world.owed = [exitEvent(-9, 'SIGKILL'), ...pipesIfOpen(ctx)];
      break;
    case 'DRAIN_EXPIRED':
      world.drainFired = true;
      world.owed = pipesIfOpen(ctx);
      break;
    case 'LOG_ERROR':
      world.logBroken = true;
      break;
  }
  return world;
}

const modelInput = {
  ref: 'model',
  name: 'model',
  cmd: ['model'],
  bus: createBus(),
  log: { path: '/model', pinned: false } as unknown as DailyLog,
  now: () => 0,
  startTime: 0,
  lineLimit: 64,
  terminateTimeout: 1,
  drainTimeout: 1,
};

/** processMachine with the world around it, as logic the graph utilities can walk. */
const model = {
  getInitialSnapshot: (scope: ActorScope<any, any>, input: unknown): ModelState => ({
    machine: processMachine.getInitialSnapshot(scope as never, input as never),
    world: { spawned: false, sigtermKills: false, owed: [], terminateTimerFired: false, drainFired: false, logBroken: false },
  }),
  transition: (state: ModelState, event: AnyEvent, scope: ActorScope<any, any>): ModelState => {
    const machine = processMachine.transition(state.machine, event as ProcessEvent, scope as never);
    return { machine, world: nextWorld(state, event, machine) };
  },
} as unknown as AnyActorLogic;

/** What a real actor must match: the machine's own facts, not the world's. */
function facts(machine: { value: unknown; context: ProcessContext }) {
  const c = machine.context;
  return JSON.stringify({ state: machine.value, exited: c.exitCode !== null, pipesOpen: c.pipesOpen, escalated: c.escalated, terminateRequested: c.terminateRequested, journalError: c.journalError !== null });
}

const serializeState = (state: unknown) => {
  const { machine, world } = state as ModelState;
  return `${facts(machine)} ${JSON.stringify({ ...world, owed: world.owed.map((e) => e.type) })}`;
};
const serializeEvent = (event: unknown) => JSON.stringify({ ...(event as object), error: undefined });
const traversal = { events: (state: unknown) => possibleEvents(state as ModelState), serializeState, serializeEvent, input: modelInput } as never;

type Step = { event: AnyEvent; state: ModelState };

/** Every path to run: the shortest path to each state, and the shortest path through each transition. */
function pathsToRun(): Step[][] {
  const shortest = getShortestPaths(model, traversal) as unknown as { state: ModelState; steps: Step[] }[];
  const toState = new Map(shortest.map((p) => [serializeState(p.state), p.steps.slice(1) as Step[]]));
  const adjacency = getAdjacencyMap(model, traversal) as Record<string, { state: ModelState; transitions: Record<string, { event: AnyEvent; state: ModelState }> }>;
  const all: Step[][] = [...toState.values()];
  for (const [source, { transitions }] of Object.entries(adjacency)) {
    for (const { event, state } of Object.values(transitions)) all.push([...toState.get(source)!, { event, state }]);
  }
  // A path that is the start of a longer one is run as part of it.
  const key = (steps: Step[]) => steps.map((s) => serializeEvent(s.event)).join('>') + '>';
  const keys = all.map(key).sort((a, b) => b.length - a.length);
  const kept: string[] = [];
  const byKey = new Map(all.map((steps) => [key(steps), steps]));
  for (const k of keys) if (!kept.some((longer) => longer.startsWith(k))) kept.push(k);
  return kept.map((k) => byKey.get(k)!).filter((steps) => steps.length > 0);
}

const DAY_MS = 86_400_000;

/** Drives a real child along `steps`, checking the real actor against the model after every settled step. */
async function drive(steps: Step[]) {
  const { dir, journal, remove } = tempDir('model');
  const earlyTerminate = steps.findIndex((s) => s.event.type === 'TERMINATE') < steps.findIndex((s) => s.event.type === 'SPAWNED');
  const failsToSpawn = steps.some((s) => s.event.type === 'SPAWN_FAILED');
  const cmd = failsToSpawn ? [path.join(dir, 'no-such-command')] : [fixture('obeys_signals_as_commands.sh'), earlyTerminate ? 'die-on-term' : 'ignore-term'];
  // The timer the path fires first must also be due first: pick which of the two is shorter.
  const order = steps.map((s) => driverKey(s.event.type));
  const drainFirst = order.includes('DRAIN_EXPIRED') && (!order.includes('AFTER_TERMINATE') || order.indexOf('DRAIN_EXPIRED') < order.indexOf('AFTER_TERMINATE'));
  const terminateTimeout = (drainFirst ? 25 : 10) * DAY_MS;
  const drainTimeout = (drainFirst ? 10 : 25) * DAY_MS;

  const clock = createTestClock(new Date(2026, 2, 10, 23, 59, 0));
  const bus = createBus({ now: () => clock.now() });
  const ready = new Set<string>();
  const seen: string[] = [];
  bus.on('line', (e) => ready.add(e.line));
  bus.on('transition', (e) => seen.push(e.to));
  const rolls: string[] = [];
  bus.on('log', (e) => e.kind === 'rolled' && rolls.push(e.path));
  const now = () => clock.now();
  const log = new DailyLog({ journal, ref: 'walk', name: 'walker', now });
  const actor = createActor(processMachine, {
    input: { ref: 'walk', name: 'walker', cmd, bus, log, now, startTime: now(), lineLimit: 65536, terminateTimeout, drainTimeout },
    clock,
  });
  const armed: { terminating?: number; exited?: number } = {};
  const real = () => actor.getSnapshot();
  const noteTimers = () => {
    if (real().value === 'terminating' && armed.terminating === undefined) armed.terminating = clock.now();
    if (real().context.exitCode !== null && armed.exited === undefined) armed.exited = clock.now();
  };
  const advanceTo = (at: number) => clock.advance(Math.max(0, at - clock.now()));
  const describe = (i: number) => steps.map((s, k) => `${k === i ? '>>' : ''}${s.event.type}`).join(' → ');

  actor.start();
  try {
    for (const [i, { event, state }] of steps.entries()) {
      const pid = real().context.pid ?? 0;
      const owedBefore = i > 0 && steps[i - 1]!.state.world.owed.length > 0;
      switch (driverKey(event.type)) {
        case 'SPAWNED':
          await until(`spawned (${describe(i)})`, () => real().value !== 'spawning');
          if (!earlyTerminate) await until('the child and its holder set their traps', () => ready.has('leader ready') && ready.has('holder ready'));
          break;
        case 'SPAWN_FAILED':
          await until(`failed (${describe(i)})`, () => real().value === 'failed');
          break;
        case 'TERMINATE':
          actor.send({ type: 'TERMINATE' });
          break;
        case 'EXITED':
          if (!owedBefore) process.kill(pid, 'SIGHUP');
          break;
        case 'PIPES_CLOSED':
          // Leader and holder close stdout, then stderr: both pipes end.
          if (!owedBefore) {
            process.kill(-pid, 'SIGUSR1');
            process.kill(-pid, 'SIGUSR2');
          }
          break;
        case 'DRAIN_EXPIRED':
          advanceTo(armed.exited! + drainTimeout);
          break;
        case 'AFTER_TERMINATE':
          advanceTo(armed.terminating! + terminateTimeout);
          break;
        case 'MIDNIGHT': {
          const before = rolls.length;
          advanceTo(nextMidnight(clock.now()));
          await until(`the log rolls at midnight (${describe(i)})`, () => rolls.length > before);
          assert.is(rolls.at(-1), log.path, 'the log moved to the new day');
          break;
        }
        case 'LOG_ERROR':
          // The next day's directory cannot be made: the midnight roll fails, and that is reported.
          fs.writeFileSync(path.join(journal, dayOf(nextMidnight(clock.now()))), 'in the way');
          advanceTo(nextMidnight(clock.now()));
          break;
        default:
          throw new Error(`no driver for ${event.type}`);
      }
      // While a cause's effects are still owed they arrive in any order: check once they all have.
      if (state.world.owed.length > 0) continue;
      const expected = facts(state.machine);
      if (state.machine.value === 'spawning') assert.is(facts(real()), expected, describe(i));
      else await until(`${expected} after ${describe(i)}; real: ${facts(real())}`, () => facts(real()) === expected);
      noteTimers();
    }
    const last = steps.at(-1)!.state;
    if (last.world.owed.length > 0) {
      // The path ends inside a cascade: the machine lands where the owed events take it.
      let settled: ModelState = last;
      while (settled.world.owed.length > 0) settled = (model as unknown as { transition: (s: ModelState, e: AnyEvent, scope: unknown) => ModelState }).transition(settled, settled.world.owed[0]!, mockScope);
      await until(`settles at ${facts(settled.machine)} after ${describe(-1)}; real: ${facts(real())}`, () => facts(real()) === facts(settled.machine));
    }
    const walked = [steps[0]!.state, ...steps.map((s) => s.state)].map((s) => s.machine.value as string);
    const announced = walked.filter((value, k) => k === 0 || value !== walked[k - 1]);
    // The bus also announces states a macrostep passes through (running on the way to terminating): a subsequence.
    let at = 0;
    for (const value of seen) if (value === announced[at]) at++;
    assert.is(at, announced.length, `the bus announced ${seen.join(' → ')} for the walk ${announced.join(' → ')} (${describe(-1)})`);
    if (real().status === 'done') {
      assert.is(real().context.exitCode, last.machine.context.exitCode ?? real().context.exitCode);
    }
    return new Set(walked);
  } finally {
    // Whatever the path left running ends now: terminate, let every timer fire, stop the actor.
    if (real().status === 'active') {
      actor.send({ type: 'TERMINATE' });
      // Timers armed later (a spawn still under way) fire on a later advance.
      await until(`the leftover child ends after ${describe(-1)}; real: ${facts(real())}`, () => {
        clock.advance(26 * DAY_MS);
        return real().status !== 'active';
      });
    }
    actor.stop();
    const pid = real().context.pid;
    if (pid) await until('the whole group is gone', () => groupMembers(pid).length === 0);
    remove();
  }
}

const mockScope = (() => {
  // The same inert scope the graph utilities use: actions are resolved, not executed.
  const scope = { self: createActor(processMachine, { input: modelInput }), logger: () => {}, id: '', sessionId: 'model', defer: () => {}, stopChild: () => {}, emit: () => {}, actionExecutor: () => {} };
  return { ...scope, system: scope.self.system };
})();

test('every event type the machine accepts has a real cause, and the walk reaches every state', () => {
  const paths = pathsToRun();
  const reached = new Set(paths.flatMap((steps) => steps.map((s) => s.state.machine.value as string)));
  assert.equal([...reached].sort(), [...PROCESS_STATES].sort());
  assert.ok(paths.length > 10, `${paths.length} paths`);
});

test('a real child walks every path', async () => {
  const paths = pathsToRun();
  const visited = new Set<string>();
  for (const steps of paths) for (const value of await drive(steps)) visited.add(value);
  console.log(`  walked ${paths.length} paths on real children, through ${visited.size} states`);
  assert.equal([...visited].sort(), [...PROCESS_STATES].sort());
});

test.run();
