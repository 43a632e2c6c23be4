import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commandName, createBus, ManagedProcess, newRef, runTask, ValidationError } from '../../src/index.js';
import { alive, fixture, logTexts, tempJournal, until } from '../helpers.js';

test('cancelSignal terminates the task: canceled, its exit code, its group gone, its lines logged', async () => {
  const journal = tempJournal();
  const controller = new AbortController();
  let spawned: ManagedProcess | undefined;
  const result = runTask([fixture('wait-for-file.sh'), path.join(path.dirname(journal), 'never')], {
    journal,
    bus: createBus(),
    callosum: false,
    cancelSignal: controller.signal,
    onSpawn: (process) => {
      spawned = process;
    },
  });
  await until(() => spawned && fs.existsSync(spawned.logPath) && fs.statSync(spawned.logPath).size > 0, 'the first lines');
  const pid = spawned!.pid!;
  controller.abort();
  const { canceled, timedOut, exitCode, success, logPath, ref } = await result;
  assert.is(canceled, true);
  assert.is(timedOut, false);
  assert.is(exitCode, -15);
  assert.is(success, false);
  assert.is(ref, spawned!.ref);
  assert.is(logPath, spawned!.logPath);
  await until(() => !alive(-pid), 'the whole group to end');
  assert.ok(logTexts(logPath).length > 0);
});

test('onSpawn hands over the running ManagedProcess before the task ends', async () => {
  const journal = tempJournal();
  const release = path.join(path.dirname(journal), 'release');
  const seen: { pid: number | null; running: boolean; ref: string; name: string }[] = [];
  const result = runTask([fixture('wait-for-file.sh'), release], {
    journal,
    ref: 'handed-over',
    bus: createBus(),
    callosum: false,
    onSpawn: (process) => {
      seen.push({ pid: process.pid, running: process.isRunning(), ref: process.ref, name: process.name });
      fs.writeFileSync(release, '');
    },
  });
  const { exitCode, canceled } = await result;
  assert.is(exitCode, 0);
  assert.is(canceled, false);
  assert.is(seen.length, 1, 'called once');
  assert.ok(seen[0]!.pid! > 0);
  assert.equal({ ...seen[0], pid: 0 }, { pid: 0, running: true, ref: 'handed-over', name: 'wait-for-file.sh' });
});

test('a signal aborted before the call spawns nothing and rejects with its reason', async () => {
  const journal = tempJournal();
  const controller = new AbortController();
  const reason = new Error('caller changed its mind');
  controller.abort(reason);
  let spawned = false;
  try {
    await runTask([fixture('exit-with.sh')], { journal, bus: createBus(), callosum: false, cancelSignal: controller.signal, onSpawn: () => (spawned = true) });
    assert.unreachable('should reject');
  } catch (error) {
    assert.is(error, reason);
  }
  assert.is(spawned, false);
  assert.not.ok(fs.existsSync(journal), 'nothing written');
});

test('aborting after the task ended on its own cancels nothing', async () => {
  const controller = new AbortController();
  const result = await runTask([fixture('exit-with.sh'), '4'], { journal: tempJournal(), bus: createBus(), callosum: false, cancelSignal: controller.signal });
  controller.abort();
  assert.is(result.exitCode, 4);
  assert.is(result.canceled, false);
});

test('an onSpawn that throws: the task is ended and runTask rejects with that error', async () => {
  const bus = createBus();
  let pid = 0;
  const boom = new Error('boom');
  try {
    await runTask([fixture('wait-for-file.sh'), '/nonexistent/never'], {
      journal: tempJournal(),
      bus,
      callosum: false,
      terminateTimeout: 5_000,
      onSpawn: (process) => {
        pid = process.pid!;
        throw boom;
      },
    });
    assert.unreachable('should reject');
  } catch (error) {
    assert.is(error, boom);
  }
  assert.ok(pid > 0);
  await until(() => !alive(-pid), 'the task to be ended');
});

test('cancelSignal and onSpawn of the wrong kind are a ValidationError before anything runs', async () => {
  const journal = tempJournal();
  for (const options of [{ cancelSignal: {} }, { cancelSignal: 'abort' }, { cancelSignal: null }, { onSpawn: 'x' }]) {
    try {
      await runTask([fixture('exit-with.sh')], { journal, callosum: false, ...(options as object) });
      assert.unreachable(JSON.stringify(options));
    } catch (error) {
      assert.instance(error, ValidationError, JSON.stringify(options));
    }
  }
  assert.not.ok(fs.existsSync(journal));
});

test('the name rule and the default-ref generator are exported', () => {
  assert.is(commandName(['sol', 'indexer', '--day', '20260101']), 'indexer');
  assert.is(commandName(['/usr/bin/python3', 'x.py']), 'python3');
  assert.is(commandName(['sol']), 'sol');
  const before = Date.now();
  const a = newRef();
  const b = newRef();
  assert.match(a, /^\d+$/);
  assert.ok(Number(b) > Number(a), 'never the same twice');
  // Epoch ms: now, or the next free millisecond when this process has handed out refs faster than one per ms.
  assert.ok(Number(a) >= before, 'not before now');
  assert.is(newRef(0), String(Number(b) + 1), 'an earlier time gets the next free millisecond');
});

test.run();
