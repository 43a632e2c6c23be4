import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JournalError } from '../../src/index.js';
import { DailyLog } from '../../src/journal/daily-log.js';
import { tempJournal } from '../helpers.js';

const mode = (p: string) => fs.statSync(p).mode & 0o777;
const at = (iso: string) => Date.parse(iso);

test('opens <journal>/<day>/health/<ref>_<name>.log with both relative symlinks, 0700 dirs and a 0600 file', () => {
  const journal = tempJournal();
  const now = at('2026-11-26T12:00:00');
  const log = new DailyLog({ journal, ref: '17', name: 'observer', now: () => now });
  log.write('hello\n');
  log.close();
  assert.is(log.path, path.join(journal, '20261126', 'health', '17_observer.log'));
  assert.is(fs.readFileSync(log.path, 'utf8'), 'hello\n');
  assert.is(fs.readlinkSync(path.join(journal, '20261126', 'health', 'observer.log')), '17_observer.log');
  assert.is(fs.readlinkSync(path.join(journal, 'health', 'observer.log')), '../20261126/health/17_observer.log');
  assert.is(fs.readFileSync(path.join(journal, 'health', 'observer.log'), 'utf8'), 'hello\n');
  for (const dir of [journal, path.join(journal, 'health'), path.join(journal, '20261126'), path.join(journal, '20261126', 'health')]) {
    assert.is(mode(dir), 0o700, dir);
  }
  assert.is(mode(log.path), 0o600);
});

test('rolls to the new day: new file, both symlinks repointed; a pinned log never moves', () => {
  const journal = tempJournal();
  let now = at('2026-11-26T23:59:59');
  const log = new DailyLog({ journal, ref: '1', name: 'w', now: () => now });
  const pinned = new DailyLog({ journal, ref: '2', name: 'p', day: '20200101', now: () => now });
  log.write('before\n');
  now = at('2026-11-27T00:00:00');
  assert.ok(log.isDue(now));
  assert.not.ok(pinned.isDue(now));
  assert.equal(log.roll(now), { kind: 'rolled', path: path.join(journal, '20261127', 'health', '1_w.log') });
  log.write('after\n');
  assert.is(pinned.roll(now), undefined);
  assert.is(fs.readFileSync(path.join(journal, '20261126', 'health', '1_w.log'), 'utf8'), 'before\n');
  assert.is(fs.readFileSync(path.join(journal, 'health', 'w.log'), 'utf8'), 'after\n');
  assert.is(fs.readlinkSync(path.join(journal, 'health', 'w.log')), '../20261127/health/1_w.log');
  assert.ok(pinned.path.includes('20200101'));
  log.close();
  pinned.close();
});

test('a log file deleted or renamed by someone else is reopened at its path before the next write', () => {
  const journal = tempJournal();
  const log = new DailyLog({ journal, ref: '3', name: 'w', now: () => Date.now() });
  log.write('one\n');
  fs.renameSync(log.path, log.path + '.old');
  assert.equal(log.write('two\n'), { kind: 'opened', path: log.path });
  fs.unlinkSync(log.path);
  log.write('three\n');
  log.close();
  assert.is(fs.readFileSync(log.path + '.old', 'utf8'), 'one\n');
  assert.is(fs.readFileSync(log.path, 'utf8'), 'three\n');
});

test('a journal that cannot be created is a JournalError naming the path', () => {
  const dir = path.dirname(tempJournal());
  const file = path.join(dir, 'not-a-dir');
  fs.writeFileSync(file, '');
  assert.throws(
    () => new DailyLog({ journal: file, ref: '1', name: 'w', now: () => Date.now() }),
    (error: unknown) => error instanceof JournalError && error.message.includes(file) && error.code === 'ENOTDIR',
  );
});

test('a write that fails (disk full: a 16 KiB tmpfs) is a JournalError with the code', () => {
  const journal = tempJournal();
  fs.mkdirSync(journal, { mode: 0o700 });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k,mode=0700', 'tmpfs', journal], { stdio: 'ignore' });
  } catch {
    console.log('  (mount -t tmpfs refused here: the fault suite covers a full disk where it can)');
    return;
  }
  try {
    const log = new DailyLog({ journal, ref: '9', name: 'full', now: () => Date.now() });
    const block = 'x'.repeat(4095) + '\n';
    assert.throws(
      () => {
        for (let i = 0; i < 64; i++) log.write(block);
      },
      (error: unknown) => error instanceof JournalError && error.code === 'ENOSPC' && error.message.includes(log.path),
    );
    log.close();
  } finally {
    execFileSync('umount', [journal]);
  }
});

test('a symlink planted at the log path (here to /dev/full) is refused with ELOOP, never opened through', () => {
  const journal = tempJournal();
  const now = Date.now();
  const probe = new DailyLog({ journal, ref: '9', name: 'full', now: () => now });
  probe.close();
  fs.rmSync(probe.path);
  fs.symlinkSync('/dev/full', probe.path);
  assert.throws(
    () => new DailyLog({ journal, ref: '9', name: 'full', now: () => now }),
    (error: unknown) => error instanceof JournalError && error.code === 'ELOOP' && error.message.includes(probe.path) && /symlink/.test(error.message),
  );
  assert.ok(fs.lstatSync(probe.path).isSymbolicLink(), 'the planted link is left as it was');
});

test("rolling into a day whose directory is a symlink: a JournalError (ELOOP), nothing made where it points; the old day's file is kept", () => {
  const journal = tempJournal();
  let now = at('2026-11-26T23:59:59');
  const log = new DailyLog({ journal, ref: '1', name: 'w', now: () => now });
  log.write('before\n');
  const elsewhere = path.dirname(tempJournal());
  fs.symlinkSync(elsewhere, path.join(journal, '20261127'));
  now = at('2026-11-27T00:00:01');
  assert.throws(() => log.roll(now), (error: unknown) => error instanceof JournalError && error.code === 'ELOOP' && error.path === path.join(journal, '20261127'));
  assert.equal(fs.readdirSync(elsewhere), [], 'nothing was made where the link points');
  assert.is(fs.readFileSync(path.join(journal, '20261126', 'health', '1_w.log'), 'utf8'), 'before\n');
  log.close();
});

test.run();
