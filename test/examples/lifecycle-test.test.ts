import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { tempJournal } from '../helpers.js';
import { runExample } from './run-example.js';

const test = suite('examples: lifecycle-test');

test('the scripted lifecycle template passes: timeout, SIGTERM escalated to SIGKILL, midnight roll', async () => {
  const result = await runExample('lifecycle-test', tempJournal());
  assert.is(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /^ok 1 - wait\(\{ timeout \}\) runs out/m);
  assert.match(result.stdout, /^ok 2 - a process that ignores SIGTERM is killed with SIGKILL/m);
  assert.match(result.stdout, /^ok 3 - an unpinned log rolls to the new day at local midnight/m);
  assert.match(result.stdout, /^# pass 3$/m);
  assert.match(result.stdout, /^# fail 0$/m);
});

test.run();
