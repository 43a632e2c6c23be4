import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'node:fs';
import path from 'node:path';
import { createBus, createTestClock, ManagedProcess, runTask } from '../../src/index.js';
import { fixture, tempJournal, until } from '../helpers.js';
import { runBin, startBin, stopBin } from './bin.js';

const test = suite('cli: brainstem logs');

const texts = (output: string) => output.split('\n').filter(Boolean).map((line) => line.replace(/^\S+ \[[^\]]+\] /, ''));

test('prints the current log of a name through its journal symlink', async () => {
  const journal = tempJournal();
  await runTask(['sh', '-c', 'echo old run'], { journal, name: 'worker', callosum: false });
  await runTask(['sh', '-c', 'echo new run; echo oops >&2'], { journal, name: 'worker', callosum: false });
  const result = await runBin(['logs', 'worker', '--journal', journal]);
  assert.is(result.code, 0);
  assert.match(result.stdout, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2} \[worker:stdout\] new run\n.*\[worker:stderr\] oops\n$/);
});

test('a name without a log exits 1 and says where it looked; a bad name is a usage error', async () => {
  const journal = tempJournal();
  const missing = await runBin(['logs', 'ghost', '--journal', journal]);
  assert.is(missing.code, 1);
  assert.ok(missing.stderr.includes(path.join(journal, 'health', 'ghost.log')));
  const bad = await runBin(['logs', '../etc/passwd', '--journal', journal]);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /Invalid name/);
  const none = await runBin(['logs', '--journal', journal]);
  assert.is(none.code, 2);
});

test('--follow prints new lines and moves to the new file when a new run repoints the symlink', async () => {
  const journal = tempJournal();
  await runTask(['sh', '-c', 'echo first'], { journal, name: 'svc', day: '20240101', callosum: false });
  const bin = startBin(['logs', 'svc', '--follow', '--journal', journal]);
  try {
    await bin.waitFor('stdout', '[svc:stdout] first\n');
    const second = await runTask(['sh', '-c', 'echo second; echo third'], { journal, name: 'svc', day: '20240102', callosum: false });
    await bin.waitFor('stdout', '[svc:stdout] third\n');
    assert.equal(texts(bin.stdout), ['first', 'second', 'third']);
    assert.ok(bin.stderr.includes(`now logs to ${fs.realpathSync(second.logPath)}`));
    bin.child.kill('SIGINT');
    assert.is((await bin.done).code, 0);
  } finally {
    await stopBin(bin);
  }
});

test('--follow waits for a log that does not exist yet', async () => {
  const journal = tempJournal();
  const bin = startBin(['logs', 'late', '-f', '--journal', journal]);
  try {
    await bin.waitFor('stderr', 'waiting for');
    await runTask(['sh', '-c', 'echo here at last'], { journal, name: 'late', callosum: false });
    await bin.waitFor('stdout', '[late:stdout] here at last\n');
    bin.child.kill('SIGTERM');
    assert.is((await bin.done).code, 0);
  } finally {
    await stopBin(bin);
  }
});

test('--follow follows a running process across midnight (test clock) into the new day\'s file', async () => {
  const journal = tempJournal();
  const go = path.join(path.dirname(journal), 'go');
  const clock = createTestClock(new Date(2031, 0, 1, 23, 59, 58));
  const bus = createBus();
  const managed = await ManagedProcess.spawn(
    ['sh', '-c', 'echo before midnight; while [ ! -e "$1" ]; do sleep 0.05; done; echo after midnight', 'sh', go],
    { journal, name: 'nightly', clock, bus, callosum: false },
  );
  const bin = startBin(['logs', 'nightly', '--follow', '--journal', journal]);
  try {
    await bin.waitFor('stdout', 'before midnight\n');
    clock.advance(5_000);
    await until(() => bus.history().some((event) => event.type === 'log' && event.kind === 'rolled'), 'the log to roll');
    assert.ok(managed.logPath.includes(`${path.sep}20310102${path.sep}`), managed.logPath);
    fs.writeFileSync(go, '');
    await bin.waitFor('stdout', 'after midnight\n');
    assert.equal(texts(bin.stdout), ['before midnight', 'after midnight']);
    assert.match(bin.stdout, /^2031-01-01T23:59:58 \[nightly:stdout\] before midnight\n2031-01-02T00:00:03 \[nightly:stdout\] after midnight\n$/);
    assert.ok(bin.stderr.includes(`now logs to ${fs.realpathSync(managed.logPath)}`));
    assert.is(await managed.wait(), 0);
    bin.child.kill('SIGINT');
    assert.is((await bin.done).code, 0);
  } finally {
    await managed.cleanup();
    await stopBin(bin);
  }
});

for (const change of ['deleted', 'renamed'] as const) {
  test(`--follow picks the log up again when it is ${change} mid-run and reopened at its path (identity, as tail -F)`, async () => {
    const journal = tempJournal();
    const dir = path.dirname(journal);
    const go = path.join(dir, 'go');
    const bus = createBus();
    let seen = 0;
    bus.on('line', () => seen++);
    const managed = await ManagedProcess.spawn([fixture('waits_for_file_between_halves.sh'), go], { journal, name: 'halves', bus, callosum: false });
    const bin = startBin(['logs', 'halves', '--follow', '--journal', journal]);
    try {
      await bin.waitFor('stdout', '[halves:stdout] line 50\n');
      await until(() => seen >= 50, 'the first half on the bus');
      if (change === 'deleted') fs.unlinkSync(managed.logPath);
      else fs.renameSync(managed.logPath, path.join(dir, 'moved.log'));
      fs.writeFileSync(go, '');
      assert.is(await managed.wait(), 0);
      await bin.waitFor('stdout', '[halves:stdout] line 100\n');
      assert.equal(texts(bin.stdout), Array.from({ length: 100 }, (_, i) => `line ${i + 1}`), 'every line once, in order');
      assert.ok(bin.stderr.includes(`now logs to ${managed.logPath}`), bin.stderr);
      bin.child.kill('SIGINT');
      assert.is((await bin.done).code, 0);
    } finally {
      await managed.cleanup();
      await stopBin(bin);
    }
  });
}

test('a <name>.log link that leads out of the journal is refused, and what it points at is not printed', async () => {
  const journal = tempJournal();
  await runTask(['true'], { journal, name: 'real', callosum: false });
  const secret = path.join(path.dirname(journal), 'secret');
  fs.writeFileSync(secret, 'not for the journal\n');
  fs.symlinkSync(secret, path.join(journal, 'health', 'planted.log'));
  const result = await runBin(['logs', 'planted', '--journal', journal]);
  assert.is(result.code, 1);
  assert.is(result.stdout, '');
  assert.match(result.stderr, /points at .*secret, outside the journal/);
});

test('an empty --journal or JOURNAL_PATH is a usage error (exit 2), never the current directory', async () => {
  const cwd = path.dirname(tempJournal());
  for (const [args, env] of [
    [['logs', 'x', '--journal='], {}],
    [['logs', 'x', '--journal', ''], {}],
    [['run', '--journal=', '--', 'true'], {}],
    [['logs', 'x'], { JOURNAL_PATH: '' }],
  ] as const) {
    const result = await runBin([...args], { cwd, env });
    assert.is(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /(--journal is empty|JOURNAL_PATH is set but empty)/);
  }
  assert.equal(fs.readdirSync(cwd), [], 'nothing was made in the current directory');
});

test('logs NAME | head: the reader leaving early ends the command quietly (exit 0, no EPIPE crash), with --follow too', async () => {
  const journal = tempJournal();
  await runTask(['seq', '200000'], { journal, name: 'big', callosum: false });
  for (const args of [['logs', 'big', '--journal', journal], ['logs', 'big', '-f', '--journal', journal]]) {
    const bin = startBin(args);
    try {
      await bin.waitFor('stdout', '[big:stdout] 1\n');
      // As `head -1` does: read a little, then close the pipe.
      bin.child.stdout.destroy();
      if (args.includes('-f')) await runTask(['seq', '3'], { journal, name: 'big', callosum: false });
      const result = await bin.done;
      assert.is(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.not.match(result.stderr, /EPIPE|Unhandled/);
    } finally {
      await stopBin(bin);
    }
  }
});

test.run();
