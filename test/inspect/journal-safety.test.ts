/**
 * The inspector never serves a file outside the journal (SPEC 12): another
 * local user plants symlinks where the logs belong, and the page asks for
 * paths that leave the journal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, JournalError, ManagedProcess, scanHealthLogs, startInspector } from '../../src/index.js';
import { dayOf } from '../../src/journal/day.js';
import { scratchDir, tempJournal, until } from '../helpers.js';
import { get, on, openStream } from './helpers.js';

const NOBODY = 65534;
const SECRET = 'the other user secret';

/** A directory of `nobody`'s holding a 0600 log-shaped file of theirs. */
function othersFile(name = 'r1_victim.log'): { dir: string; file: string } {
  const dir = scratchDir('other');
  fs.chmodSync(dir, 0o700);
  const file = path.join(dir, name);
  fs.writeFileSync(file, `2026-01-01T00:00:00 [r1:stdout] ${SECRET}\n`, { mode: 0o600 });
  fs.chownSync(file, NOBODY, NOBODY);
  fs.chownSync(dir, NOBODY, NOBODY);
  return { dir, file };
}

const tailOf = (url: string, logPath: string) => get(`${on(url, 'log')}&path=${encodeURIComponent(logPath)}`);

test("a health log is served as its tail; the page's /log serves nothing else", async () => {
  const journal = tempJournal();
  const bus = createBus();
  const child = await ManagedProcess.spawn(['sh', '-c', 'echo one; echo two >&2'], { bus, journal, name: 'told', callosum: false });
  await child.wait();
  const inspector = await startInspector({ bus, journal });
  try {
    const reply = await tailOf(inspector.url, child.logPath);
    assert.is(reply.status, 200, reply.body);
    assert.equal(JSON.parse(reply.body).lines.map((l: { stream: string; line: string }) => [l.stream, l.line]), [['stdout', 'one'], ['stderr', 'two']]);
    const day = path.basename(path.dirname(path.dirname(child.logPath)));
    for (const outside of [
      '/etc/passwd',
      path.join(journal, '..', 'x_y.log'),
      path.join(journal, day, 'health', '..', '..', '..', '..', 'etc', 'passwd'),
      path.join(journal, day, 'health', 'events.jsonl'),
      path.join(journal, 'health', 'callosum.sock'),
      `${child.logPath}/..`,
      '',
    ]) {
      const refused = await tailOf(inspector.url, outside);
      assert.is(refused.status, 404, outside);
      assert.not.match(refused.body, /root:/);
    }
    // Without a journal there is no /log at all.
    const bare = await startInspector({ bus });
    assert.is((await tailOf(bare.url, child.logPath)).status, 404);
    await bare.close();
  } finally {
    await inspector.close();
  }
});

test("a health directory symlinked to another user's directory: their 0600 file is never served", async () => {
  const journal = tempJournal();
  const day = dayOf(Date.now());
  const { dir } = othersFile();
  fs.mkdirSync(path.join(journal, day), { recursive: true, mode: 0o700 });
  fs.chmodSync(journal, 0o700);
  fs.symlinkSync(dir, path.join(journal, day, 'health'));
  const planted = path.join(journal, day, 'health', 'r1_victim.log');
  assert.ok(fs.readFileSync(planted, 'utf8').includes(SECRET), 'root could read it: only the inspector stands in the way');

  const earlier = await scanHealthLogs(journal);
  assert.equal(earlier, [], 'the scan leaves it out');
  const inspector = await startInspector({ bus: createBus(), journal, earlier });
  const stream = await openStream(inspector.url);
  try {
    const reply = await tailOf(inspector.url, planted);
    assert.is(reply.status, 403);
    assert.match(reply.body, /symlink/);
    assert.not.match(reply.body, new RegExp(SECRET));
    await until(() => stream.messages.some((m) => m.event === 'hello'), 'the stream under way');
    assert.not.ok(stream.messages.some((m) => m.data.includes(SECRET)));
  } finally {
    stream.close();
    await inspector.close();
  }
});

test("a log file replaced by a symlink to another user's file is refused, not followed", async () => {
  const journal = tempJournal();
  const bus = createBus();
  const child = await ManagedProcess.spawn(['sh', '-c', 'echo mine'], { bus, journal, name: 'mine', callosum: false });
  await child.wait();
  const { file } = othersFile();
  fs.rmSync(child.logPath);
  fs.symlinkSync(file, child.logPath);
  const inspector = await startInspector({ bus, journal });
  try {
    const reply = await tailOf(inspector.url, child.logPath);
    assert.is(reply.status, 403);
    assert.not.match(reply.body, new RegExp(SECRET));
    assert.equal(await scanHealthLogs(journal), []);
  } finally {
    await inspector.close();
  }
});

test('a journal that belongs to another user is refused with a JournalError naming it', async () => {
  const journal = tempJournal();
  fs.mkdirSync(journal, { mode: 0o700 });
  fs.chownSync(journal, NOBODY, NOBODY);
  const error = await startInspector({ bus: createBus(), journal }).catch((e: unknown) => e);
  assert.instance(error, JournalError);
  assert.match(String((error as Error).message), new RegExp(journal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
});

test.run();
