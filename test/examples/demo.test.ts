import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'node:fs';
import path from 'node:path';
import { alive, logTexts, tempJournal, until } from '../helpers.js';
import { printedPids, runExample } from './run-example.js';

const test = suite('examples: npm run demo');

test('runs real children, prints their transitions live and where their logs are, and ends by itself', async () => {
  const journal = tempJournal();
  const result = await runExample('demo', journal, ['npm', 'run', '--silent', 'demo']);
  assert.is(result.code, 0, result.stderr);
  const out = result.stdout;
  assert.match(out, `journal: ${journal}`);
  assert.match(out, /ticker +running → exited +pid \d+ +exit code 0/);
  assert.match(out, /grumpy +running → exited +pid \d+ +exit code 3/);
  assert.match(out, /family +terminating → exited +pid \d+ +exit code -15 \(SIGTERM\)/);
  assert.match(out, /stubborn +terminating → killed +pid \d+ +exit code -9 \(SIGKILL\)/);
  assert.match(out, /missing +spawning → failed/);
  assert.match(out, /ticker +\| tick 3/);
  assert.match(out, /grumpy +! no input files/);
  // Where the logs are, and that they hold what was printed.
  for (const name of ['ticker', 'grumpy', 'family', 'stubborn']) assert.match(out, new RegExp(`${name} .*${journal}/\\d{8}/health/\\d+_${name}\\.log`));
  assert.equal(logTexts(path.join(journal, 'health', 'ticker.log')), ['tick 1', 'tick 2', 'tick 3']);
  assert.equal(logTexts(path.join(journal, 'health', 'grumpy.log'), 'stderr'), ['no input files']);
  assert.ok(fs.existsSync(path.join(journal, 'health', 'stubborn.log')));
  for (const pid of printedPids(out)) await until(() => !alive(pid), `pid ${pid} to be gone`);
});

test.run();
