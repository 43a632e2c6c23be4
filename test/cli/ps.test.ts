import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import readline from 'node:readline';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readEvents, runTask } from '../../src/index.js';
import { forge, runningRecord } from '../eventlog/helpers.js';
import { fixture, logTexts, tempJournal, until } from '../helpers.js';
import { runBin } from './bin.js';

const test = suite('cli: brainstem ps and brainstem sweep, from the event log');

const started: number[] = [];
test.after(() => {
  for (const pgid of started) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Ended, as it should be.
    }
  }
});

type Row = { ref: string; name: string; pid: number | null; state: string; exitCode: number | null; logPath: string; host: { pid: number; start: number } | null; hostAlive: boolean; status: string };

async function psJson(journal: string, ...flags: string[]): Promise<Row[]> {
  const result = await runBin(['ps', '--json', '--journal', journal, ...flags]);
  assert.is(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Row[];
}

/** A brainstem host (its own process group) running test/fixtures/grandchild.sh; resolves once the running record is written. */
async function startHost(journal: string) {
  const host = spawn(process.execPath, ['--import', 'tsx', fixture('host.ts'), journal, fixture('grandchild.sh')], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  started.push(host.pid!);
  const exited = once(host, 'exit');
  const [first] = (await once(readline.createInterface({ input: host.stdout! }), 'line')) as [string];
  const { pid, logPath } = JSON.parse(first) as { pid: number; logPath: string };
  started.push(pid);
  await until(() => logTexts(logPath)[0], 'the grandchild line');
  await until(async () => (await readEvents({ journal })).records.some((record) => record.type === 'transition' && record.to === 'running'), 'the running record');
  return { host, exited, pid };
}

/** Every pid whose parent is `ppid`. */
function childrenOf(ppid: number): number[] {
  return fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).filter((entry) => {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid;
    } catch {
      return false;
    }
  }).map(Number);
}

test('a live runtime\'s process, then the same process orphaned by kill -9 of host and watchdog, then swept', async () => {
  const journal = tempJournal();
  const { host, exited, pid } = await startHost(journal);

  const live = await psJson(journal);
  assert.is(live.length, 1);
  assert.equal([live[0]!.pid, live[0]!.state, live[0]!.status, live[0]!.host?.pid, live[0]!.hostAlive], [pid, 'running', 'running', host.pid, true]);
  assert.equal(Object.keys(live[0]!).slice(0, 6), ['ref', 'name', 'pid', 'state', 'exitCode', 'logPath'], "project's fields first");
  const table = await runBin(['ps', '--journal', journal]);
  assert.match(table.stdout, /^REF +NAME +PID +STATE +EXIT +HOST\n/);
  assert.match(table.stdout, new RegExp(`\\b${pid}\\s+running\\s+${host.pid} \\(alive\\)`));

  // The watchdog (the host's other child) stopped first, then the host's whole group killed: nothing is left to end the child.
  const watchdogs = childrenOf(host.pid!).filter((child) => child !== pid);
  for (const watchdog of watchdogs) process.kill(watchdog, 'SIGSTOP');
  process.kill(-host.pid!, 'SIGKILL');
  await exited;
  for (const watchdog of watchdogs) process.kill(watchdog, 'SIGKILL');

  const orphaned = await psJson(journal);
  assert.equal([orphaned[0]!.pid, orphaned[0]!.state, orphaned[0]!.status, orphaned[0]!.hostAlive], [pid, 'running', 'orphan', false]);
  assert.match((await runBin(['ps', '--journal', journal])).stdout, new RegExp(`\\b${pid}\\s+orphan\\s+${host.pid} \\(gone\\)`));

  const swept = await runBin(['sweep', '--grace', '2000', '--journal', journal]);
  assert.is(swept.code, 0, swept.stderr);
  assert.match(swept.stdout, new RegExp(`^ended grandchild\\.sh \\(ref ${orphaned[0]!.ref}, pid ${pid}, process group ${pid}\\)\\nswept 1 process group\\n$`));
  assert.equal(await psJson(journal), [], 'nothing running any more');
  const all = await psJson(journal, '--all');
  assert.equal([all[0]!.state, all[0]!.status, all[0]!.exitCode], ['killed', 'killed', -15]);
  assert.match((await runBin(['sweep', '--journal', journal])).stdout, /^nothing to sweep/);
});

test('--all adds ended processes and "lost" ones (recorded as running, gone); the default shows neither', async () => {
  const journal = tempJournal();
  await runTask(['true'], { journal, name: 'done-one', callosum: false });
  const gone = spawnSync('true').pid!;
  forge(journal, [runningRecord({ ref: 'vanished', pid: gone, pidStart: 1, host: { pid: gone, start: 1 } })]);
  assert.equal(await psJson(journal), []);
  const all = await psJson(journal, '--all');
  assert.equal(all.map((row) => [row.name, row.status]), [['done-one', 'exited'], ['forged', 'lost']]);
  const table = await runBin(['ps', '--all', '--journal', journal]);
  assert.match(table.stdout, /done-one .* exited /);
  assert.match(table.stdout, /forged .* lost /);
  const empty = await runBin(['ps', '--journal', journal]);
  assert.is(empty.code, 0);
  assert.is(empty.stdout, '');
  assert.match(empty.stderr, /no running processes/);
});

test('control characters in a forged record are shown escaped; a bad --day is a usage error', async () => {
  const journal = tempJournal();
  const victim = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  started.push(victim.pid!);
  forge(journal, [{ ...runningRecord({ ref: 'evil', pid: victim.pid!, pidStart: 1, host: { pid: process.pid, start: 1 } }), name: 'x\u001b[2Jy\u009b' }]);
  const table = await runBin(['ps', '--all', '--journal', journal]);
  assert.not.ok(/[\u001b\u009b]/.test(table.stdout), 'no raw escape reaches the terminal');
  assert.match(table.stdout, /x\\x1b\[2Jy\\x9b/);
  const bad = await runBin(['ps', '--day', 'yesterday', '--journal', journal]);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /Invalid day/);
});

test('ps, events and sweep: --help shows each usage with --journal (exit 0); an unknown flag or argument is a usage error (exit 2)', async () => {
  for (const name of ['ps', 'events', 'sweep']) {
    const help = await runBin([name, '--help']);
    assert.is(help.code, 0, `${name} --help`);
    assert.match(help.stdout, new RegExp(`^Usage: brainstem ${name}`));
    assert.match(help.stdout, /--journal DIR/);
    const flag = await runBin([name, '--no-such-flag']);
    assert.is(flag.code, 2, `${name} --no-such-flag`);
    assert.match(flag.stderr, new RegExp(`^brainstem ${name}: .*no-such-flag[\\s\\S]*Usage: brainstem ${name}`));
    const extra = await runBin([name, 'surplus']);
    assert.is(extra.code, 2, `${name} surplus`);
  }
  const listed = await runBin(['--help']);
  for (const name of ['ps', 'events', 'sweep']) assert.match(listed.stdout, new RegExp(`^  ${name} +\\S`, 'm'));
  const grace = await runBin(['sweep', '--grace', 'soon']);
  assert.is(grace.code, 2);
});

test.run();
