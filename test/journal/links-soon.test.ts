/**
 * The `<name>.log` links made on the threadpool (src/journal/links-soon.ts),
 * tried where they could go wrong: a burst of spawns of one name, a host that
 * exits the moment its child runs, and a regular file where a link belongs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, ManagedProcess, runTask, type LogEvent } from '../../src/index.js';
import { dayOf } from '../../src/journal/day.js';
import { tempJournal } from '../helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where both links of `name` point, and the temporary names left beside them. */
function links(journal: string, name: string) {
  const day = dayOf(Date.now());
  const dayDir = path.join(journal, day, 'health');
  const topDir = path.join(journal, 'health');
  const temps = [dayDir, topDir].flatMap((dir) => fs.readdirSync(dir).filter((entry) => entry.includes('.tmp')));
  return { day: fs.readlinkSync(path.join(dayDir, `${name}.log`)), top: fs.readlinkSync(path.join(topDir, `${name}.log`)), temps, dayName: day };
}

test('once a run has ended, both links point at its log; a burst of 40 spawns of one name ends on the newest', async () => {
  const journal = tempJournal();
  const bus = createBus();
  const first = await runTask(['true'], { journal, bus, name: 'burst' });
  let seen = links(journal, 'burst');
  assert.is(seen.day, path.basename(first.logPath));
  assert.is(seen.top, `../${seen.dayName}/health/${path.basename(first.logPath)}`);

  const spawned: ManagedProcess[] = [];
  for (let i = 0; i < 40; i++) spawned.push(await ManagedProcess.spawn(['true'], { journal, bus, name: 'burst', ref: `burst-${String(i).padStart(2, '0')}` }));
  await Promise.all(spawned.map((managed) => managed.wait()));
  seen = links(journal, 'burst');
  assert.is(seen.day, 'burst-39_burst.log', 'the newest run holds the day link');
  assert.is(seen.top, `../${seen.dayName}/health/burst-39_burst.log`, 'and the journal-wide one');
  assert.equal(seen.temps, [], 'no temporary link is left');
});

test('a host that exits as soon as its child runs still leaves both links in place, and no temporary name', () => {
  const journal = tempJournal();
  const script = `import { ManagedProcess, createBus } from ${JSON.stringify(path.join(ROOT, 'src/index.ts'))};
const managed = await ManagedProcess.spawn(['sleep', '5'], { journal: ${JSON.stringify(journal)}, bus: createBus(), name: 'quick', ref: 'quick-1', eventLog: false });
process.stdout.write(managed.logPath + '\\n');
process.exit(0);`;
  const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  const logPath = output.trim().split('\n').at(-1)!;
  const seen = links(journal, 'quick');
  assert.is(seen.day, path.basename(logPath));
  assert.is(seen.top, `../${seen.dayName}/health/${path.basename(logPath)}`);
  assert.equal(seen.temps, []);
});

test('a regular file where a link belongs is left alone and reported as a log error; the run still logs', async () => {
  const journal = tempJournal();
  const bus = createBus();
  // `--ref a --name b` makes a_b.log, which is where the links of a run named a_b go.
  await runTask(['sh', '-c', 'echo first'], { journal, bus, ref: 'a', name: 'b' });
  const errors: LogEvent[] = [];
  bus.on('log', (event) => event.kind === 'error' && errors.push(event));
  const result = await runTask(['sh', '-c', 'echo second'], { journal, bus, name: 'a_b' });
  const dayDir = path.dirname(result.logPath);
  const planted = fs.lstatSync(path.join(dayDir, 'a_b.log'));
  assert.ok(planted.isFile(), 'the other run\'s log is still a regular file');
  assert.match(fs.readFileSync(path.join(dayDir, 'a_b.log'), 'utf8'), /first/);
  assert.ok(errors.some((event) => event.path === path.join(dayDir, 'a_b.log') && /EEXIST/.test(event.error ?? '')), JSON.stringify(errors));
  assert.match(fs.readFileSync(result.logPath, 'utf8'), /second/);
});

test.run();
