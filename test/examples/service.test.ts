import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'node:fs';
import path from 'node:path';
import { alive, logTexts, tempJournal, until } from '../helpers.js';
import { printedPids, runExample } from './run-example.js';

const test = suite('examples: service');

test('restarts a failing worker with exponential backoff, then stops it once it serves', async () => {
  const journal = tempJournal();
  const result = await runExample('service', journal);
  assert.is(result.code, 0, result.stderr);
  const out = result.stdout;
  const delays = [...out.matchAll(/restart (\d) in (\d+) ms/g)].map((match) => [Number(match[1]), Number(match[2])]);
  assert.equal(delays, [
    [1, 100],
    [2, 200],
    [3, 400],
  ]);
  assert.is([...out.matchAll(/started flaky/g)].length, 4);
  const day = fs.readdirSync(journal).find((entry) => /^\d{8}$/.test(entry))!;
  const runs = fs.readdirSync(path.join(journal, day, 'health')).filter((file) => file.endsWith('_flaky.log'));
  assert.is(runs.length, 4, 'one log per run');
  const current = logTexts(path.join(journal, 'health', 'flaky.log'));
  assert.equal(current.slice(0, 2), ['start #4', 'serving']);
  for (const pid of printedPids(out)) await until(() => !alive(pid), `pid ${pid} to be gone`);
});

test.run();
