import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import path from 'node:path';
import { logTexts, tempJournal } from '../helpers.js';
import { runExample } from './run-example.js';

const test = suite('examples: embed');

test('spawns workers, reacts to bus events, folds the history with project, and shuts down cleanly', async () => {
  const journal = tempJournal();
  const result = await runExample('embed', journal);
  assert.is(result.code, 0, result.stderr);
  const out = result.stdout;
  assert.match(out, /\[runtime\] task transcriber failed with exit code 2; its log: .*_transcriber\.log/);
  assert.match(out, '[runtime] observer is ready: starting the indexer');
  assert.ok(out.indexOf('observer is ready') < out.indexOf('shutting down'));
  assert.match(out, /observer +exited +exit -15 /);
  assert.match(out, /transcriber +exited +exit 2 /);
  assert.match(out, /indexer +exited +exit 0 /);
  assert.equal(logTexts(path.join(journal, 'health', 'indexer.log')), ['indexed a', 'indexed b', 'indexed c']);
  assert.equal(logTexts(path.join(journal, 'health', 'observer.log')), ['warming up', 'ready']);
});

test.run();
