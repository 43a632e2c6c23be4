import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'node:fs';
import path from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { containment } from '../../src/host/containment.js';
import { CallosumServer } from '../../src/index.js';
import { alive, fixture, logTexts, tempJournal, until } from '../helpers.js';
import { BIN, runBin, startBin, stopBin } from './bin.js';

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

test('Ctrl-C (SIGINT) is passed on to the child\'s group as SIGINT: a shell\'s 130 when the child dies of it; its grandchildren end too', async () => {
  const journal = tempJournal();
  const bin = startBin(['run', '--journal', journal, '--', 'sh', '-c', 'sleep 60 & echo grandchild $!; wait']);
  try {
    const out = await bin.waitFor('stdout', /grandchild (\d+)\n/);
    const grandchild = Number(/grandchild (\d+)/.exec(out)![1]);
    assert.ok(alive(grandchild));
    bin.child.kill('SIGINT');
    const result = await bin.done;
    assert.is(result.code, 130);
    assert.match(result.stderr, /ended by signal 2,/);
    await until(() => !alive(grandchild), 'the grandchild to end');
  } finally {
    await stopBin(bin);
  }
});

test('Ctrl-C to a child that handles SIGINT and exits 0: brainstem exits 0, as a shell would', async () => {
  const bin = startBin(['run', '--journal', tempJournal(), '--', 'sh', '-c', 'trap "echo got INT; exit 0" INT; echo ready; while :; do sleep 0.1; done']);
  try {
    await bin.waitFor('stdout', 'ready\n');
    bin.child.kill('SIGINT');
    const result = await bin.done;
    assert.match(result.stdout, /got INT/);
    assert.is(result.code, 0);
  } finally {
    await stopBin(bin);
  }
});

test('a second Ctrl-C kills a child that ignores SIGINT and SIGTERM at once (exit 137)', async () => {
  const journal = tempJournal();
  const bin = startBin(['run', '--journal', journal, '--', 'sh', '-c', 'trap "echo got INT" INT; trap "echo got TERM" TERM; echo ready; while :; do sleep 0.1; done']);
  try {
    await bin.waitFor('stdout', 'ready\n');
    bin.child.kill('SIGINT');
    await bin.waitFor('stdout', 'got INT\n');
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
    [['run', '--journal', journal, '--timeout', '-1', '--', 'true'], /--timeout must be a whole number of milliseconds, got "-1"/],
    [['run', '--journal', journal, '--day', '-1', '--', 'true'], /Invalid day "-1"/],
    [['run', '--journal', journal, '--day', '20241301', '--', 'true'], /Invalid day "20241301"/],
    [['run', '--journal', journal, '--ref', '../x', '--', 'true'], /ref/],
    [['run', '--journal', journal, 'ls', '-la'], /Put the command after '--'/],
  ];
  for (const [args, message] of cases) {
    const result = await runBin(args);
    assert.is(result.code, 2, args.join(' '));
    assert.match(result.stderr, message);
    assert.match(result.stderr, /Usage: brainstem run/);
    assert.not.match(result.stderr, /ambiguous/);
  }
  assert.not.ok(fs.existsSync(journal), 'nothing was written for a refused command line');
});

/** Runs a bash command line (a pipeline around the bin); resolves with its output. */
function bash(script: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], { env: { ...process.env, ...env }, maxBuffer: 1 << 26 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

/** A Callosum server on the journal's socket and a raw listener on it. */
async function callosumListener(journal: string) {
  fs.mkdirSync(path.join(journal, 'health'), { recursive: true, mode: 0o700 });
  const server = new CallosumServer({ socketPath: path.join(journal, 'health', 'callosum.sock') });
  await server.start();
  const socket = net.connect(path.join(journal, 'health', 'callosum.sock'));
  await once(socket, 'connect');
  let text = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  const messages = () => text.split('\n').slice(0, -1).map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    messages,
    stop: async () => {
      socket.destroy();
      await server.stop();
    },
  };
}

test('run -- seq 200000 | head -1: the log gets every line, the exit is reported on stderr and Callosum, the exit code is the child\'s', async () => {
  const journal = tempJournal();
  const listener = await callosumListener(journal);
  try {
    const result = await bash(`"${process.execPath}" "${BIN}" run --journal "${journal}" --ref piped -- seq 200000 | head -1; echo "brainstem exit \${PIPESTATUS[0]}" >&2`);
    assert.is(result.stdout, '1\n');
    assert.match(result.stderr, /brainstem exit 0\n/);
    assert.match(result.stderr, /seq exited with code 0/);
    assert.not.match(result.stderr, /EPIPE|Error/);
    const texts = logTexts(logPathIn(result.stderr), 'stdout');
    assert.is(texts.length, 200000);
    assert.is(texts.at(-1), '200000');
    const exit = await until(() => listener.messages().find((m) => m.event === 'exit' && m.ref === 'piped'), 'the exit on Callosum');
    assert.is(exit.exit_code, 0);
  } finally {
    await listener.stop();
  }
});

test('stderr closed early (2>&1 | head -1): still journaled to the end, exits with the child\'s code', async () => {
  const journal = tempJournal();
  const result = await bash(`"${process.execPath}" "${BIN}" run --journal "${journal}" --name errs -- sh -c 'seq 100000 >&2; exit 3' 2>&1 | head -1; echo "brainstem exit \${PIPESTATUS[0]}"`);
  assert.match(result.stdout, /brainstem exit 3\n$/);
  const texts = logTexts(path.join(journal, 'health', 'errs.log'), 'stderr');
  assert.is(texts.length, 100000);
  assert.is(texts.at(-1), '100000');
});

test('a journal error during a run (a full 64 KiB tmpfs) is printed; the output still reaches the terminal and the exit code is the child\'s', async () => {
  const journal = tempJournal();
  fs.mkdirSync(journal, { recursive: true, mode: 0o700 });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', journal], { stdio: 'ignore' });
  } catch {
    return console.log('  (no tmpfs here: mount refused)');
  }
  try {
    const result = await runBin(['run', '--journal', journal, '--', fixture('prints_numbered_lines.sh'), 'a-line-of-some-length', '20000', '4']);
    assert.is(result.code, 4);
    assert.is(result.stdout.split('\n').length - 1, 20000, 'every line reached the terminal');
    assert.match(result.stderr, /brainstem: journal error: .*ENOSPC/);
    assert.match(result.stderr, /exited with code 4/);
  } finally {
    execFileSync('umount', ['-l', journal]);
  }
});

test('--verbose says which containment holds the command', async () => {
  const result = await runBin(['run', '--verbose', '--journal', tempJournal(), '--', 'true']);
  assert.is(result.code, 0);
  assert.match(result.stderr, new RegExp(`brainstem: containment: ${containment()} `));
  const off = await runBin(['run', '--verbose', '--journal', tempJournal(), '--', 'true'], { env: { BRAINSTEM_CONTAINMENT: 'process-group' } });
  assert.match(off.stderr, /brainstem: containment: process-group .*setsid escapes/);
});

test.run();
