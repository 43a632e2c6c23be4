import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, JournalError, ManagedProcess, runTask, type LogEvent } from '../../src/index.js';
import { fixture, logTexts, numbered, tempDir, until } from './helpers.js';

const test = suite('the journal changes under a running child: noticed, reopened, reported, never a crash');

const HALVES = fixture('waits_for_file_between_halves.sh');
const DAY = '20260314';

function logEvents(bus: ReturnType<typeof createBus>): LogEvent[] {
  return bus.history().filter((e) => e.type === 'log') as unknown as LogEvent[];
}

/** Runs the halves fixture; `between` changes the journal after line 50 is logged. Returns the process and its bus. */
async function runWithChangeBetweenHalves(journal: string, go: string, between: (logPath: string) => void) {
  const bus = createBus();
  let seen = 0;
  bus.on('line', () => seen++);
  const mp = await ManagedProcess.spawn([HALVES, go], { journal, bus, name: 'halves', day: DAY });
  await until('the first half is logged', () => seen >= 50);
  between(mp.logPath);
  fs.writeFileSync(go, '');
  const code = await mp.wait();
  return { mp, bus, code };
}

function assertLinksPointAt(journal: string, logPath: string) {
  const dayLink = path.join(journal, DAY, 'health', 'halves.log');
  const topLink = path.join(journal, 'health', 'halves.log');
  assert.is(fs.realpathSync(dayLink), fs.realpathSync(logPath));
  assert.is(fs.realpathSync(topLink), fs.realpathSync(logPath));
  assert.is(fs.readlinkSync(topLink), `../${DAY}/health/${path.basename(logPath)}`);
}

test('the log file deleted under its child: a fresh file at the same path gets every later line', async () => {
  const { dir, journal, remove } = tempDir('deleted-log');
  let held = -1;
  try {
    const { mp, bus, code } = await runWithChangeBetweenHalves(journal, path.join(dir, 'go'), (logPath) => {
      held = fs.openSync(logPath, 'r'); // keeps the unlinked first file readable
      fs.unlinkSync(logPath);
    });
    assert.is(code, 0);
    const first = fs.readFileSync(`/proc/self/fd/${held}`, 'utf8');
    assert.equal(logTexts(`/proc/self/fd/${held}`), numbered('line ', 1, 50), `first file: ${first.length} bytes`);
    assert.equal(logTexts(mp.logPath), numbered('line ', 51, 100), 'the lines after the deletion are in the new file');
    assert.is(fs.statSync(mp.logPath).mode & 0o777, 0o600);
    assertLinksPointAt(journal, mp.logPath);
    const opened = logEvents(bus).filter((e) => e.kind === 'opened');
    assert.is(opened.length, 2, 'the reopen is announced as a second `opened`');
    assert.is(mp.journalError, null);
  } finally {
    if (held >= 0) fs.closeSync(held);
    remove();
  }
});

test('the log file renamed under its child: the renamed file keeps the first half, a fresh file the rest', async () => {
  const { dir, journal, remove } = tempDir('renamed-log');
  const moved = path.join(dir, 'moved-away.log');
  try {
    const { mp, code } = await runWithChangeBetweenHalves(journal, path.join(dir, 'go'), (logPath) => fs.renameSync(logPath, moved));
    assert.is(code, 0);
    assert.equal(logTexts(moved), numbered('line ', 1, 50));
    assert.equal(logTexts(mp.logPath), numbered('line ', 51, 100));
    assertLinksPointAt(journal, mp.logPath);
  } finally {
    remove();
  }
});

test('the whole journal directory deleted under a running child: recreated, private, every later line kept', async () => {
  const { dir, journal, remove } = tempDir('deleted-journal');
  try {
    const { mp, code } = await runWithChangeBetweenHalves(journal, path.join(dir, 'go'), () => fs.rmSync(journal, { recursive: true }));
    assert.is(code, 0);
    assert.equal(logTexts(mp.logPath), numbered('line ', 51, 100));
    assertLinksPointAt(journal, mp.logPath);
    for (const made of [journal, path.join(journal, DAY), path.join(journal, DAY, 'health'), path.join(journal, 'health')]) {
      assert.is(fs.statSync(made).mode & 0o777, 0o700, `${made} is private`);
    }
    assert.is(mp.journalError, null);
  } finally {
    remove();
  }
});

test('the journal directory replaced by a file: a log error and a JournalError, the child drained, its exit reported', async () => {
  const { dir, journal, remove } = tempDir('journal-replaced');
  try {
    const { mp, bus, code } = await runWithChangeBetweenHalves(journal, path.join(dir, 'go'), () => {
      fs.rmSync(journal, { recursive: true });
      fs.writeFileSync(journal, 'someone put a file here');
    });
    assert.is(code, 0, 'the exit is still reported');
    const lines = bus.history().filter((e) => e.type === 'line').map((e) => (e as { line: string }).line);
    assert.equal(lines, numbered('line ', 1, 100), 'every line still reached the bus');
    // The runtime's event log reports its own trouble with the journal under its own ref: this counts the process's.
    const errors = logEvents(bus).filter((e) => e.kind === 'error' && e.ref === mp.ref);
    assert.is(errors.length, 1, 'one error per failure streak');
    assert.ok(mp.journalError instanceof JournalError);
    assert.match(mp.journalError!.message, /^Cannot .*(ENOTDIR|EEXIST)/);
    assert.is(mp.state, 'exited');
  } finally {
    remove();
  }
});

test('a symlink planted at the log path (to /dev/full): refused before anything runs, ELOOP, the link left alone', async () => {
  const { dir, journal, remove } = tempDir('dev-full');
  const health = path.join(journal, DAY, 'health');
  fs.mkdirSync(health, { recursive: true, mode: 0o700 });
  fs.symlinkSync('/dev/full', path.join(health, 'full_numbers.log'));
  const marker = path.join(dir, 'ran');
  try {
    const error = await runTask(['touch', marker], { journal, bus: createBus(), ref: 'full', name: 'numbers', day: DAY }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof JournalError, `refused with a JournalError: ${String(error)}`);
    assert.is(error.code, 'ELOOP');
    assert.match(error.message, /full_numbers\.log: it is a symlink \(to \/dev\/full\) and was not followed/);
    assert.not.ok(fs.existsSync(marker), 'nothing was spawned');
    assert.is(fs.readlinkSync(path.join(health, 'full_numbers.log')), '/dev/full');
  } finally {
    remove();
  }
});

/** A real small filesystem, where root may mount one (a symlink to /dev/full no longer stands in: it is refused). */
function mountTinyTmpfs(at: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', at], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('disk full (a 64 KiB tmpfs fills up mid-run): reported once, the child drained, its exit reported', async () => {
  const { journal, remove } = tempDir('tmpfs-full');
  fs.mkdirSync(journal);
  if (!mountTinyTmpfs(journal)) {
    console.log('  (no tmpfs here: mount -t tmpfs refused; test/journal/daily-log.test.ts tries the same)');
    remove();
    return;
  }
  const bus = createBus();
  let lines = 0;
  bus.on('line', () => lines++);
  try {
    const result = await runTask([fixture('prints_numbered_lines.sh'), 'a-line-of-some-length', '20000'], { journal, bus, name: 'filler', day: DAY, eventLog: false });
    assert.is(result.exitCode, 0);
    assert.is(lines, 20000);
    assert.ok(result.journalError instanceof JournalError);
    assert.is(result.journalError!.code, 'ENOSPC');
    assert.is(logEvents(bus).filter((e) => e.kind === 'error' && e.ref === result.ref).length, 1);
    // What fit is intact: whole lines, in order, from the first.
    const kept = logTexts(result.logPath);
    assert.ok(kept.length > 100, `only ${kept.length} lines fit`);
    assert.equal(kept.slice(0, -1), numbered('a-line-of-some-length ', 1, kept.length - 1));
  } finally {
    // Lazily: the runtime keeps the next log's empty file open there for 5 s (src/journal/spare.ts).
    execFileSync('umount', ['--lazy', journal]);
    remove();
  }
});

test.run();
