import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { DateTime } from 'luxon';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, ManagedProcess, project, readEvents, Supervisor, sweepOrphans, type EventRecord } from '../../src/index.js';
import { cgroupBase, containment } from '../../src/host/containment.js';
import { dayOf } from '../../src/journal/day.js';
import { fixture, logTexts, tempJournal, until } from '../helpers.js';
import { flushed, forge, runningRecord, startTimeOf } from './helpers.js';

const test = suite('sweepOrphans: what a dead runtime left behind is ended, nothing else is touched');

const started: number[] = [];
test.after(() => {
  for (const pid of started) {
    try {
      // Each leads its own group (setsid, or a brainstem child): end the group, grandchildren too.
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already ended, as it should be.
    }
  }
});

/** Gone, or left a zombie: either way no longer running. */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A `sleep` that is nobody's child here: its own session and group, reparented to init. `prefix` runs it as someone else. */
function detachedSleep(prefix = '', script = 'sleep 300'): number {
  const out = execFileSync('sh', ['-c', `${prefix} setsid sh -c '${script}' >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' });
  const pid = Number(out.trim());
  started.push(pid);
  return pid;
}

/** The identity of a runtime that is gone: a pid that exited (should it be reused, the start time still differs). */
function deadHost(): { pid: number; start: number } {
  const pid = spawnSync('true').pid!;
  return { pid, start: 1 };
}

let refs = 0;
const ref = () => `forged-${++refs}`;

/**
 * Runs `script` under a brainstem host (test/fixtures/host.ts, leading its own group as a terminal's job
 * does), then kills the host's whole group and its watchdog with SIGKILL, the watchdog stopped first so
 * neither can react to the other's death. Resolves with the child's pid and the grandchild's, both left running.
 */
async function orphanedByHostKill(journal: string, script: string) {
  const host = spawn(process.execPath, ['--import', 'tsx', fixture('host.ts'), journal, fixture(script)], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const exited = once(host, 'exit');
  const [first] = (await once(readline.createInterface({ input: host.stdout! }), 'line')) as [string];
  const { pid, logPath } = JSON.parse(first) as { pid: number; logPath: string };
  const grandchild = Number(/grandchild (\d+)/.exec(await until(() => logTexts(logPath).find((line) => line.includes('grandchild')), 'the grandchild line'))![1]);
  started.push(pid, grandchild);
  const watchdog = await until(() => watchdogOf(host.pid!), 'the host to start its watchdog');
  await until(async () => (await readEvents({ journal })).records.some((record) => record.type === 'transition' && record.to === 'running'), 'the running record');
  process.kill(watchdog, 'SIGSTOP');
  process.kill(-host.pid!, 'SIGKILL');
  await exited;
  process.kill(watchdog, 'SIGKILL');
  await until(() => !running(watchdog), 'the watchdog to die');
  assert.ok(running(pid) && running(grandchild), 'nothing ended the child and grandchild: they are orphans');
  return { pid, grandchild, hostPid: host.pid! };
}

test('host and watchdog SIGKILLed together: the child and its grandchild are ended and the log shows it', async () => {
  const journal = tempJournal();
  const { pid, grandchild } = await orphanedByHostKill(journal, 'grandchild.sh');

  const swept = await sweepOrphans({ journal, grace: 3000 });
  const { records } = await readEvents({ journal });
  const runningRecord = records.find((record) => record.type === 'transition' && record.to === 'running') as EventRecord & { ref: string; name: string };
  assert.equal(swept, [{ ref: runningRecord.ref, name: runningRecord.name, pid, pgid: pid }]);
  assert.not.ok(running(pid), 'the child ended');
  assert.not.ok(running(grandchild), 'the grandchild ended');

  const sweptRecord = records.at(-1) as EventRecord & { to: string; pid: number };
  assert.is(sweptRecord.type, 'transition');
  assert.is(sweptRecord.to, 'killed');
  assert.is(sweptRecord.swept, true);
  assert.is(sweptRecord.pid, pid);
  assert.is(sweptRecord.host?.pid, process.pid);
  assert.is(project(records).get(runningRecord.ref)?.state, 'killed');
  assert.equal(await sweepOrphans({ journal }), [], 'a second sweep finds nothing left');
});

test("with cgroups, a grandchild that left the group with setsid is ended too, and the dead runtime's cgroup removed", async () => {
  if (containment() !== 'cgroup') {
    console.log('  (no cgroups here: a setsid grandchild escapes process groups, as SPEC 12 says)');
    return;
  }
  const journal = tempJournal();
  const { pid, grandchild, hostPid } = await orphanedByHostKill(journal, 'leaves_setsid_grandchild.sh');
  const cgroupLine = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  assert.match(cgroupLine, new RegExp(`brainstem-${hostPid}/`), 'the child runs in the cgroup its runtime made');
  assert.equal((await sweepOrphans({ journal, grace: 3000 })).map((each) => each.pid), [pid]);
  assert.not.ok(running(pid));
  assert.not.ok(running(grandchild), 'the setsid grandchild ended with its cgroup');
  const base = path.join(path.dirname(cgroupBase()!), `brainstem-${hostPid}`);
  assert.not.ok(fs.existsSync(base), `${base} removed`);
});

/** The watchdog shell the host started (its argv names it), found in /proc. */
function watchdogOf(hostPid: number): number | undefined {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === hostPid && fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('brainstem-watchdog')) return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

test('a forged record naming a live unrelated process with a different start time: untouched (the true start time would be swept)', async () => {
  const journal = tempJournal();
  const victim = detachedSleep();
  const start = startTimeOf(victim);
  forge(journal, [runningRecord({ ref: ref(), pid: victim, pidStart: start + 1, host: deadHost() })]);
  assert.equal(await sweepOrphans({ journal, grace: 1000 }), []);
  assert.ok(running(victim));
  // The same record with the true start time: the check above is what spared it.
  const real = ref();
  forge(journal, [runningRecord({ ref: real, pid: victim, pidStart: start, host: deadHost() })]);
  assert.equal(await sweepOrphans({ journal, grace: 1000 }), [{ ref: real, name: 'forged', pid: victim, pgid: victim }]);
  assert.not.ok(running(victim));
});

test('a process owned by nobody: untouched, even recorded with its true start time', async () => {
  const journal = tempJournal();
  const victim = detachedSleep('setpriv --reuid=nobody --regid=nogroup --clear-groups');
  await until(() => running(victim) && fs.statSync(`/proc/${victim}`).uid !== 0, 'the sleep to run as nobody');
  forge(journal, [runningRecord({ ref: ref(), pid: victim, pidStart: startTimeOf(victim), host: deadHost() })]);
  assert.equal(await sweepOrphans({ journal, grace: 1000 }), []);
  assert.ok(running(victim));
});

test('a record without host, and one whose runtime is alive: untouched', async () => {
  const journal = tempJournal();
  const victim = detachedSleep();
  const liveHost = detachedSleep();
  forge(journal, [
    runningRecord({ ref: ref(), pid: victim, pidStart: startTimeOf(victim) }),
    runningRecord({ ref: ref(), pid: victim, pidStart: startTimeOf(victim), host: { pid: liveHost, start: startTimeOf(liveHost) } }),
  ]);
  assert.equal(await sweepOrphans({ journal, grace: 1000 }), []);
  assert.ok(running(victim));
});

test("its own runtime's children: untouched, also when a forged record says their runtime is dead", async () => {
  const journal = tempJournal();
  const bus = createBus();
  const mp = await ManagedProcess.spawn(['sleep', '300'], { journal, bus });
  try {
    await flushed();
    forge(journal, [runningRecord({ ref: ref(), pid: mp.pid!, pidStart: startTimeOf(mp.pid!), host: deadHost() })]);
    assert.equal(await sweepOrphans({ journal, grace: 1000 }), []);
    assert.is(mp.state, 'running');
  } finally {
    await mp.terminate({ timeout: 1000 });
  }
});

test('an orphan that ignores SIGTERM is SIGKILLed after the grace, and recorded so', async () => {
  const journal = tempJournal();
  const victim = detachedSleep('', "trap \"\" TERM; sleep 300 & wait; wait");
  const name = ref();
  forge(journal, [runningRecord({ ref: name, pid: victim, pidStart: startTimeOf(victim), host: deadHost() })]);
  const swept = await sweepOrphans({ journal, grace: 300 });
  assert.equal(swept.map((each) => each.ref), [name]);
  assert.not.ok(running(victim));
  const last = (await readEvents({ journal })).records.at(-1) as EventRecord & { exitCode: number; signal: string };
  assert.equal([last.exitCode, last.signal, last.swept], [-9, 'SIGKILL', true]);
});

test("yesterday's log is swept too; an ended record is not", async () => {
  const journal = tempJournal();
  const yesterday = dayOf(DateTime.now().minus({ days: 1 }).toMillis());
  const leftOver = detachedSleep();
  const ended = detachedSleep();
  const host = deadHost();
  const endedRef = ref();
  forge(journal, [runningRecord({ ref: 'from-yesterday', pid: leftOver, pidStart: startTimeOf(leftOver), host })], yesterday);
  forge(journal, [
    runningRecord({ ref: endedRef, pid: ended, pidStart: startTimeOf(ended), host }),
    { ...runningRecord({ ref: endedRef, pid: ended, pidStart: startTimeOf(ended), host }), from: 'running', to: 'exited', exitCode: 0 },
  ]);
  assert.equal((await sweepOrphans({ journal, grace: 1000 })).map((each) => each.ref), ['from-yesterday']);
  assert.not.ok(running(leftOver));
  assert.ok(running(ended));
});

test('a Supervisor sweeps its journal on start(), before its services run; with sweep: false it does not', async () => {
  const journal = tempJournal();
  const kept = detachedSleep();
  const host = deadHost();
  forge(journal, [runningRecord({ ref: 'left-by-a-dead-runtime', pid: kept, pidStart: startTimeOf(kept), host })]);
  const unswept = new Supervisor({ journal, bus: createBus(), callosum: false, sweep: false }).add('idle', ['sleep', '300']);
  await unswept.start();
  await unswept.stop();
  assert.ok(running(kept), 'sweep: false leaves it');

  const sup = new Supervisor({ journal, bus: createBus(), callosum: false }).add('idle', ['sleep', '300']);
  try {
    await sup.start();
    assert.not.ok(running(kept), 'swept by start()');
    const swept = (await readEvents({ journal })).records.filter((record) => record.swept);
    assert.equal(swept.map((record) => (record as { ref: string }).ref), ['left-by-a-dead-runtime']);
    assert.is(sup.status()[0]!.state, 'up', 'its own service untouched');
  } finally {
    await sup.stop();
  }
});

test('a bad grace is a ValidationError; a journal without logs sweeps nothing', async () => {
  assert.equal(await sweepOrphans({ journal: tempJournal() }), []);
  try {
    await sweepOrphans({ journal: tempJournal(), grace: -1 });
    assert.unreachable('a negative grace was accepted');
  } catch (error) {
    assert.is((error as Error).name, 'ValidationError');
  }
});

test.run();
