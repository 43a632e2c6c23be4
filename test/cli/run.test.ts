import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'node:fs';
import path from 'node:path';
import { alive, logTexts, tempJournal, until } from '../helpers.js';
import { runBin, startBin, stopBin } from './bin.js';

const test = suite('cli: brainstem run');

function logPathIn(stderr: string): string {
  const match = /log (\S+\.log)\n/.exec(stderr);
  if (!match) throw new Error(`no log path in ${stderr}`);
  return match[1]!;
}

test('streams stdout and stderr to the terminal, journals both, exits with the child code', async () => {
  const journal = tempJournal();
  const result = await runBin(['run', '--journal', journal, '--', 'sh', '-c', 'echo out one; echo err one >&2; echo out two; exit 3']);
  assert.is(result.code, 3);
  assert.is(result.stdout, 'out one\nout two\n');
  assert.match(result.stderr, /^err one$/m);
  const logPath = logPathIn(result.stderr);
  assert.ok(logPath.startsWith(journal), 'the log is in the given journal');
  assert.equal(logTexts(logPath, 'stdout'), ['out one', 'out two']);
  assert.equal(logTexts(logPath, 'stderr'), ['err one']);
  assert.is(fs.realpathSync(path.join(journal, 'health', 'sh.log')), fs.realpathSync(logPath));
});

test('a command without -- works when it has no flags; --ref, --name and --day shape the log path', async () => {
  const journal = tempJournal();
  const result = await runBin(['run', '--journal', journal, '--ref', 'r42', '--name', 'greeter', '--day', '20240229', 'echo', 'hi']);
  assert.is(result.code, 0);
  assert.is(result.stdout, 'hi\n');
  assert.is(logPathIn(result.stderr), path.join(journal, '20240229', 'health', 'r42_greeter.log'));
  assert.equal(logTexts(path.join(journal, 'health', 'greeter.log')), ['hi']);
});

test('JOURNAL_PATH is the default journal', async () => {
  const journal = tempJournal();
  const result = await runBin(['run', '--', 'true'], { env: { JOURNAL_PATH: journal } });
  assert.is(result.code, 0);
  assert.ok(logPathIn(result.stderr).startsWith(journal));
});

test('a child ended by a signal exits 128 + the signal number, as shells do', async () => {
  const journal = tempJournal();
  const result = await runBin(['run', '--journal', journal, '--', 'sh', '-c', 'kill -KILL $$']);
  assert.is(result.code, 137);
});

test('--timeout terminates the child (SIGTERM: exit 143) and says so', async () => {
  const journal = tempJournal();
  const result = await runBin(['run', '--journal', journal, '--timeout', '200', '--', 'sleep', '30']);
  assert.is(result.code, 143);
  assert.match(result.stderr, /still running after --timeout 200 ms/);
});

test('Ctrl-C (SIGINT) ends the child and its grandchildren, then exits with the child code', async () => {
  const journal = tempJournal();
  const bin = startBin(['run', '--journal', journal, '--', 'sh', '-c', 'sleep 60 & echo grandchild $!; wait']);
  try {
    const out = await bin.waitFor('stdout', /grandchild (\d+)\n/);
    const grandchild = Number(/grandchild (\d+)/.exec(out)![1]);
    assert.ok(alive(grandchild));
    bin.child.kill('SIGINT');
    const result = await bin.done;
    assert.is(result.code, 143);
    assert.match(result.stderr, /ended by signal 15/);
    await until(() => !alive(grandchild), 'the grandchild to end');
  } finally {
    await stopBin(bin);
  }
});

test('a second Ctrl-C kills a child that ignores SIGTERM at once (exit 137)', async () => {
  const journal = tempJournal();
  const bin = startBin(['run', '--journal', journal, '--', 'sh', '-c', 'trap "echo got TERM" TERM; echo ready; while :; do sleep 0.1; done']);
  try {
    await bin.waitFor('stdout', 'ready\n');
    bin.child.kill('SIGINT');
    await bin.waitFor('stdout', 'got TERM\n');
    bin.child.kill('SIGINT');
    const result = await bin.done;
    assert.is(result.code, 137);
  } finally {
    await stopBin(bin);
  }
});

test('SIGTERM to brainstem ends the child too', async () => {
  const journal = tempJournal();
  const bin = startBin(['run', '--journal', journal, '--', 'sleep', '60']);
  try {
    await bin.waitFor('stderr', /started: pid (\d+)/);
    const pid = Number(/started: pid (\d+)/.exec(bin.stderr)![1]);
    bin.child.kill('SIGTERM');
    const result = await bin.done;
    assert.is(result.code, 143);
    await until(() => !alive(pid), 'the child to end');
  } finally {
    await stopBin(bin);
  }
});

test('a command that does not exist exits 127 with the reason', async () => {
  const result = await runBin(['run', '--journal', tempJournal(), '--', 'no-such-command-brainstem']);
  assert.is(result.code, 127);
  assert.match(result.stderr, /Failed to spawn no-such-command-brainstem/);
});

test('usage errors exit 2 and show the usage', async () => {
  const journal = tempJournal();
  const cases: [string[], RegExp][] = [
    [['run', '--journal', journal], /missing the command to run/],
    [['run', '--journal', journal, '--timeout', 'soon', '--', 'true'], /--timeout must be a whole number/],
    [['run', '--journal', journal, '--day', '20241301', '--', 'true'], /Invalid day "20241301"/],
    [['run', '--journal', journal, '--ref', '../x', '--', 'true'], /ref/],
    [['run', '--journal', journal, 'ls', '-la'], /Put the command after '--'/],
  ];
  for (const [args, message] of cases) {
    const result = await runBin(args);
    assert.is(result.code, 2, args.join(' '));
    assert.match(result.stderr, message);
    assert.match(result.stderr, /Usage: brainstem run/);
  }
  assert.not.ok(fs.existsSync(journal), 'nothing was written for a refused command line');
});

test.run();
