/**
 * What runtimes killed outright left in the health directories (src/journal/leftovers.ts):
 * their spare log file and a link not yet renamed into place are removed by the next
 * runtime that writes there; a live pid's names, another user's, and anything that is not
 * what such a runtime makes, are left alone.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, runTask } from '../../src/index.js';
import { dayOf } from '../../src/journal/day.js';
import { tempJournal, until } from '../helpers.js';

/** A pid no process has now: one that has just ended. */
async function deadPid(): Promise<number> {
  const gone = spawn('true');
  await once(gone, 'exit');
  return gone.pid!;
}

test("a killed runtime's spare and unrenamed links go; a live pid's names, another user's, and what is not its kind of file stay", async () => {
  const journal = tempJournal();
  const dayDir = path.join(journal, dayOf(Date.now()), 'health');
  const topDir = path.join(journal, 'health');
  fs.mkdirSync(dayDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(topDir, { mode: 0o700 });
  const dead = await deadPid();
  const log = path.join(dayDir, `1_other_${'x'}.log`);
  fs.writeFileSync(log, 'a line of another run\n', { mode: 0o600 });

  // What a runtime SIGKILLed at the wrong moment leaves.
  const gone = [
    path.join(dayDir, `.spare-${dead}-1`),
    path.join(dayDir, `.spare-${dead}-7`),
    path.join(dayDir, `worker.log.tmp${dead}_3`),
    path.join(topDir, `worker.log.tmp${dead}_4`),
  ];
  fs.writeFileSync(gone[0]!, '', { mode: 0o600 });
  // A spare it had already taken as its log's second name: only the spare's name goes, the log stays.
  fs.linkSync(log, gone[1]!);
  fs.symlinkSync('1_worker.log', gone[2]!);
  fs.symlinkSync(`../${path.basename(path.dirname(dayDir))}/health/1_worker.log`, gone[3]!);

  // A live pid's names (pid 1 always runs), and a dead pid's names that are not what a runtime makes there.
  const kept = [
    path.join(dayDir, '.spare-1-1'),
    path.join(dayDir, 'worker.log.tmp1_1'),
    path.join(dayDir, `regular.log.tmp${dead}_5`),
    path.join(dayDir, `.spare-${dead}-9`),
  ];
  fs.writeFileSync(kept[0]!, '', { mode: 0o600 });
  fs.symlinkSync('1_worker.log', kept[1]!);
  fs.writeFileSync(kept[2]!, 'a regular file is never taken for a link\n', { mode: 0o600 });
  fs.symlinkSync(log, kept[3]!);
  // A dead pid's spare that is another user's (as root here, `nobody`'s): never removed.
  if (process.getuid?.() === 0) {
    const foreign = path.join(dayDir, `.spare-${dead}-11`);
    fs.writeFileSync(foreign, '', { mode: 0o600 });
    const nobody = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
    fs.chownSync(foreign, nobody, nobody);
    kept.push(foreign);
  }

  const result = await runTask(['true'], { journal, bus: createBus(), callosum: false, name: 'sweeper' });
  assert.is(result.exitCode, 0);
  await until(() => gone.every((file) => !fs.existsSync(file) && fs.lstatSync(file, { throwIfNoEntry: false }) === undefined), 'the leftovers removed');
  for (const file of kept) assert.ok(fs.lstatSync(file, { throwIfNoEntry: false }), `${path.basename(file)} kept`);
  assert.is(fs.readFileSync(log, 'utf8'), 'a line of another run\n', 'the log behind a taken spare is untouched');
  assert.is(fs.statSync(log).nlink, 1, 'and keeps only its own name');
});

test.run();
