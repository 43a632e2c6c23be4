import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'node:fs';
import path from 'node:path';
import { alive, logTexts, tempJournal, until } from '../helpers.js';
import { printedPids, runExample } from './run-example.js';

const test = suite('examples: service');

test('a Supervisor restarts the flaky db on its schedule, starts api only once db is up, and stops api first', async () => {
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
  assert.ok(out.indexOf('db: starting -> up') < out.indexOf('api: waiting -> starting'), 'api started after db was up');
  assert.ok(out.indexOf('api: stopping -> stopped') < out.indexOf('db: up -> stopping'), 'api ended before db was signalled');
  assert.match(out, /db is up, pid \d+, 3 restart\(s\)/);
  const day = fs.readdirSync(journal).find((entry) => /^\d{8}$/.test(entry))!;
  const runs = fs.readdirSync(path.join(journal, day, 'health')).filter((file) => file.endsWith('_db.log'));
  assert.is(runs.length, 4, 'one log per run');
  const current = logTexts(path.join(journal, 'health', 'db.log'));
  assert.equal(current.slice(0, 2), ['start #4', 'accepting connections']);
  for (const pid of printedPids(out)) await until(() => !alive(pid), `pid ${pid} to be gone`);
});

test.run();
