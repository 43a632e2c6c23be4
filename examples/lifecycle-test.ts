/**
 * A scripted lifecycle test: the template to copy for your own.
 *
 * `createTestClock` drives every timer brainstem schedules (wait timeouts,
 * the SIGTERM → SIGKILL grace period, the midnight roll) and every timestamp
 * it writes, so a test moves time with `clock.advance(ms)` instead of waiting
 * for it. The processes are real; only time is scripted. Wait for what the
 * bus says (an event), never for a duration.
 *
 * Run: npx tsx examples/lifecycle-test.ts   (node:test; exit code 0 when all pass)
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createBus, createTestClock, ManagedProcess, TimeoutError, type Bus, type BusEventType, type Stamped } from '../src/index.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'brainstem-lifecycle-'));
const journal = path.join(root, 'journal');
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Resolves with the first `type` event on `bus` that matches. */
function nextEvent<K extends BusEventType>(bus: Bus, type: K, matches: (event: Stamped<K>) => boolean = () => true): Promise<Stamped<K>> {
  return new Promise((resolve) => {
    const off = bus.on(type, (event) => {
      if (!matches(event)) return;
      off();
      resolve(event);
    });
  });
}

test('wait({ timeout }) runs out on the test clock, and the process lives on until terminated', async () => {
  const clock = createTestClock(Date.now());
  const bus = createBus();
  const sleeper = await ManagedProcess.spawn(['sleep', '30'], { journal, clock, bus, callosum: false });

  const waiting = sleeper.wait({ timeout: 60_000 });
  clock.advance(60_000); // a minute passes, instantly
  await assert.rejects(waiting, TimeoutError);
  assert.equal(sleeper.isRunning(), true);

  assert.equal(await sleeper.terminate(), -15); // SIGTERM; it dies at once
  assert.equal(sleeper.state, 'exited');
});

test('a process that ignores SIGTERM is killed with SIGKILL when the grace period runs out', async () => {
  const clock = createTestClock(Date.now());
  const bus = createBus();
  const ready = nextEvent(bus, 'line', (event) => event.line === 'ignoring TERM');
  const stubborn = await ManagedProcess.spawn(['sh', '-c', 'trap "" TERM; echo "ignoring TERM"; while :; do sleep 0.05; done'], {
    journal,
    clock,
    bus,
    callosum: false,
  });
  await ready; // the trap is set

  const terminating = nextEvent(bus, 'transition', (event) => event.to === 'terminating');
  const ended = stubborn.terminate({ timeout: 15_000 });
  await terminating;
  clock.advance(14_999);
  assert.equal(stubborn.state, 'terminating'); // still within the grace period
  clock.advance(1);
  assert.equal(await ended, -9);
  assert.equal(stubborn.state, 'killed');
});

test('an unpinned log rolls to the new day at local midnight and both symlinks follow', async () => {
  const clock = createTestClock(new Date(2030, 0, 31, 23, 59, 58)); // local time, two seconds to midnight
  const bus = createBus();
  const go = path.join(root, 'go');
  const firstLine = nextEvent(bus, 'line');
  const night = await ManagedProcess.spawn(['sh', '-c', 'echo "before midnight"; while [ ! -e "$1" ]; do sleep 0.05; done; echo "after midnight"', 'sh', go], {
    journal,
    clock,
    bus,
    name: 'night',
    callosum: false,
  });
  await firstLine;
  const before = night.logPath;

  const rolled = nextEvent(bus, 'log', (event) => event.kind === 'rolled');
  clock.advance(2_000);
  assert.equal((await rolled).path, night.logPath);
  fs.writeFileSync(go, ''); // now let the child print again
  assert.equal(await night.wait(), 0);

  assert.match(before, /20300131/);
  assert.match(night.logPath, /20300201/);
  assert.equal(fs.readFileSync(before, 'utf8'), '2030-01-31T23:59:58 [night:stdout] before midnight\n');
  assert.equal(fs.readFileSync(night.logPath, 'utf8'), '2030-02-01T00:00:00 [night:stdout] after midnight\n');
  assert.equal(fs.realpathSync(path.join(journal, 'health', 'night.log')), fs.realpathSync(night.logPath));
  assert.equal(fs.readlinkSync(path.join(journal, '20300201', 'health', 'night.log')), path.basename(night.logPath));
});
