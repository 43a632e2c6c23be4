import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, createTestClock, ManagedProcess, type HistoryEvent } from '../../src/index.js';
import { alive, fixture, inTimeZone, logTexts, readLog, tempJournal, until } from '../helpers.js';

inTimeZone(test, 'America/New_York');

const HOUR = 3_600_000;

test('the test clock drives the terminate timeout: nothing escalates until it advances', async () => {
  const clock = createTestClock('2026-06-10T12:00:00-04:00');
  const mp = await ManagedProcess.spawn([fixture('ignore-sigterm.sh')], { journal: tempJournal(), clock });
  await until(() => logTexts(mp.logPath).includes('ready'), 'the child to trap SIGTERM');
  const ended = mp.terminate({ timeout: 15_000 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.is(mp.state, 'terminating');
  clock.advance(14_999);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.is(mp.state, 'terminating', 'escalated before the timeout');
  clock.advance(1);
  assert.is(await ended, -9);
  assert.is(mp.state, 'killed');
  // Log lines are stamped by the runtime clock.
  assert.is(readLog(mp.logPath)[0]!.time, '2026-06-10T12:00:00');
});

test('the drain bound: a grandchild holding stdout delays the exit only until the clock passes the bound', async () => {
  const clock = createTestClock('2026-06-10T12:00:00-04:00');
  const bus = createBus();
  const mp = await ManagedProcess.spawn(['sh', '-c', 'sleep 300 & echo "grandchild $!"'], { journal: tempJournal(), clock, bus, drainTimeout: 2000 });
  const line = await until(() => logTexts(mp.logPath)[0], 'the grandchild line');
  const grandchild = Number(line.split(' ')[1]);
  await until(() => mp.actor.getSnapshot().context.exitCode !== null, 'the child to exit');
  assert.is(mp.state, 'running', 'a pipe is still held open');
  clock.advance(2000);
  assert.is(await mp.wait(), 0);
  assert.is(mp.state, 'exited');
  // What the child left in its group ends with it.
  await until(() => !alive(grandchild), 'the grandchild to end');
});

async function rollover(startIso: string, advanceMs: number, expectDays: [string, string]) {
  const journal = tempJournal();
  const clock = createTestClock(startIso);
  const bus = createBus();
  const go = path.join(path.dirname(journal), 'go');
  const mp = await ManagedProcess.spawn([fixture('wait-for-file.sh'), go], { journal, clock, bus });
  await until(() => fs.existsSync(mp.logPath) && logTexts(mp.logPath).includes('before'), 'the first line');
  const firstPath = mp.logPath;
  clock.advance(advanceMs);
  fs.writeFileSync(go, '');
  await mp.wait();
  const secondPath = mp.logPath;
  assert.is(path.basename(path.dirname(path.dirname(firstPath))), expectDays[0]);
  assert.is(path.basename(path.dirname(path.dirname(secondPath))), expectDays[1]);
  assert.equal(logTexts(firstPath), ['before']);
  assert.equal(logTexts(secondPath), ['after']);
  assert.is(fs.readlinkSync(path.join(journal, 'health', `${mp.name}.log`)), `../${expectDays[1]}/health/${mp.ref}_${mp.name}.log`);
  assert.is(fs.readlinkSync(path.join(journal, expectDays[1], 'health', `${mp.name}.log`)), `${mp.ref}_${mp.name}.log`);
  const rolled = bus.history().filter((e): e is Extract<HistoryEvent, { type: 'log' }> => e.type === 'log' && e.kind === 'rolled');
  assert.equal(rolled.map((e) => e.path), [secondPath]);
}

test('an unpinned log moves to the new day at local midnight and both symlinks follow', async () => {
  await rollover('2026-11-26T23:59:59-05:00', 1000, ['20261126', '20261127']);
});

test('midnight after the 25-hour day (2026-11-01, DST ends)', async () => {
  await rollover('2026-11-01T00:00:00-04:00', 25 * HOUR, ['20261101', '20261102']);
});

test('midnight after the 23-hour day (2026-03-08, DST starts)', async () => {
  await rollover('2026-03-08T00:00:00-05:00', 23 * HOUR, ['20260308', '20260309']);
});

test('no roll one second before the end of the 25-hour day', async () => {
  const clock = createTestClock('2026-11-01T00:00:00-04:00');
  const mp = await ManagedProcess.spawn(['sleep', '30'], { journal: tempJournal(), clock });
  const first = mp.logPath;
  clock.advance(25 * HOUR - 1000);
  assert.is(mp.logPath, first);
  clock.advance(1000);
  assert.ok(mp.logPath.includes('20261102'));
  await mp.terminate();
});

test('a log pinned with day never moves', async () => {
  const clock = createTestClock('2026-11-26T23:59:59-05:00');
  const mp = await ManagedProcess.spawn(['sleep', '30'], { journal: tempJournal(), clock, day: '20240101' });
  clock.advance(3 * 24 * HOUR);
  assert.ok(mp.logPath.includes('/20240101/health/'));
  await mp.terminate();
});

test.run();
