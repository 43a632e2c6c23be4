import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, ManagedProcess, scanHealthLogs } from '../../src/index.js';
import { splitLogName } from '../../src/inspect/journal-scan.js';
import { tempJournal } from '../helpers.js';

test("reads today's health logs: who ran, where its log is, and its last lines", async () => {
  const journal = tempJournal();
  const bus = createBus();
  const first = await ManagedProcess.spawn(['sh', '-c', 'echo one; echo two >&2'], { bus, journal, name: 'first', ref: 'r_1', callosum: false });
  await first.wait();
  const second = await ManagedProcess.spawn(['sh', '-c', 'i=0; while [ $i -lt 500 ]; do i=$((i+1)); echo "line $i"; done'], { bus, journal, name: 'second', callosum: false });
  await second.wait();

  const found = await scanHealthLogs(journal, { tailLines: 50 });
  assert.equal(found.map((p) => [p.ref, p.name]).sort(), [[second.ref, 'second'], ['r_1', 'first']].sort());
  const one = found.find((p) => p.name === 'first')!;
  assert.is(one.logPath, first.logPath);
  assert.equal(one.tail.map((l) => [l.stream, l.line]), [['stdout', 'one'], ['stderr', 'two']]);
  assert.match(one.tail[0]!.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
  const two = found.find((p) => p.name === 'second')!;
  assert.is(two.tail.length, 50);
  assert.is(two.tail.at(-1)!.line, 'line 500');
  assert.ok(fs.existsSync(path.join(path.dirname(two.logPath), 'second.log')), 'the symlink is there and was not read as a process');
});

test('a day with no logs is an empty list', async () => {
  assert.equal(await scanHealthLogs(tempJournal()), []);
});

test('log names split at the name a symlink vouches for, else at the first underscore', () => {
  assert.equal(splitLogName('r_1_first.log', new Set(['first'])), { ref: 'r_1', name: 'first' });
  assert.equal(splitLogName('1795_my_tool.log', new Set(['my_tool'])), { ref: '1795', name: 'my_tool' });
  assert.equal(splitLogName('1795_tool.log'), { ref: '1795', name: 'tool' });
  assert.is(splitLogName('noref.log'), undefined);
});

test.run();
