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
    const errors = logEvents(bus).filter((e) => e.kind === 'error');
    assert.is(errors.length, 1, 'one error per failure streak');
    assert.ok(mp.journalError instanceof JournalError);
    assert.match(mp.journalError!.message, /^Cannot .*(ENOTDIR|EEXIST)/);
    assert.is(mp.state, 'exited');
  } finally {
    remove();
  }
});

test('disk full (/dev/full under the log path): log error event, JournalError in the result, child drained to its end', async () => {
  const { journal, remove } = tempDir('dev-full');
  const health = path.join(journal, DAY, 'health');
  fs.mkdirSync(health, { recursive: true, mode: 0o700 });
  fs.symlinkSync('/dev/full', path.join(health, 'full_numbers.log'));
  const bus = createBus();
  let lines = 0;
  bus.on('line', () => lines++);
  try {
    // 20,000 lines is far more than a pipe buffer: a child that was not drained would block forever.
    const result = await runTask([fixture('prints_numbered_lines.sh'), 'n', '20000', '3'], { journal, bus, ref: 'full', name: 'numbers', day: DAY });
    assert.is(result.exitCode, 3);
    assert.is(result.success, false);
    assert.is(lines, 20000, 'every line reached the bus');
    assert.ok(result.journalError instanceof JournalError, `journalError: ${String(result.journalError)}`);
    assert.is(result.journalError!.code, 'ENOSPC');
    assert.match(result.journalError!.message, /Cannot write to .*full_numbers\.log: .*ENOSPC/);
    const errors = logEvents(bus).filter((e) => e.kind === 'error');
    assert.ok(errors.length >= 1);
    assert.match(errors[0]!.error!, /ENOSPC/);
    const ends = bus.history().filter((e) => e.type === 'transition').map((e) => (e as { to: string }).to);
    assert.equal(ends, ['spawning', 'running', 'exited']);
  } finally {
    remove();
  }
});

/** A real small filesystem, where root may mount one; otherwise the /dev/full case above stands for it. */
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
    console.log('  (no tmpfs here: mount -t tmpfs refused; the /dev/full test covers a full disk)');
    remove();
    return;
  }
  const bus = createBus();
  let lines = 0;
  bus.on('line', () => lines++);
  try {
    const result = await runTask([fixture('prints_numbered_lines.sh'), 'a-line-of-some-length', '20000'], { journal, bus, name: 'filler', day: DAY });
    assert.is(result.exitCode, 0);
    assert.is(lines, 20000);
    assert.ok(result.journalError instanceof JournalError);
    assert.is(result.journalError!.code, 'ENOSPC');
    assert.is(logEvents(bus).filter((e) => e.kind === 'error').length, 1);
    // What fit is intact: whole lines, in order, from the first.
    const kept = logTexts(result.logPath);
    assert.ok(kept.length > 100, `only ${kept.length} lines fit`);
    assert.equal(kept.slice(0, -1), numbered('a-line-of-some-length ', 1, kept.length - 1));
  } finally {
    execFileSync('umount', [journal]);
    remove();
  }
});

test.run();
