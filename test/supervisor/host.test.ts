/**
 * A Supervisor in its host: it keeps the host alive while started, a stop
 * signal stops its services in reverse dependency order before the host
 * exits, and a host that stopped it exits by itself.
 */
import { spawn } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fixture, tempJournal, until } from '../helpers.js';

const test = suite('Supervisor in its host');

function host(env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture('host_runs_supervisor.ts'), tempJournal()], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => out.push(...chunk.split('\n').filter(Boolean)));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  // A safety net against a hung host, not a timing assertion.
  const limit = setTimeout(() => child.kill('SIGKILL'), 60_000);
  void exited.then(() => clearTimeout(limit));
  return { child, out, stderr: () => err, exited };
}

test('SIGTERM to a host running a started Supervisor stops api, then db, then the host exits of the signal', async () => {
  const h = host();
  await until(() => h.out.includes('up'), 'both services up');
  let exitedEarly = false;
  void h.exited.then(() => (exitedEarly = true));
  // Nothing else holds the host: a started Supervisor keeps it alive.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.not.ok(exitedEarly, `the host stayed alive: ${h.stderr()}`);
  h.child.kill('SIGTERM');
  const { signal } = await h.exited;
  assert.is(signal, 'SIGTERM', h.stderr());
  assert.equal(
    h.out.filter((line) => /signalled|ended/.test(line)),
    ['api signalled', 'api ended 0', 'db signalled', 'db ended 0'],
  );
});

test('a host that stops its Supervisor exits by itself', async () => {
  const h = host({ HOST_STOP: '1' });
  const { code } = await h.exited;
  assert.is(code, 0, h.stderr());
  assert.ok(h.out.includes('stopped'));
  assert.equal(
    h.out.filter((line) => /signalled|ended/.test(line)),
    ['api signalled', 'api ended 0', 'db signalled', 'db ended 0'],
  );
});

test.run();
