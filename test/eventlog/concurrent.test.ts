import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readEvents } from '../../src/index.js';
import { fixture, tempJournal } from '../helpers.js';
import { eventsFile } from './helpers.js';

const COUNT = 10_000;

test('two runtimes (separate Node processes) append 10,000 records each at once: every line parses, none lost, each in order', async () => {
  const journal = tempJournal();
  const go = path.join(path.dirname(journal), 'go');
  const runtimes = ['a', 'b'].map((tag) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture('appends_event_records.ts'), journal, String(COUNT), tag, go], { stdio: ['ignore', 'inherit', 'inherit'] });
    return { tag, child, exited: once(child, 'exit') as Promise<[number | null]> };
  });
  fs.writeFileSync(go, '');
  for (const { exited } of runtimes) assert.equal((await exited)[0], 0);

  const lines = fs.readFileSync(eventsFile(journal), 'utf8').split('\n');
  assert.is(lines.pop(), '', 'the file ends with a newline');
  assert.is(lines.length, 2 * COUNT);
  for (const line of lines) JSON.parse(line);
  const { records, skipped } = await readEvents({ journal });
  assert.is(skipped, 0);
  for (const { tag, child } of runtimes) {
    const own = records.filter((record) => record.host?.pid === child.pid);
    assert.is(own.length, COUNT, `runtime ${tag}`);
    assert.equal(
      own.map((record) => Number((record as { reason: string }).reason.split(' ')[1])),
      Array.from({ length: COUNT }, (_, i) => i + 1),
    );
    assert.equal(own.map((record) => record.seq), Array.from({ length: COUNT }, (_, i) => i + 1));
  }
  // Interleaved, not one after the other: the test raced them.
  const firstB = records.findIndex((record) => record.host?.pid === runtimes[1]!.child.pid);
  const lastA = records.findLastIndex((record) => record.host?.pid === runtimes[0]!.child.pid);
  if (firstB > lastA) console.log('  (the two runtimes did not overlap this time)');
});

test.run();
