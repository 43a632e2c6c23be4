import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, createTestClock, ManagedProcess, project, readEvents, runTask, type EventRecord, type HistoryEvent } from '../../src/index.js';
import { fixture, inTimeZone, logTexts, tempJournal, until } from '../helpers.js';
import { eventsFile, flushed, startTimeOf } from './helpers.js';

const test = suite('the event log: what a run leaves in <day>/health/events.jsonl');

const rows = (table: Map<string, unknown>) => [...table.values()];

test('a run is recorded: every non-line event with its type, seq, at and host; running carries pgid and pidStart', async () => {
  const journal = tempJournal();
  const bus = createBus();
  const mp = await ManagedProcess.spawn([fixture('wait-for-file.sh'), path.join(journal, 'go')], { journal, bus, name: 'waiter' });
  await until(() => logTexts(mp.logPath).includes('before'), 'the first line');
  // Read the child's start time while it surely runs, independently of the writer.
  const childStart = startTimeOf(mp.pid!);
  fs.writeFileSync(path.join(journal, 'go'), '');
  assert.is(await mp.wait(), 0);
  await flushed();

  const { records, skipped } = await readEvents({ journal });
  assert.is(skipped, 0);
  const seen = bus.history().filter((event) => event.type !== 'line');
  assert.equal(
    records.map((record) => [record.type, record.seq, record.at]),
    seen.map((event) => [event.type, event.seq, event.at]),
    'one record per non-line event, in order',
  );
  assert.ok(records.every((record) => record.type !== 'line'));
  assert.ok(records.every((record) => record.host?.pid === process.pid && record.host.start === startTimeOf(process.pid)));
  const running = records.find((record) => record.type === 'transition' && record.to === 'running') as EventRecord & { pid: number };
  assert.is(running.pid, mp.pid);
  assert.is(running.pgid, mp.pid, 'the child leads its own group');
  assert.is(running.pidStart, childStart);
  assert.equal(
    records.filter((record) => record.type === 'transition').map((record) => (record as { to: string }).to),
    ['spawning', 'running', 'exited'],
  );

  const file = eventsFile(journal);
  assert.is(fs.statSync(file).mode & 0o777, 0o600);
  assert.is(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
});

test('project(readEvents) is the table the runtime itself saw, also with a failure and a kill', async () => {
  const journal = tempJournal();
  const bus = createBus();
  await runTask([fixture('exit-with.sh'), '3'], { journal, bus });
  await runTask(['/nonexistent/command'], { journal, bus }).catch(() => undefined);
  const stubborn = await ManagedProcess.spawn([fixture('ignores_sigterm.sh')], { journal, bus });
  await until(() => logTexts(stubborn.logPath).length > 0, 'the stubborn child to trap SIGTERM');
  await stubborn.terminate({ timeout: 200 });
  await flushed();
  const { records } = await readEvents({ journal });
  const replayed = rows(project(records));
  assert.equal(replayed, rows(project(bus.history())));
  assert.equal(
    replayed.map((row) => (row as { state: string }).state),
    ['exited', 'failed', 'killed'],
  );
});

test('the event log never keeps its host alive: a script that ran a task exits by itself, every record written', async () => {
  const journal = tempJournal();
  const script = spawn(process.execPath, ['--import', 'tsx', fixture('runs_one_task_and_exits.ts'), journal], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  script.stdout!.on('data', (chunk) => (out += chunk));
  const [code] = (await once(script, 'exit')) as [number | null];
  assert.equal([code, out], [0, '0\n']);
  const { records } = await readEvents({ journal });
  assert.equal(
    records.filter((record) => record.type === 'transition').map((record) => (record as { to: string }).to),
    ['spawning', 'running', 'exited'],
  );
  assert.ok(records.every((record) => record.host?.pid === script.pid));
});

test('eventLog: false writes no event log', async () => {
  const journal = tempJournal();
  await runTask(['true'], { journal, bus: createBus(), eventLog: false });
  await flushed();
  assert.not.ok(fs.existsSync(eventsFile(journal)));
  assert.equal(await readEvents({ journal }), { records: [], skipped: 0 });
});

test('readEvents: a torn last line and garbage are skipped and counted, blank lines are not, order is kept', async () => {
  const journal = tempJournal();
  const file = eventsFile(journal);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const good = (seq: number) => JSON.stringify({ type: 'rejected', source: 'test', reason: `r${seq}`, seq, at: seq });
  fs.writeFileSync(
    file,
    [good(1), '', '   ', 'not json', '[1,2]', '{"no":"type"}', '{"type":7}', 'null', good(2), good(3).slice(0, 20)].join('\n'),
  );
  const { records, skipped } = await readEvents({ journal });
  assert.equal(records.map((record) => record.seq), [1, 2]);
  assert.is(skipped, 6);
});

test('readEvents: a day without a log gives no records; a bad day is a ValidationError', async () => {
  assert.equal(await readEvents({ journal: tempJournal(), day: '20200101' }), { records: [], skipped: 0 });
  try {
    await readEvents({ journal: tempJournal(), day: '2020-01-01' });
    assert.unreachable('a bad day was accepted');
  } catch (error) {
    assert.is((error as Error).name, 'ValidationError');
  }
});

test('readEvents never hangs or follows: a FIFO or a symlink where the log belongs reads as no records', async () => {
  const journal = tempJournal();
  const file = eventsFile(journal);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  execFileSync('mkfifo', [file]);
  assert.equal(await readEvents({ journal }), { records: [], skipped: 0 });
  fs.rmSync(file);
  const elsewhere = path.join(path.dirname(journal), 'elsewhere.jsonl');
  fs.writeFileSync(elsewhere, JSON.stringify({ type: 'rejected', source: 'x', reason: 'y', seq: 1, at: 1 }) + '\n');
  fs.symlinkSync(elsewhere, file);
  assert.equal(await readEvents({ journal }), { records: [], skipped: 0 });
});

test('readEvents streams: a large day (200,000 records, 30 MB) reads without holding the file in one string', async () => {
  const journal = tempJournal();
  const file = eventsFile(journal);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  const pad = 'x'.repeat(100);
  for (let chunk = 0; chunk < 20; chunk++) {
    let text = '';
    for (let i = 0; i < 10_000; i++) text += JSON.stringify({ type: 'rejected', source: pad, reason: pad, seq: chunk * 10_000 + i + 1, at: 0 }) + '\n';
    fs.writeSync(fd, text);
  }
  fs.closeSync(fd);
  const { records, skipped } = await readEvents({ journal });
  assert.is(records.length, 200_000);
  assert.is(skipped, 0);
  assert.is(records.at(-1)!.seq, 200_000);
});

test('a record stays under 64 KiB: a huge error text and command are cut, ending in …; type, ref and name are whole', async () => {
  const journal = tempJournal();
  const bus = createBus();
  const huge = 'é'.repeat(100_000);
  await runTask(['/nonexistent/' + 'a'.repeat(200), huge], { journal, bus, ref: 'long-one', name: 'long-name' }).catch(() => undefined);
  bus.emit('rejected', { source: 'test', reason: '\u0001'.repeat(70_000) });
  await flushed();
  const lines = fs.readFileSync(eventsFile(journal), 'utf8').split('\n').filter(Boolean);
  for (const line of lines) assert.ok(Buffer.byteLength(line) + 1 < 64 * 1024, `a record of ${Buffer.byteLength(line)} bytes`);
  const { records, skipped } = await readEvents({ journal });
  assert.is(skipped, 0);
  const failed = records.find((record) => record.type === 'transition' && record.to === 'failed') as unknown as { ref: string; name: string; cmd: string[] };
  assert.is(failed.ref, 'long-one');
  assert.is(failed.name, 'long-name');
  assert.ok(failed.cmd[1]!.endsWith('…') && failed.cmd[1]!.length < huge.length);
  const rejected = records.find((record) => record.type === 'rejected') as EventRecord & { reason: string };
  assert.ok(rejected.reason.endsWith('…'));
});

test('the log deleted under a running runtime is recreated for the next records', async () => {
  const journal = tempJournal();
  const bus = createBus();
  await runTask(['true'], { journal, bus });
  await flushed();
  fs.rmSync(eventsFile(journal));
  await runTask(['true'], { journal, bus, name: 'second' });
  await flushed();
  const { records } = await readEvents({ journal });
  assert.ok(records.length > 0);
  assert.ok(records.every((record) => (record as { name?: string }).name === 'second'));
});

test('a symlink where events.jsonl belongs is not followed: a log error on the bus, the process unaffected', async () => {
  const journal = tempJournal();
  const file = eventsFile(journal);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const target = path.join(path.dirname(journal), 'elsewhere');
  fs.writeFileSync(target, '');
  fs.symlinkSync(target, file);
  const bus = createBus();
  const result = await runTask([fixture('exit-with.sh'), '0'], { journal, bus });
  await flushed();
  assert.is(result.exitCode, 0);
  assert.is(fs.readFileSync(target, 'utf8'), '', 'nothing written through the link');
  const errors = bus.history().filter((event) => event.type === 'log' && event.kind === 'error');
  assert.is(errors.length, 1, 'reported once');
  assert.match((errors[0] as { error: string }).error, /ELOOP/);
});

const midnight = suite('the event log follows local midnight on the runtime clock');
inTimeZone(midnight, 'America/New_York');

midnight('records before midnight go to that day, later ones to the next day', async () => {
  const journal = tempJournal();
  const clock = createTestClock('2026-11-26T23:59:59-05:00');
  const bus = createBus({ now: () => clock.now() });
  const go = path.join(path.dirname(journal), 'go');
  const mp = await ManagedProcess.spawn([fixture('wait-for-file.sh'), go], { journal, clock, bus, name: 'late' });
  await until(() => logTexts(mp.logPath).includes('before'), 'the first line');
  clock.advance(1000);
  fs.writeFileSync(go, '');
  await mp.wait();
  await flushed();
  const first = await readEvents({ journal, day: '20261126' });
  const second = await readEvents({ journal, day: '20261127' });
  const summary = (records: EventRecord[]) => records.map((record) => (record.type === 'transition' ? record.to : `${record.type}:${(record as { kind?: string }).kind}`));
  assert.equal(summary(first.records), ['log:opened', 'spawning', 'running']);
  assert.equal(summary(second.records), ['log:rolled', 'exited']);
  const all: HistoryEvent[] = [...first.records, ...second.records];
  assert.equal(rows(project(all)), rows(project(bus.history())));
});

test.run();
midnight.run();
