import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cgroupBase, containment } from '../../src/host/containment.js';
import { spareCgroupDir } from '../../src/host/spare-cgroup.js';
import { createBus, ManagedProcess, runTask } from '../../src/index.js';
import { fixture, tempJournal, until } from '../helpers.js';

const test = suite('spare cgroup: the next child\'s cgroup is made ahead, empty, and never outlives its host');

const cgroupOf = (pid: number) => /^0::(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1];
const membersOf = (dir: string) => fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);

test('after a spawn an empty cgroup waits; the next child runs in it, alone, and another is made', async () => {
  if (containment() !== 'cgroup') return console.log('  (no cgroups here)');
  const journal = tempJournal();
  await runTask(['true'], { journal, bus: createBus(), callosum: false });
  const spare = await until(() => spareCgroupDir(), 'a spare cgroup');
  assert.is(path.dirname(spare), cgroupBase());
  assert.equal(membersOf(spare), [], 'nothing runs in the spare');
  const mp = await ManagedProcess.spawn(['sleep', '30'], { journal, bus: createBus(), callosum: false });
  try {
    assert.is(path.basename(cgroupOf(mp.pid!)!), path.basename(spare), 'the child runs in the cgroup made ahead');
    assert.equal(membersOf(spare), [mp.pid!], 'and alone');
    const next = await until(() => spareCgroupDir(), 'the next spare');
    assert.is.not(next, spare);
    assert.equal(membersOf(next), []);
  } finally {
    await mp.terminate({ timeout: 1000 });
  }
  await until(() => !fs.existsSync(spare), 'the child\'s cgroup removed after it');
});

test('a spare not taken for 5 s is let go: its cgroup removed and its cgroup.procs closed', async () => {
  if (containment() !== 'cgroup') return console.log('  (no cgroups here)');
  await runTask(['true'], { journal: tempJournal(), bus: createBus(), callosum: false });
  const spare = await until(() => spareCgroupDir(), 'a spare cgroup');
  const target = (fd: string) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return ''; // The listing's own descriptor, closed by now.
    }
  };
  const openOnSpare = () => fs.readdirSync('/proc/self/fd').filter((fd) => target(fd).startsWith(`${spare}/`));
  assert.is(openOnSpare().length, 1, 'its cgroup.procs is held open while it waits');
  await until(() => !fs.existsSync(spare), 'the idle spare removed', 8_000);
  assert.is(spareCgroupDir(), undefined);
  assert.equal(openOnSpare(), [], 'and its descriptor closed');
});

test('a host that exits on its own leaves no cgroup behind, spare included', async () => {
  if (containment() !== 'cgroup') return console.log('  (no cgroups here)');
  const host = spawn(process.execPath, ['--import', 'tsx', fixture('runs_one_task_and_exits.ts'), tempJournal()], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [code] = (await once(host, 'exit')) as [number];
  assert.is(code, 0);
  const dir = path.join(path.dirname(cgroupBase()!), `brainstem-${host.pid}`);
  await until(() => !fs.existsSync(dir), `${dir} removed`);
});

test.run();
