import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatSummary, runSoak } from './soak.js';

const test = suite('soak (20 s): every byte every child printed is in the journal, every exit as the child chose it, on Callosum too');

test('random text, binary, line lengths, pauses and kills, `run | head`, listener stalls, watchdog kills: mismatches 0, fds back to where they were', async () => {
  const summary = await runSoak({ durationMs: 20_000, concurrency: 6 });
  console.log(`  ${formatSummary(summary)}`);
  assert.equal(summary.mismatches.slice(0, 5), [], `kept in ${summary.keptDir}`);
  assert.ok(summary.children >= 10, `only ${summary.children} children ran`);
  assert.is(summary.exitsChecked, summary.children);
  assert.ok(summary.bytesCompared > 0);
  assert.ok(summary.terminated > 0, 'some children were terminated');
  assert.ok(summary.adversary.cliRuns > 0, 'some ran through `brainstem run` with stdout closed early');
  assert.ok(summary.adversary.stalls > 0, 'the listener was stopped');
  assert.ok(summary.adversary.watchdogKills > 0, 'the watchdog was killed');
  assert.is(summary.adversary.exitsHeard, summary.exitsChecked, 'every exit reached the live listener');
  assert.ok(summary.fds.end <= summary.fds.start, `fds ${summary.fds.start} → ${summary.fds.end}`);
  // A bound, not a measurement: the heap settles over the first minutes; `npm run soak` shows the trend.
  assert.ok(summary.rssMB.end - summary.rssMB.start < 300, `rss ${summary.rssMB.start} → ${summary.rssMB.end} MB`);
});

test.run();
