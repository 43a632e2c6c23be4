import { spawn } from 'node:child_process';
import { once } from 'node:events';
import readline from 'node:readline';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alive, fixture, logTexts, tempJournal, until } from '../helpers.js';

/** Starts test/fixtures/host.ts running `cmd` under brainstem; resolves with the host and what it printed. */
async function startHost(cmd: string[], env: Record<string, string> = {}) {
  const journal = tempJournal();
  const host = spawn(process.execPath, ['--import', 'tsx', fixture('host.ts'), journal, ...cmd], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  // Listen for the exit at once: the host may be gone before the test looks.
  const exited = once(host, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const lines = readline.createInterface({ input: host.stdout! });
  const [first] = (await once(lines, 'line')) as [string];
  const { pid, logPath } = JSON.parse(first) as { pid: number; logPath: string };
  const pids = await until(() => logTexts(logPath)[0], 'the child to report its grandchild');
  const grandchild = Number(/grandchild (\d+)/.exec(pids)![1]);
  return { host, exited, pid, grandchild, logPath };
}

test('a SIGKILLed host leaves no child and no grandchild behind', async () => {
  const { host, exited, pid, grandchild, logPath } = await startHost([fixture('grandchild.sh')]);
  assert.ok(alive(pid) && alive(grandchild));
  host.kill('SIGKILL');
  await exited;
  await until(() => !alive(pid) && !alive(grandchild), 'the orphans to be ended by the watchdog', 15_000);
  // What was logged before the kill is intact.
  assert.match(logTexts(logPath)[0]!, /^child \d+ grandchild \d+$/);
});

test('a host that exits with children running terminates them first', async () => {
  const { exited, pid, grandchild } = await startHost([fixture('grandchild.sh')], { HOST_EXIT: '1' });
  const [code] = await exited;
  assert.is(code, 0);
  await until(() => !alive(pid) && !alive(grandchild), 'the children to end', 15_000);
});

test.run();
