import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { containment } from '../../src/host/containment.js';
import { alive, fixture, logTexts, tempJournal, until } from '../helpers.js';

const test = suite('the watchdog: its death is noticed and a new one takes over every live group');

type Answer = { pid?: number; logPath?: string; watchdog: number | null };

/** test/fixtures/host_spawns_on_request.ts, asked one line at a time. */
function startHost(env: Record<string, string> = {}) {
  const host = spawn(process.execPath, ['--import', 'tsx', fixture('host_spawns_on_request.ts'), tempJournal()], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => host.once('exit', (_code, signal) => resolve(signal)));
  const answers = readline.createInterface({ input: host.stdout! })[Symbol.asyncIterator]();
  const ask = async (line: string): Promise<Answer> => {
    host.stdin!.write(`${line}\n`);
    const next = await answers.next();
    if (next.done) throw new Error('the host went away');
    return JSON.parse(next.value) as Answer;
  };
  return { host, exited, ask };
}

/** Spawns the setsid fixture in the host; resolves with the child's and the grandchild's pids. */
async function spawnFamily(ask: (line: string) => Promise<Answer>) {
  const answer = await ask(JSON.stringify([fixture('leaves_setsid_grandchild.sh')]));
  const text = await until(() => {
    const logged = logTexts(answer.logPath!).join('\n');
    return /grandchild \d+/.test(logged) && /(^|\n)child \d+/.test(logged) && logged;
  }, 'both pids logged');
  return { answer, child: Number(/(?:^|\n)child (\d+)/.exec(text)![1]), grandchild: Number(/grandchild (\d+)/.exec(text)![1]) };
}

for (const mode of ['cgroup', 'process-group'] as const) {
  test(`${mode}: kill -9 the watchdog, spawn more, kill -9 the host: every child ends${mode === 'cgroup' ? ', setsid grandchildren too' : ''}`, async () => {
    if (mode === 'cgroup' && containment() !== 'cgroup') return console.log('  (no cgroups here)');
    const { host, exited, ask } = startHost(mode === 'process-group' ? { BRAINSTEM_CONTAINMENT: 'process-group' } : {});
    const families: { child: number; grandchild: number }[] = [];
    try {
      const first = await spawnFamily(ask);
      families.push(first);
      const watchdog = first.answer.watchdog!;
      assert.ok(watchdog > 0 && alive(watchdog), 'a watchdog runs');
      process.kill(watchdog, 'SIGKILL');
      // The host notices and starts a new watchdog, handing it the group it already runs.
      const { watchdog: next } = await until(async () => {
        const answer = await ask('watchdog');
        return answer.watchdog !== null && answer.watchdog !== watchdog && answer;
      }, 'a new watchdog');
      assert.ok(alive(next!));
      families.push(await spawnFamily(ask));
      families.push(await spawnFamily(ask));
      host.kill('SIGKILL');
      assert.is(await exited, 'SIGKILL');
      for (const { child } of families) await until(() => !alive(child), `child ${child} to be ended by the new watchdog`, 20_000);
      if (mode === 'cgroup') {
        for (const { grandchild } of families) await until(() => !alive(grandchild), `setsid grandchild ${grandchild} to end`, 20_000);
      }
      await until(() => !alive(next!), 'the watchdog to finish');
    } finally {
      if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
      // A setsid grandchild escapes process groups by design: do not leave it on the machine.
      for (const { grandchild } of families) if (alive(grandchild)) process.kill(grandchild, 'SIGKILL');
    }
  });
}

test.run();
