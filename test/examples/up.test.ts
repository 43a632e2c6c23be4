import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import path from 'node:path';
import { logTexts, tempJournal } from '../helpers.js';
import { startBin } from '../cli/bin.js';
import { ROOT, runExample } from './run-example.js';

const test = suite('examples: brainstem up on examples/brainstem.json and examples/Procfile');

/** Output lines without their `HH:MM:SS ` time. */
const untimed = (stdout: string) => stdout.split('\n').filter((line) => /^\d\d:\d\d:\d\d /.test(line)).map((line) => line.slice(9));

test('npm run demo:up: observer ready before cortex starts, .env and own env, indexer restarted then given up, up ends by itself', async () => {
  const journal = tempJournal();
  const result = await runExample('up', journal, ['npm', 'run', '--silent', 'demo:up']);
  assert.is(result.code, 0, result.stderr);
  const lines = untimed(result.stdout);
  const at = (text: string) => {
    const index = lines.indexOf(text);
    assert.ok(index !== -1, `missing ${JSON.stringify(text)} in\n${result.stdout}`);
    return index;
  };
  at(`brainstem | 3 services from ${path.join(ROOT, 'examples/brainstem.json')} (and ${path.join(ROOT, 'examples/.env')}); journal ${journal}`);
  assert.ok(at('observer  | observer: watching') < at('brainstem | observer is up (ready)'));
  assert.ok(at('brainstem | observer is up (ready)') < at('cortex    | cortex: thinking in quiet mode'));
  at('observer  | observer: warming up (local-7b)');
  at('indexer   ! indexer: the model is not loaded');
  at('brainstem | indexer exited with code 1, restarting in 0.2 s (restart 1)');
  at('brainstem | indexer exited with code 1, restarting in 0.4 s (restart 2)');
  at('brainstem | indexer gave up after 2 restarts in 60 s (the last run exited with code 1)');
  at('brainstem | cortex exited with code 0; not restarted (restart: on-failure)');
  assert.is(lines.at(-1), 'brainstem | every service has ended; indexer gave up: exiting with 1');
  assert.match(result.stdout, /\(exit 1: indexer gave up, as examples\/brainstem.json means it to\)\n$/);
  assert.equal(logTexts(path.join(journal, 'health', 'cortex.log')), ['cortex: thinking in quiet mode', 'cortex: wrote the day summary']);
});

test('examples/Procfile runs until SIGINT, with the .env, and stops cleanly', async () => {
  const journal = tempJournal();
  const bin = startBin(['up', '--config', 'examples/Procfile', '--journal', journal]);
  await bin.waitFor('stdout', 'observer  | observing with local-7b');
  await bin.waitFor('stdout', 'cortex    | cortex ready (loud)');
  bin.child.kill('SIGINT');
  const result = await bin.done;
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, /brainstem \| every service stopped\n$/);
});

test.run();
