import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { cgroupBase } from '../../src/host/containment.js';
import { spareCgroupDir } from '../../src/host/spare-cgroup.js';
import { createBus, runTask } from '../../src/index.js';
import { childrenOf, openFds, tempDir, until } from './helpers.js';

const test = suite('500 runs in a row leak nothing');

const WATCHED_EVENTS = ['exit', 'SIGINT', 'SIGTERM', 'beforeExit', 'uncaughtException', 'unhandledRejection'] as const;

function listenerCounts(): Record<string, number> {
  return Object.fromEntries(WATCHED_EVENTS.map((event) => [event, process.listenerCount(event)]));
}

/** This process's children, by pid: the watchdog and tsx's esbuild service are there before and after. */
function childPids(): string {
  return childrenOf().map((child) => `${child.pid}:${child.comm}`).sort().join(' ');
}

/** The children's cgroups still there (none with process groups), but the one made ahead for the next child, which is empty. */
function cgroupsLeft(): string[] {
  const base = cgroupBase();
  if (base === null) return [];
  const spare = spareCgroupDir();
  if (spare !== undefined) assert.is(fs.readFileSync(`${spare}/cgroup.procs`, 'utf8'), '', 'the spare cgroup is empty');
  return fs
    .readdirSync(base, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && `${base}/${entry.name}` !== spare)
    .map((entry) => entry.name);
}

/** Children that died and were never reaped. */
function zombies(): string {
  return childrenOf().filter((child) => child.state === 'Z').map((child) => `${child.pid}:${child.comm}`).join(' ');
}

test('500 runs: no file descriptor, no process listener, no child, no zombie and no cgroup left behind', async () => {
  const { journal, remove } = tempDir('leaks');
  const bus = createBus({ lineHistoryLimit: 10 });
  const run = (i: number) => runTask(['sh', '-c', `echo out ${i}; echo err ${i} >&2; exit $(( ${i} % 3 ))`], { journal, bus, name: 'repeat' });
  try {
    // Warm up: the first run starts the watchdog and loads what the runtime loads once.
    for (let i = 0; i < 5; i++) await run(i);
    const fds = openFds();
    const listeners = listenerCounts();
    const children = childPids();
    assert.is(zombies(), '', 'no zombie before the runs');

    let failures = 0;
    for (let i = 0; i < 500; i++) {
      const result = await run(i);
      if (result.exitCode !== i % 3) failures++;
    }
    assert.is(failures, 0, 'every run reported its own exit code');
    // Closing is synchronous, but give the event loop a moment to release what it closes lazily (pipe handles).
    await until(`open fds back to ${fds} (now ${openFds()})`, () => openFds() <= fds, 10_000);
    assert.equal(listenerCounts(), listeners, 'process listeners');
    // Compared without the run state: the watchdog may be running or sleeping at either look.
    assert.is(childPids(), children, 'no child left');
    assert.is(zombies(), '', 'no zombie left');
    await until('every child\'s cgroup removed', () => cgroupsLeft().length === 0, 10_000);
  } finally {
    remove();
  }
});

test.run();
