import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, runTask } from '../../src/index.js';
import { logTexts, tempJournal } from '../helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The spares of runtime `pid` in the journal's day directories. */
function spares(journal: string, pid = process.pid): string[] {
  const found: string[] = [];
  for (const day of fs.readdirSync(journal).filter((entry) => /^\d{8}$/.test(entry))) {
    const dir = path.join(journal, day, 'health');
    for (const entry of fs.readdirSync(dir)) if (entry.startsWith(`.spare-${pid}-`)) found.push(path.join(dir, entry));
  }
  return found;
}

test('a fresh log is the empty file made ahead: one name, 0600, only its own lines; the next one waits empty and private', async () => {
  const journal = tempJournal();
  const bus = createBus();
  const first = await runTask(['sh', '-c', 'echo one'], { journal, bus, name: 'spare' });
  const second = await runTask(['sh', '-c', 'echo two'], { journal, bus, name: 'spare' });
  for (const [result, text] of [[first, 'one'], [second, 'two']] as const) {
    const info = fs.lstatSync(result.logPath);
    assert.ok(info.isFile());
    assert.is(info.nlink, 1, 'the spare\'s name was removed once the log took it');
    assert.is(info.mode & 0o777, 0o600);
    assert.equal(logTexts(result.logPath), [text]);
  }
  assert.is(fs.readlinkSync(path.join(path.dirname(second.logPath), 'spare.log')), path.basename(second.logPath));
  const waiting = spares(journal);
  assert.is(waiting.length, 1, 'one spare per journal');
  const info = fs.lstatSync(waiting[0]!);
  assert.ok(info.isFile() && info.size === 0 && (info.mode & 0o777) === 0o600 && info.uid === process.getuid!());
});

test('the spare is let go after 5 s without a new log: its name and its descriptor', async () => {
  const journal = tempJournal();
  await runTask(['true'], { journal, bus: createBus(), name: 'idle' });
  assert.is(spares(journal).length, 1);
  await new Promise((resolve) => setTimeout(resolve, 5_600));
  assert.equal(spares(journal), []);
  const held = fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`).includes('.spare-');
    } catch {
      return false;
    }
  });
  assert.equal(held, [], 'no descriptor open on a spare');
});

test('a runtime that exits leaves no spare behind', () => {
  const journal = tempJournal();
  const script = `import { runTask, createBus } from ${JSON.stringify(path.join(ROOT, 'src/index.ts'))};
await runTask(['true'], { journal: ${JSON.stringify(journal)}, bus: createBus(), name: 'exits', eventLog: false });
process.stdout.write(String(process.pid));`;
  const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  const pid = Number(output.trim().split('\n').at(-1));
  assert.ok(pid > 0, `the host printed its pid: ${JSON.stringify(output)}`);
  assert.equal(spares(journal, pid), []);
  assert.is(fs.readdirSync(path.join(journal, fs.readdirSync(journal).find((entry) => /^\d{8}$/.test(entry))!, 'health')).filter((entry) => entry.endsWith('_exits.log')).length, 1);
});

test.run();
