import { execFile } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fixture, tempJournal } from '../helpers.js';

const test = suite('out of file descriptors: a typed error with code EMFILE, never a crash of the host');

type Tally = { ok: number; failures: Record<string, number>; messages?: string[] };

/** Runs test/fixtures/host_fills_fd_table.ts under `ulimit -n 200`: 300 tasks at once, then 5 in a row. */
function fillUnderLimit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `ulimit -n 200 && exec "${process.execPath}" --import tsx "${fixture('host_fills_fd_table.ts')}" "${tempJournal()}"`;
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], { env: { ...process.env, ...env }, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

for (const mode of ['cgroup', 'process-group'] as const) {
  test(`${mode}: 300 runTask(['true']) at once under ulimit -n 200: each fails with EMFILE (SpawnError or JournalError) or succeeds; the host lives on`, async () => {
    const { code, stdout, stderr } = await fillUnderLimit(mode === 'process-group' ? { BRAINSTEM_CONTAINMENT: 'process-group' } : {});
    assert.is(code, 0, `the host crashed:\n${stderr}`);
    const { burst, after } = JSON.parse(stdout) as { burst: Tally; after: Tally };
    const failed = Object.values(burst.failures).reduce((sum, count) => sum + count, 0);
    assert.is(burst.ok + failed, 300, 'every task settled');
    assert.ok(failed > 0, 'the limit was reached (else this test proves nothing)');
    for (const kind of Object.keys(burst.failures)) assert.ok(['SpawnError EMFILE', 'JournalError EMFILE'].includes(kind), `an untyped failure: ${kind} (${burst.messages?.join('; ')})`);
    assert.match(burst.messages!.join('\n'), /EMFILE/);
    assert.equal(after, { ok: 5, failures: {} }, 'once the burst is over, tasks run again');
  });
}

for (const mode of ['cgroup', 'process-group'] as const) {
  test(`${mode}: with 1 to 8 descriptors free, each spawn runs or fails with a typed EMFILE, also inside Node's own spawn`, async () => {
    const script = `ulimit -n 100 && exec "${process.execPath}" --import tsx "${fixture('host_spawns_with_few_fds_left.ts')}" "${tempJournal()}"`;
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const env = { ...process.env, ...(mode === 'process-group' && { BRAINSTEM_CONTAINMENT: 'process-group' }) };
      execFile('bash', ['-c', script], { env }, (error, out, err) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout: out, stderr: err }));
    });
    assert.is(code, 0, `the host crashed:\n${stderr}`);
    const results = stdout.trim().split('\n').map((line) => (JSON.parse(line) as { result: string }).result);
    assert.is(results.length, 8);
    for (const result of results) assert.match(result, /^(ok|SpawnError EMFILE: |JournalError EMFILE: )/);
    assert.ok(results.some((result) => result.startsWith('SpawnError EMFILE')), 'some spawn ran out of descriptors');
    assert.is(results.at(-1), 'ok', 'with enough free, the spawn runs');
  });
}

test.run();
