import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createBus,
  JournalError,
  ManagedProcess,
  project,
  runTask,
  SpawnError,
  TimeoutError,
  ValidationError,
  type HistoryEvent,
} from '../../src/index.js';
import { alive, fixture, logTexts, readLog, tempJournal, until } from '../helpers.js';

test('a task runs to its end: exit code, both streams logged, transitions in order', async () => {
  const journal = tempJournal();
  const bus = createBus();
  const result = await runTask([fixture('exit-with.sh'), '3'], { journal, bus });
  assert.is(result.exitCode, 3);
  assert.is(result.success, false);
  assert.is(result.timedOut, false);
  const lines = readLog(result.logPath);
  assert.equal(lines.map((l) => `${l.name}:${l.stream}:${l.text}`).sort(), ['exit-with.sh:stderr:err', 'exit-with.sh:stdout:out']);
  const transitions = bus.history().filter((e) => e.type === 'transition');
  assert.equal(
    transitions.map((e) => `${e.from}->${e.to}`),
    ['null->spawning', 'spawning->running', 'running->exited'],
  );
  assert.is(path.basename(result.logPath), `${result.ref}_exit-with.sh.log`);
});

test('the exit transition comes after every line event', async () => {
  const bus = createBus({ lineHistoryLimit: 0 });
  const order: string[] = [];
  let lines = 0;
  bus.on('line', () => lines++);
  bus.on('transition', (e) => order.push(`${e.to}@${lines}`));
  const result = await runTask([fixture('flood.mjs'), '20000'], { journal: tempJournal(), bus });
  assert.is(result.exitCode, 0);
  assert.is(order.at(-1), 'exited@20000');
  const texts = logTexts(result.logPath);
  assert.is(texts.length, 20000);
  assert.is(texts.at(-1), 'line 20000');
});

test('stdin is /dev/null; env is added to the inherited environment; cwd is honoured', async () => {
  const journal = tempJournal();
  const cwd = path.dirname(journal);
  process.env.BRAINSTEM_INHERITED = 'yes';
  const result = await runTask(['sh', '-c', `${fixture('echo-env.sh')}; echo inherited=$BRAINSTEM_INHERITED`], {
    journal,
    cwd,
    env: { BRAINSTEM_TEST_VAR: 'hello' },
  });
  delete process.env.BRAINSTEM_INHERITED;
  assert.equal(logTexts(result.logPath), [`cwd=${fs.realpathSync(cwd)}`, 'var=hello', 'stdin=eof', 'inherited=yes']);
});

test('invalid UTF-8 becomes U+FFFD and later lines are still logged', async () => {
  const result = await runTask([fixture('invalid-utf8.mjs')], { journal: tempJournal() });
  assert.equal(logTexts(result.logPath), ['bad \ufffd\ufffd \ufffd(', 'still here']);
});

test('CR, CRLF split across writes, and a trailing line without newline', async () => {
  const parts = ['"progress 1\\r"', '"progress 2\\r"', '"\\nnext\\r"', '"\\nlast without newline"'];
  const result = await runTask([fixture('split-writes.mjs'), ...parts], { journal: tempJournal() });
  assert.equal(logTexts(result.logPath), ['progress 1', 'progress 2', 'next', 'last without newline']);
});

test('a 10 MiB line without newline is logged as 64 KiB lines with no byte lost', async () => {
  const result = await runTask([fixture('long-line.mjs')], { journal: tempJournal() });
  const texts = logTexts(result.logPath);
  assert.is(texts.length, 160);
  assert.ok(texts.every((t) => t.length === 64 * 1024 && /^x+$/.test(t)));
});

test('name and ref: sol dispatch, explicit ref, unique default refs', async () => {
  const journal = tempJournal();
  const bin = path.join(path.dirname(journal), 'sol');
  fs.writeFileSync(bin, '#!/bin/sh\necho "sol $1"\n', { mode: 0o755 });
  const a = await ManagedProcess.spawn([bin, 'indexer'], { journal, ref: 'my-ref' });
  await a.wait();
  assert.is(a.name, 'sol');
  assert.is(a.ref, 'my-ref');
  const viaSol = await ManagedProcess.spawn(['sol', 'indexer', '--rescan'], { journal, env: { PATH: `${path.dirname(bin)}:${process.env.PATH}` } });
  await viaSol.wait();
  assert.is(viaSol.name, 'indexer');
  assert.equal(logTexts(viaSol.logPath), ['sol indexer']);
  const many = await Promise.all(Array.from({ length: 5 }, () => ManagedProcess.spawn(['true'], { journal })));
  await Promise.all(many.map((m) => m.wait()));
  assert.is(new Set(many.map((m) => m.ref)).size, 5);
  assert.ok(many.every((m) => /^\d+$/.test(m.ref)));
});

test('a command that does not exist is a SpawnError with a failed transition and nothing running', async () => {
  const bus = createBus();
  try {
    await ManagedProcess.spawn(['brainstem-no-such-command'], { journal: tempJournal(), bus });
    assert.unreachable('spawn should fail');
  } catch (error) {
    assert.instance(error, SpawnError);
    assert.match((error as Error).message, /^Failed to spawn brainstem-no-such-command: .*ENOENT/);
    assert.is((error as SpawnError).code, 'ENOENT');
  }
  const last = bus.history().at(-1) as Extract<HistoryEvent, { type: 'transition' }>;
  assert.is(last.to, 'failed');
  assert.match(last.error!, /ENOENT/);
});

test('a SpawnError says what to fix: missing cwd, cwd that is a file, not executable', async () => {
  const journal = tempJournal();
  const cases: [string[], object, RegExp][] = [
    [['ls'], { cwd: '/nonexistent/brainstem' }, /working directory \/nonexistent\/brainstem does not exist/],
    [['ls'], { cwd: '/etc/passwd' }, /working directory \/etc\/passwd is not a directory/],
    [['/etc/passwd'], {}, /permission denied/],
  ];
  for (const [cmd, opts, message] of cases) {
    const bus = createBus();
    try {
      await ManagedProcess.spawn(cmd, { journal, bus, ...opts });
      assert.unreachable(`spawned ${cmd.join(' ')}`);
    } catch (error) {
      assert.instance(error, SpawnError);
      assert.match((error as Error).message, message);
    }
    assert.is(bus.history().at(-1)!.type === 'transition' && (bus.history().at(-1) as { to: string }).to, 'failed');
  }
});

test('wait with a timeout rejects with TimeoutError and leaves the child running', async () => {
  const mp = await ManagedProcess.spawn(['sleep', '30'], { journal: tempJournal() });
  try {
    await mp.wait({ timeout: 50 });
    assert.unreachable();
  } catch (error) {
    assert.instance(error, TimeoutError);
    assert.is((error as TimeoutError).timeout, 50);
  }
  assert.ok(mp.isRunning());
  assert.is(mp.poll(), null);
  assert.ok(alive(mp.pid!));
  assert.is(await mp.terminate(), -15);
  assert.is(mp.state, 'exited');
  assert.is(mp.returncode, -15);
  assert.not.ok(mp.isRunning());
});

test('terminate escalates to SIGKILL after the timeout: state killed, exit code -9', async () => {
  const bus = createBus();
  const mp = await ManagedProcess.spawn([fixture('ignore-sigterm.sh')], { journal: tempJournal(), bus });
  await until(() => logTexts(mp.logPath).includes('ready'), 'the child to trap SIGTERM');
  assert.is(await mp.terminate({ timeout: 200 }), -9);
  assert.is(mp.state, 'killed');
  const last = bus.history().at(-1) as Extract<HistoryEvent, { type: 'transition' }>;
  assert.equal([last.from, last.to, last.exitCode, last.signal], ['terminating', 'killed', -9, 'SIGKILL']);
});

test('terminate signals the whole process group: grandchildren end too', async () => {
  const mp = await ManagedProcess.spawn([fixture('grandchild.sh')], { journal: tempJournal() });
  const line = await until(() => logTexts(mp.logPath)[0], 'the pids line');
  const grandchild = Number(/grandchild (\d+)/.exec(line)![1]);
  assert.ok(alive(grandchild));
  await mp.terminate({ timeout: 2000 });
  await until(() => !alive(grandchild), 'the grandchild to end');
});

test('cleanup is idempotent, terminates a live child and resolves after the exit', async () => {
  const bus = createBus();
  const mp = await ManagedProcess.spawn(['sleep', '30'], { journal: tempJournal(), bus });
  await Promise.all([mp.cleanup(), mp.cleanup()]);
  await mp.cleanup();
  assert.is(mp.state, 'exited');
  assert.is(bus.history().filter((e) => e.type === 'transition' && e.to === 'exited').length, 1);
});

test('runTask with a timeout terminates the task', async () => {
  const result = await runTask(['sleep', '30'], { journal: tempJournal(), timeout: 100 });
  assert.equal([result.success, result.exitCode, result.timedOut], [false, -15, true]);
});

test('the fold of history equals the live processes', async () => {
  const bus = createBus();
  const journal = tempJournal();
  const done = await ManagedProcess.spawn([fixture('exit-with.sh'), '7'], { journal, bus });
  await done.wait();
  const live = await ManagedProcess.spawn(['sleep', '30'], { journal, bus });
  const ended = await ManagedProcess.spawn(['sleep', '30'], { journal, bus });
  await ended.terminate();
  const table = project(bus.history());
  for (const mp of [done, live, ended]) {
    assert.equal(table.get(mp.ref), { ref: mp.ref, name: mp.name, pid: mp.pid, state: mp.state, exitCode: mp.returncode, logPath: mp.logPath });
  }
  await live.terminate();
});

test('bad input is refused before anything is spawned or written', async () => {
  const journal = tempJournal();
  const cases: [unknown[], object, RegExp][] = [
    [[], {}, /cmd must be a non-empty array/],
    [['echo', 3], {}, /cmd\[1\] must be a string/],
    [['echo', 'a\0b'], {}, /NUL/],
    [['echo'], { ref: '../x' }, /Invalid ref/],
    [['echo'], { name: '.hidden' }, /Invalid name/],
    [['echo'], { day: '20260230' }, /Invalid day/],
    [['echo'], { env: { X: 'a\0' } }, /env\.X/],
    [['echo'], { terminateTimeout: -1 }, /terminateTimeout/],
    [['echo'], { timeout: Number.NaN }, /timeout/],
    [['echo'], { timeout: Infinity }, /timeout/],
  ];
  for (const [cmd, opts, message] of cases) {
    try {
      await runTask(cmd as string[], { journal, ...opts });
      assert.unreachable(`accepted ${JSON.stringify(cmd)} ${JSON.stringify(opts)}`);
    } catch (error) {
      assert.instance(error, ValidationError, String(error));
      assert.match((error as Error).message, message);
    }
  }
  assert.not.ok(fs.existsSync(journal), 'the journal was written');
  const file = path.join(path.dirname(journal), 'file');
  fs.writeFileSync(file, '');
  try {
    await runTask(['echo'], { journal: file });
    assert.unreachable();
  } catch (error) {
    assert.instance(error, JournalError);
  }
});

test.run();
