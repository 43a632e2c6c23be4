import fs from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readEvents, runTask } from '../../src/index.js';
import { eventsFile, flushed } from '../eventlog/helpers.js';
import { tempJournal } from '../helpers.js';
import { runBin, startBin, stopBin } from './bin.js';

const test = suite('cli: brainstem events');

const parse = (stdout: string) => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string; name?: string; to?: string });

test("prints the day's records as JSON lines, the same readEvents gives; --type filters; a torn line is counted on stderr", async () => {
  const journal = tempJournal();
  await runTask(['sh', '-c', 'echo hello'], { journal, name: 'greeter', callosum: false });
  await flushed();
  fs.appendFileSync(eventsFile(journal), '{"type":"transition","ref":"torn');
  const all = await runBin(['events', '--journal', journal]);
  assert.is(all.code, 0);
  assert.equal(parse(all.stdout), JSON.parse(JSON.stringify((await readEvents({ journal })).records)));
  assert.match(all.stderr, /skipped 1 line that/);
  const transitions = await runBin(['events', '--type', 'transition', '--journal', journal]);
  assert.equal(parse(transitions.stdout).map((record) => record.to), ['spawning', 'running', 'exited']);
  const none = await runBin(['events', '--day', '20200101', '--journal', journal]);
  assert.equal([none.code, none.stdout], [0, '']);
  const bad = await runBin(['events', '--day', '2020', '--journal', journal]);
  assert.is(bad.code, 2);
});

test('--follow prints the existing records, then new ones as they are written, until Ctrl-C', async () => {
  const journal = tempJournal();
  await runTask(['true'], { journal, name: 'earlier', callosum: false });
  await flushed();
  const bin = startBin(['events', '--follow', '--type', 'transition', '--journal', journal]);
  try {
    await bin.waitFor('stdout', /"name":"earlier".*"to":"exited"/);
    await runTask(['true'], { journal, name: 'later', callosum: false });
    await bin.waitFor('stdout', /"name":"later".*"to":"exited"/);
    bin.child.kill('SIGINT');
    const result = await bin.done;
    assert.is(result.code, 0);
    assert.equal(parse(result.stdout).map((record) => `${record.name}:${record.to}`), ['earlier:spawning', 'earlier:running', 'earlier:exited', 'later:spawning', 'later:running', 'later:exited']);
  } finally {
    await stopBin(bin);
  }
});

test('control characters in a record, which JSON leaves raw (DEL, C1), are escaped too; the line still parses', async () => {
  const journal = tempJournal();
  fs.mkdirSync(eventsFile(journal).replace(/events\.jsonl$/, ''), { recursive: true });
  fs.writeFileSync(eventsFile(journal), JSON.stringify({ type: 'rejected', source: 'x', reason: 'a\u009b2Jb\u007f', seq: 1, at: 1 }) + '\n');
  const result = await runBin(['events', '--journal', journal]);
  assert.not.ok(/[\u007f-\u009f]/.test(result.stdout));
  assert.is((parse(result.stdout)[0] as unknown as { reason: string }).reason, 'a\u009b2Jb\u007f');
});

test.run();
