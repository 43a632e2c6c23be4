import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { JournalError, ManagedProcess, runTask, ValidationError } from '../../src/index.js';
import { childrenOf, tempDir } from './helpers.js';

const test = suite('bad input is refused: typed error, clear message, nothing spawned, nothing written');

type Case = { what: string; run: (journal: string, marker: string) => Promise<unknown>; error: typeof ValidationError | typeof JournalError; message: RegExp };

/** A command that would leave `marker` behind if it ever ran. */
const leaves = (marker: string) => ['sh', '-c', `touch '${marker}'`];

const cases: Case[] = [
  { what: 'empty cmd', run: (journal) => ManagedProcess.spawn([], { journal }), error: ValidationError, message: /cmd must be a non-empty array/ },
  { what: 'cmd not an array', run: (journal) => ManagedProcess.spawn('echo hi' as unknown as string[], { journal }), error: ValidationError, message: /cmd must be a non-empty array/ },
  { what: 'cmd[0] empty', run: (journal) => ManagedProcess.spawn([''], { journal }), error: ValidationError, message: /cmd\[0\] must name a command/ },
  { what: 'non-string argument', run: (journal, marker) => ManagedProcess.spawn([...leaves(marker), 42 as unknown as string], { journal }), error: ValidationError, message: /cmd\[3\] must be a string, got 42/ },
  { what: 'NUL byte in an argument', run: (journal, marker) => ManagedProcess.spawn([...leaves(marker), 'a\0b'], { journal }), error: ValidationError, message: /cmd\[3\] contains a NUL byte/ },
  { what: 'NUL byte in an env value', run: (journal, marker) => ManagedProcess.spawn(leaves(marker), { journal, env: { X: 'a\0b' } }), error: ValidationError, message: /env\.X cannot be passed/ },
  { what: 'NUL byte in an env name', run: (journal, marker) => ManagedProcess.spawn(leaves(marker), { journal, env: { 'A\0B': 'x' } }), error: ValidationError, message: /cannot be passed/ },
  { what: 'non-string env value', run: (journal, marker) => ManagedProcess.spawn(leaves(marker), { journal, env: { X: 1 as unknown as string } }), error: ValidationError, message: /env\.X must be a string/ },
  { what: 'ref with a path separator', run: (journal, marker) => ManagedProcess.spawn(leaves(marker), { journal, ref: 'a/b' }), error: ValidationError, message: /Invalid ref "a\/b"/ },
  { what: 'ref ..', run: (journal, marker) => ManagedProcess.spawn(leaves(marker), { journal, ref: '..' }), error: ValidationError, message: /Invalid ref "\.\."/ },
  { what: 'ref with a leading dot', run: (journal, marker) => ManagedProcess.spawn(leaves(marker), { journal, ref: '.hidden' }), error: ValidationError, message: /not starting with '\.'/ },
  { what: 'empty ref', run: (journal, marker) => ManagedProcess.spawn(leaves(marker), { journal, ref: '' }), error: ValidationError, message: /Invalid ref ""/ },
  { what: 'name with a path separator', run: (journal, marker) => ManagedProcess.spawn(leaves(marker), { journal, name: '../escape' }), error: ValidationError, message: /Invalid name "\.\.\/escape"/ },
  { what: 'name with a backslash', run: (journal, marker) => ManagedProcess.spawn(leaves(marker), { journal, name: 'a\\b' }), error: ValidationError, message: /Invalid name/ },
  { what: 'name with a leading dot', run: (journal, marker) => runTask(leaves(marker), { journal, name: '.x' }), error: ValidationError, message: /Invalid name "\.x"/ },
  { what: 'impossible day 20260230', run: (journal, marker) => ManagedProcess.spawn(leaves(marker), { journal, day: '20260230' }), error: ValidationError, message: /Invalid day "20260230": expected a real date as YYYYMMDD/ },
  { what: 'day in the wrong shape', run: (journal, marker) => runTask(leaves(marker), { journal, day: '2026-02-03' }), error: ValidationError, message: /Invalid day/ },
  { what: 'negative task timeout', run: (journal, marker) => runTask(leaves(marker), { journal, timeout: -1 }), error: ValidationError, message: /timeout must be a finite number of milliseconds >= 0, got -1/ },
  { what: 'NaN task timeout', run: (journal, marker) => runTask(leaves(marker), { journal, timeout: Number.NaN }), error: ValidationError, message: /got NaN/ },
  { what: 'Infinity task timeout', run: (journal, marker) => runTask(leaves(marker), { journal, timeout: Infinity }), error: ValidationError, message: /got Infinity/ },
  { what: 'negative terminateTimeout', run: (journal, marker) => ManagedProcess.spawn(leaves(marker), { journal, terminateTimeout: -5 }), error: ValidationError, message: /terminateTimeout must be a finite number/ },
  { what: 'NaN drainTimeout', run: (journal, marker) => ManagedProcess.spawn(leaves(marker), { journal, drainTimeout: Number.NaN }), error: ValidationError, message: /drainTimeout must be a finite number/ },
];

for (const c of cases) {
  test(c.what, async () => {
    const { dir, journal, remove } = tempDir('bad-input');
    const marker = path.join(dir, 'spawned');
    const before = childrenOf().length;
    try {
      let caught: unknown;
      try {
        await c.run(journal, marker);
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof c.error, `expected ${c.error.name}, got ${String(caught)}`);
      assert.match((caught as Error).message, c.message);
      assert.not.ok(fs.existsSync(journal), 'the journal directory was created');
      assert.not.ok(fs.existsSync(marker), 'the command ran');
      assert.is(childrenOf().length, before, 'a process was spawned');
    } finally {
      remove();
    }
  });
}

test('a journal path that is a file: JournalError, nothing spawned', async () => {
  const { dir, journal, remove } = tempDir('bad-input');
  const marker = path.join(dir, 'spawned');
  fs.writeFileSync(journal, 'not a directory');
  try {
    let caught: unknown;
    try {
      await runTask(leaves(marker), { journal });
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof JournalError, `expected JournalError, got ${String(caught)}`);
    assert.match((caught as JournalError).message, /Cannot create the journal directory/);
    assert.ok((caught as JournalError).code === 'ENOTDIR' || (caught as JournalError).code === 'EEXIST', `code ${(caught as JournalError).code}`);
    assert.not.ok(fs.existsSync(marker), 'the command ran');
    assert.is(fs.readFileSync(journal, 'utf8'), 'not a directory');
  } finally {
    remove();
  }
});

test('wait() and terminate() refuse bad timeouts and leave the process alone', async () => {
  const { journal, remove } = tempDir('bad-input');
  const mp = await ManagedProcess.spawn(['sleep', '30'], { journal });
  try {
    for (const timeout of [-1, Number.NaN, Infinity, '5' as unknown as number]) {
      for (const call of [() => mp.wait({ timeout }), () => mp.terminate({ timeout })]) {
        const caught = await (async () => call())().then(() => undefined, (error: unknown) => error);
        assert.ok(caught instanceof ValidationError, `expected ValidationError for ${String(timeout)}, got ${String(caught)}`);
        assert.match((caught as Error).message, /timeout must be a finite number/);
      }
    }
    assert.ok(mp.isRunning());
  } finally {
    await mp.terminate({ timeout: 1000 });
    remove();
  }
});

test.run();
