import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cgroupBase, containment } from '../../src/host/containment.js';
import { createBus, ManagedProcess, runTask } from '../../src/index.js';
import { alive, fixture, logTexts, tempJournal, until } from '../helpers.js';

const test = suite('containment: a child and everything it starts end together');

/** The cgroup v2 path of `pid` (the `0::` line), or undefined once it is gone. */
function cgroupOf(pid: number): string | undefined {
  try {
    return /^0::(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** True where this process could make a cgroup v2 of its own: a writable cgroup2 mount holding its cgroup. */
function cgroupsWritable(): boolean {
  const own = cgroupOf(process.pid);
  const mount = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .find((line) => line.split(' - ')[1]?.startsWith('cgroup2 '));
  if (own === undefined || !mount) return false;
  const dir = `${mount.split(' ')[4]}${own === '/' ? '' : own}/brainstem-probe-${process.pid}`;
  try {
    fs.mkdirSync(dir);
    fs.rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

function pidsIn(text: string): { child: number; grandchild: number } | undefined {
  const child = /child (\d+)/.exec(text.replace(/grandchild \d+/, ''));
  const grandchild = /grandchild (\d+)/.exec(text);
  return child && grandchild ? { child: Number(child[1]), grandchild: Number(grandchild[1]) } : undefined;
}

/** Spawns leaves_setsid_grandchild.sh and waits until both pids are logged. */
async function spawnWithSetsidGrandchild(journal: string, opts: { terminateTimeout?: number } = {}) {
  const bus = createBus();
  const managed = await ManagedProcess.spawn([fixture('leaves_setsid_grandchild.sh')], { journal, bus, callosum: false, ...opts });
  const pids = await until(() => pidsIn(logTexts(managed.logPath).join('\n')), 'both pids logged');
  return { managed, ...pids };
}

test('containment() is cgroup where the runtime can write cgroup v2, and each child runs in a cgroup of its own below the host', async () => {
  const expected = cgroupsWritable() ? 'cgroup' : 'process-group';
  assert.is(containment(), expected);
  if (expected !== 'cgroup') return;
  const journal = tempJournal();
  const { managed, child, grandchild } = await spawnWithSetsidGrandchild(journal);
  try {
    const host = cgroupOf(process.pid)!;
    const own = cgroupOf(child)!;
    assert.match(own, new RegExp(`^${host === '/' ? '' : host}/brainstem-${process.pid}/child-\\d+$`));
    // The grandchild left the process group and the session, not the cgroup; nothing else is in it.
    assert.is(cgroupOf(grandchild), own);
    const members = fs.readFileSync(`${cgroupBase()}/${path.basename(own)}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
    assert.equal(members.sort(), [child, grandchild].sort());
    assert.is.not(fs.readFileSync(`/proc/${grandchild}/stat`, 'utf8').split(') ')[1]!.split(' ')[3], String(child), 'the grandchild leads a session of its own');
    // The host itself stepped back home after the spawn.
    assert.is(cgroupOf(process.pid), host);
  } finally {
    await managed.terminate({ timeout: 1000 });
  }
});

test('terminate ends a grandchild that called setsid, and the child\'s cgroup is removed', async () => {
  if (containment() !== 'cgroup') return console.log('  (process groups here: a setsid grandchild escapes them by design)');
  const { managed, child, grandchild } = await spawnWithSetsidGrandchild(tempJournal());
  const dir = `${cgroupBase()}/${path.basename(cgroupOf(child)!)}`;
  assert.ok(fs.existsSync(dir));
  assert.is(await managed.terminate({ timeout: 1000 }), -15);
  await until(() => !alive(child) && !alive(grandchild), 'the child and its setsid grandchild to end');
  await until(() => !fs.existsSync(dir), 'the cgroup to be removed');
});

test('terminate signals each member once: the group and a setsid grandchild each see one SIGTERM', async () => {
  if (containment() !== 'cgroup') return console.log('  (process groups here: a setsid grandchild escapes them by design)');
  const script = `setsid sh -c 'trap "echo grandchild TERM" TERM; echo grandchild ready; while :; do sleep 0.05; done' & trap "echo child TERM" TERM; echo child ready; while :; do sleep 0.05; done`;
  const mp = await ManagedProcess.spawn(['sh', '-c', script], { journal: tempJournal(), bus: createBus(), callosum: false });
  await until(() => logTexts(mp.logPath).filter((line) => line.endsWith('ready')).length === 2, 'both to trap SIGTERM');
  // Neither ends on SIGTERM: the terminate timeout ends them, after every SIGTERM has been handled.
  assert.is(await mp.terminate({ timeout: 1500 }), -9);
  const texts = logTexts(mp.logPath);
  assert.is(texts.filter((line) => line === 'child TERM').length, 1, texts.join('\n'));
  assert.is(texts.filter((line) => line === 'grandchild TERM').length, 1, texts.join('\n'));
});

test('a child that exits on its own: its setsid grandchild ends with it', async () => {
  if (containment() !== 'cgroup') return console.log('  (process groups here: a setsid grandchild escapes them by design)');
  const journal = tempJournal();
  const result = await runTask(['sh', '-c', `setsid sh -c 'echo "grandchild $$"; exec sleep 1000 >/dev/null 2>&1' </dev/null & echo "child $$"; sleep 0.2`], {
    journal,
    bus: createBus(),
    callosum: false,
  });
  assert.is(result.exitCode, 0);
  const { grandchild } = pidsIn(logTexts(result.logPath).join('\n'))!;
  await until(() => !alive(grandchild), 'the setsid grandchild to end');
});

test('a host SIGKILLed: the watchdog ends the child and its setsid grandchild and removes the cgroups', async () => {
  if (containment() !== 'cgroup') return console.log('  (process groups here: a setsid grandchild escapes them by design)');
  const journal = tempJournal();
  const host = spawn(process.execPath, ['--import', 'tsx', fixture('host.ts'), journal, fixture('leaves_setsid_grandchild.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(host, 'exit');
  const [first] = (await once(readline.createInterface({ input: host.stdout! }), 'line')) as [string];
  const { logPath } = JSON.parse(first) as { logPath: string };
  const { child, grandchild } = await until(() => pidsIn(logTexts(logPath).join('\n')), 'both pids logged');
  const base = cgroupOf(child)!.replace(/\/[^/]+$/, '');
  assert.match(base, new RegExp(`/brainstem-${host.pid}$`));
  host.kill('SIGKILL');
  await exited;
  await until(() => !alive(child) && !alive(grandchild), 'the watchdog to end both', 20_000);
  const mount = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((line) => line.split(' - ')[1]?.startsWith('cgroup2 '))!.split(' ')[4]!;
  await until(() => !fs.existsSync(`${mount}${base}`), 'the host\'s cgroup directory to be removed', 20_000);
});

test('empty cgroups a dead host left behind are removed by the next host that makes cgroups', async () => {
  if (containment() !== 'cgroup') return console.log('  (no cgroups here)');
  // A pid that is free now: a process that has ended.
  const gone = spawn('true');
  await once(gone, 'exit');
  const stale = `${path.dirname(cgroupBase()!)}/brainstem-${gone.pid}`;
  fs.mkdirSync(`${stale}/1796000000000`, { recursive: true });
  const host = spawn(process.execPath, ['--import', 'tsx', fixture('host.ts'), tempJournal(), 'true'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(host, 'exit');
  try {
    await until(() => !fs.existsSync(stale), 'the stale cgroups to be removed');
  } finally {
    host.kill('SIGTERM');
    await exited;
    for (const dir of [`${stale}/1796000000000`, stale]) if (fs.existsSync(dir)) fs.rmdirSync(dir);
  }
});

test('BRAINSTEM_CONTAINMENT=process-group: children lead process groups in the host\'s own cgroup', async () => {
  const journal = tempJournal();
  const host = spawn(process.execPath, ['--import', 'tsx', fixture('host.ts'), journal, 'sleep', '1000'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BRAINSTEM_CONTAINMENT: 'process-group' },
  });
  const exited = once(host, 'exit');
  try {
    const [first] = (await once(readline.createInterface({ input: host.stdout! }), 'line')) as [string];
    const { pid } = JSON.parse(first) as { pid: number };
    assert.is(cgroupOf(pid), cgroupOf(host.pid!));
    assert.is(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2], String(pid), 'the child leads its process group');
  } finally {
    host.kill('SIGTERM');
    await exited;
  }
});

test('endGroupOnExit: a leftover holding stdout gets SIGTERM when the main process exits, so the exit comes without a 10-minute drain bound', async () => {
  const bus = createBus();
  const managed = await ManagedProcess.spawn([fixture('leaves_grandchild_holding_stdout.sh')], {
    journal: tempJournal(),
    bus,
    callosum: false,
    drainTimeout: 600_000,
    endGroupOnExit: true,
  });
  assert.is(await managed.wait(), 0);
  assert.is(managed.state, 'exited');
  const grandchild = Number(/grandchild (\d+)/.exec(logTexts(managed.logPath).join('\n'))![1]);
  await until(() => !alive(grandchild), 'the leftover to end');
});

test('endGroupOnExit: a leftover that ignores SIGTERM and holds stdout gets SIGKILL after terminateTimeout', async () => {
  const bus = createBus();
  const managed = await ManagedProcess.spawn([fixture('leaves_stubborn_grandchild.sh')], {
    journal: tempJournal(),
    bus,
    callosum: false,
    drainTimeout: 600_000,
    terminateTimeout: 300,
    endGroupOnExit: true,
  });
  assert.is(await managed.wait(), 0, 'the main process exited 0 on its own');
  const grandchild = Number(/grandchild (\d+)/.exec(logTexts(managed.logPath).join('\n'))![1]);
  await until(() => !alive(grandchild), 'the leftover to end');
});

test('without endGroupOnExit a leftover holding stdout is waited for up to the drain bound, then ended', async () => {
  const managed = await ManagedProcess.spawn([fixture('leaves_grandchild_holding_stdout.sh')], { journal: tempJournal(), bus: createBus(), callosum: false, drainTimeout: 200 });
  assert.is(await managed.wait(), 0);
  const grandchild = Number(/grandchild (\d+)/.exec(logTexts(managed.logPath).join('\n'))![1]);
  await until(() => !alive(grandchild), 'the leftover to end at the end of the drain');
});

test.run();
