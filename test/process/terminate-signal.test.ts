import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, createTestClock, ManagedProcess, ValidationError } from '../../src/index.js';
import { alive, fixture, logTexts, tempJournal, until } from '../helpers.js';

const test = suite('terminate({ signal }) and endGroupOnExit');

test('terminate({ signal: "SIGINT" }) starts with SIGINT: a child that dies of it ends with -2, not killed', async () => {
  const mp = await ManagedProcess.spawn(['sleep', '60'], { journal: tempJournal(), bus: createBus(), callosum: false });
  assert.is(await mp.terminate({ signal: 'SIGINT', timeout: 60_000 }), -2);
  assert.is(mp.state, 'exited');
});

test('a signal that is not one is refused with a ValidationError, and the process runs on', async () => {
  const mp = await ManagedProcess.spawn(['sleep', '60'], { journal: tempJournal(), bus: createBus(), callosum: false });
  try {
    for (const signal of ['SIGNOPE', 'sigint', 15, '']) {
      const error = await mp.terminate({ signal: signal as never }).then(() => null, (e: unknown) => e);
      assert.instance(error, ValidationError, String(signal));
      assert.is((error as ValidationError).field, 'signal');
    }
    assert.is(mp.state, 'running');
  } finally {
    await mp.terminate();
  }
});

test('endGroupOnExit must be a boolean: refused before anything is spawned', async () => {
  const error = await ManagedProcess.spawn(['true'], { journal: tempJournal(), endGroupOnExit: 'yes' as never }).then(() => null, (e: unknown) => e);
  assert.instance(error, ValidationError);
  assert.is((error as ValidationError).field, 'endGroupOnExit');
});

test('endGroupOnExit: the SIGKILL for leftovers that ignore SIGTERM waits for terminateTimeout on the runtime clock', async () => {
  const clock = createTestClock('2026-06-10T12:00:00Z');
  const mp = await ManagedProcess.spawn([fixture('leaves_stubborn_grandchild.sh')], {
    journal: tempJournal(),
    bus: createBus(),
    callosum: false,
    clock,
    endGroupOnExit: true,
    terminateTimeout: 5_000,
    drainTimeout: 600_000,
  });
  const grandchild = Number(/grandchild (\d+)/.exec(await until(() => logTexts(mp.logPath).join('\n').match(/grandchild \d+/)?.[0], 'the grandchild line'))![0].split(' ')[1]);
  await until(() => mp.actor.getSnapshot().context.exitCode !== null, 'the main process to exit');
  // SIGTERM went out at the exit; the leftover ignores it and keeps the pipes open.
  assert.ok(alive(grandchild));
  assert.is(mp.state, 'running');
  clock.advance(4_999);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(alive(grandchild), 'SIGKILL came before terminateTimeout');
  clock.advance(1);
  assert.is(await mp.wait(), 0, 'the exit code is the main process\'s own');
  await until(() => !alive(grandchild), 'the leftover to be killed');
});

test.run();
