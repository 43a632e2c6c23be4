import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CallosumServer } from '../../src/callosum/server.js';
import { createBus, Supervisor } from '../../src/index.js';
import { fixture, logTexts, scratchDir, until } from '../helpers.js';
import { runBin, startBin, stopBin, type BinProcess } from './bin.js';

const test = suite('cli: brainstem restart and submit, from a second process');

let up: BinProcess | undefined;
let journal = '';

test.before(async () => {
  const dir = scratchDir('ctl');
  journal = path.join(dir, 'journal');
  fs.writeFileSync(
    path.join(dir, 'brainstem.json'),
    JSON.stringify({ services: { worker: { cmd: [fixture('records_start_and_stop.sh'), path.join(dir, 'order.txt'), 'worker'], ready: { line: 'worker ready' } } } }),
  );
  up = startBin(['up', '--journal', journal], { cwd: dir });
  await up.waitFor('stdout', 'brainstem | worker is up (ready)');
});

test.after(async () => {
  if (up) await stopBin(up);
});

const pidsOf = (stdout: string) => [...stdout.matchAll(/worker started \(pid (\d+)\)/g)].map((match) => Number(match[1]));

test('restart NAME: the supervisor answers restarting, the service runs again with a new pid', async () => {
  const before = pidsOf(up!.stdout);
  assert.is(before.length, 1);
  const result = await runBin(['restart', 'worker', '--journal', journal]);
  assert.is(result.code, 0, result.stderr);
  assert.is(result.stdout, `brainstem restart: worker restarting (was pid ${before[0]})\n`);
  await until(() => pidsOf(up!.stdout).length === 2 && up!.stdout.split('worker is up (ready)').length === 3, 'worker to be up again', 20_000);
  assert.is.not(pidsOf(up!.stdout)[1], before[0]);
});

test('restart of no such service, with no server, and with a plain server that has no supervisor: exit 1, saying which', async () => {
  const unknown = await runBin(['restart', 'nosuch', '--timeout', '1500', '--journal', journal]);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, `brainstem restart: no supervisor answered for nosuch within 1500 ms on ${journal}/health/callosum.sock`);

  const nowhere = path.join(scratchDir('ctl'), 'journal');
  const none = await runBin(['restart', 'worker', '--timeout', '1000', '--journal', nowhere]);
  assert.is(none.code, 1);
  assert.match(none.stderr, `brainstem restart: no Callosum server answers on ${nowhere}/health/callosum.sock; is brainstem up running with this journal?`);

  const bare = path.join(scratchDir('ctl'), 'journal');
  fs.mkdirSync(bare, { mode: 0o700 });
  const server = new CallosumServer({ journal: bare });
  await server.start();
  try {
    const plain = await runBin(['restart', 'worker', '--timeout', '1000', '--journal', bare]);
    assert.is(plain.code, 1, 'a server that only echoes the request is not a supervisor');
    assert.match(plain.stderr, 'no supervisor answered for worker within 1000 ms');
    const submitted = await runBin(['submit', '--timeout', '1000', '--journal', bare, '--', 'true']);
    assert.is(submitted.code, 1);
    assert.match(submitted.stderr, /no supervisor answered the request for ref \S+ within 1000 ms/);
  } finally {
    await server.stop();
  }
});

test("submit prints the ref it picked; the task's lines reach up's output under its command name", async () => {
  const result = await runBin(['submit', '--journal', journal, '--', fixture('exit-with.sh'), '0']);
  assert.is(result.code, 0, result.stderr);
  const ref = result.stdout.trim();
  assert.match(ref, /^\d+$/);
  assert.match(result.stderr, new RegExp(`brainstem submit: (started|queued) \\(ref ${ref}`));
  // A task's longer name widens the name column from then on.
  await up!.waitFor('stdout', new RegExp(`brainstem {4}\\| task exit-with\\.sh exited with code 0 \\(ref ${ref}\\)`));
  assert.match(up!.stdout, /^\d\d:\d\d:\d\d exit-with\.sh \| out$/m);
  assert.match(up!.stdout, /^\d\d:\d\d:\d\d exit-with\.sh ! err$/m);
  assert.equal(logTexts(fs.readdirSync(path.join(journal)).filter((d) => /^\d{8}$/.test(d)).map((day) => path.join(journal, day, 'health', `${ref}_exit-with.sh.log`)).find((file) => fs.existsSync(file))!), ['out', 'err']);
});

test('submit --wait with --ref and --day: prints the lines, exits with the code, 128 + a signal, 127 when it cannot start', async () => {
  const waited = await runBin(['submit', '--wait', '--ref', 'nightly-1', '--day', '20260101', '--journal', journal, '--', fixture('exit-with.sh'), '3']);
  assert.is(waited.code, 3, waited.stderr);
  assert.is(waited.stdout, 'nightly-1\nout\n');
  assert.match(waited.stderr, /^err$/m);
  assert.match(waited.stderr, 'brainstem submit: ref nightly-1 exited with code 3');
  assert.equal(logTexts(path.join(journal, '20260101', 'health', 'nightly-1_exit-with.sh.log')), ['out', 'err']);

  const signalled = await runBin(['submit', '--wait', '--journal', journal, '--', 'sh', '-c', 'kill -TERM $$']);
  assert.is(signalled.code, 143, signalled.stderr);
  const missing = await runBin(['submit', '--wait', '--journal', journal, '--', 'no-such-tool-anywhere']);
  assert.is(missing.code, 127, missing.stderr);
  assert.match(missing.stderr, /never ran/);
});

test('submit to a full queue: the supervisor refuses at once and submit exits 1 saying why, not after its timeout', async () => {
  const dir = scratchDir('full');
  const fullJournal = path.join(dir, 'journal');
  const server = new CallosumServer({ journal: fullJournal });
  await server.start();
  const supervisor = new Supervisor({ journal: fullJournal, bus: createBus(), maxQueued: 1, sweep: false });
  const release = path.join(dir, 'release');
  const waits = fixture('wait-for-file.sh');
  try {
    // Its shared connection and its control listener.
    await until(() => server.stats().clients >= 2, 'the supervisor to listen');
    supervisor.submit([waits, release], { ref: 'busy' });
    supervisor.submit([waits, release, 'second'], { ref: 'waiting' });
    const result = await runBin(['submit', '--ref', 'too-many', '--timeout', '20000', '--journal', fullJournal, '--', waits, release, 'third']);
    assert.is(result.code, 1, result.stderr);
    assert.match(result.stderr, 'brainstem submit: the supervisor did not queue ref too-many: The task queue for wait-for-file.sh is full: 1 refs wait already');
    assert.is(result.stdout, '');
    assert.equal(supervisor.queue()[0]!.queued.map((entry) => entry.refs), [['waiting']]);
  } finally {
    fs.writeFileSync(release, '');
    await supervisor.stop();
    await server.stop();
  }
});

test('submit --wait prints its ref before the task\'s lines, also when the answer and the lines come in one chunk', async () => {
  const dir = scratchDir('chunk');
  const chunkJournal = path.join(dir, 'journal');
  fs.mkdirSync(chunkJournal, { mode: 0o700 });
  const server = new CallosumServer({ journal: chunkJournal });
  await server.start();
  // A supervisor's answer, the task's two lines and its end, written at once: one chunk on the CLI's socket.
  const peer = net.connect(server.socketPath);
  let partial = '';
  peer.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const at = partial.indexOf('"event":"request"');
    if (at === -1) return;
    partial = '';
    const ref = 'chunked-1';
    const messages = [
      { tract: 'supervisor', event: 'started', service: 'job', pid: 4242, ref },
      { tract: 'logs', event: 'line', ref, name: 'job', pid: 4242, stream: 'stdout', line: 'out' },
      { tract: 'logs', event: 'line', ref, name: 'job', pid: 4242, stream: 'stderr', line: 'err' },
      { tract: 'supervisor', event: 'stopped', service: 'job', pid: 4242, ref, exit_code: 5 },
    ];
    peer.write(messages.map((message) => `${JSON.stringify(message)}\n`).join(''));
  });
  await new Promise((resolve) => peer.once('connect', resolve));
  try {
    const result = await runBin(['submit', '--wait', '--ref', 'chunked-1', '--timeout', '5000', '--journal', chunkJournal, '--', 'job']);
    assert.is(result.code, 5, result.stderr);
    assert.is(result.stdout, 'chunked-1\nout\n');
    const stderr = result.stderr.split('\n').filter((line) => !line.startsWith('(') && !line.includes('Warning'));
    assert.equal(stderr.filter(Boolean), ['brainstem submit: started (ref chunked-1, pid 4242)', 'err', 'brainstem submit: ref chunked-1 exited with code 5']);
  } finally {
    peer.destroy();
    await server.stop();
  }
});

test('submit usage errors: no command, a bad ref or day', async () => {
  for (const args of [[], ['--'], ['--ref', '../x', '--', 'true'], ['--day', '2026-01-01', '--', 'true']]) {
    const result = await runBin(['submit', '--journal', journal, ...args]);
    assert.is(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
  }
});

test('SIGTERM to up ends a running task too, and up exits 0', async () => {
  const pidFile = path.join(scratchDir('ctl'), 'task.pid');
  const submitted = await runBin(['submit', '--journal', journal, '--', 'sh', '-c', `echo $$ > ${pidFile}; exec sleep 600`]);
  assert.is(submitted.code, 0, submitted.stderr);
  const pid = await until(() => fs.existsSync(pidFile) && Number(fs.readFileSync(pidFile, 'utf8')), 'the task to write its pid');
  up!.child.kill('SIGTERM');
  const result = await up!.done;
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`task sh ended by SIGTERM \\(signal 15\\) \\(ref ${submitted.stdout.trim()}\\)`));
  // Gone, or a zombie waiting for init: not running.
  const stat = () => {
    try {
      return fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return '';
    }
  };
  await until(() => stat() === '' || /^\d+ \(.*\) Z /s.test(stat()), `task ${pid} to be gone`);
});

test.run();
