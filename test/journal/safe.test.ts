import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JournalError } from '../../src/index.js';
import { checkJournal, ensureDir, openJournalFile, openNoFollow, readJournalFile, readJournalLink } from '../../src/journal/safe.js';
import { scratchDir, tempJournal } from '../helpers.js';

const refused = (code: string, ...parts: string[]) => (error: unknown) =>
  error instanceof JournalError && error.code === code && parts.every((part) => error.message.includes(part));

/** A journal with one day's log and its two links, as a run leaves it. */
function madeJournal(): string {
  const journal = tempJournal();
  checkJournal(journal);
  const health = path.join(journal, '20260314', 'health');
  ensureDir(path.join(journal, '20260314'), journal);
  ensureDir(health, journal);
  ensureDir(path.join(journal, 'health'), journal);
  fs.writeFileSync(path.join(health, '1_w.log'), 'a line\n', { mode: 0o600 });
  fs.symlinkSync('1_w.log', path.join(health, 'w.log'));
  fs.symlinkSync('../20260314/health/1_w.log', path.join(journal, 'health', 'w.log'));
  return journal;
}

test('checkJournal creates a missing journal (and its parents) 0700, and accepts it again', () => {
  const journal = path.join(scratchDir(), 'a', 'b', 'journal');
  checkJournal(journal);
  assert.is(fs.statSync(journal).mode & 0o777, 0o700);
  checkJournal(journal);
  assert.throws(() => checkJournal(path.join(journal, 'missing'), { create: false }), refused('ENOENT', 'missing'));
});

test('checkJournal refuses a file (ENOTDIR) and a group-writable journal (EPERM, "chmod 700 <path>")', () => {
  const dir = scratchDir();
  const file = path.join(dir, 'file');
  fs.writeFileSync(file, '');
  assert.throws(() => checkJournal(file), refused('ENOTDIR', file, 'not a directory'));
  const open = path.join(dir, 'open');
  fs.mkdirSync(open);
  fs.chmodSync(open, 0o770);
  assert.throws(() => checkJournal(open), refused('EPERM', `chmod 700 ${open}`, 'writable by group (mode 0770)'));
  fs.chmodSync(open, 0o755);
  checkJournal(open);
});

test('checkJournal accepts a symlink of our own to a journal in order, and refuses one to an open directory', () => {
  const dir = scratchDir();
  const real = path.join(dir, 'real');
  fs.mkdirSync(real, { mode: 0o700 });
  const link = path.join(dir, 'journal');
  fs.symlinkSync(real, link);
  checkJournal(link);
  fs.chmodSync(real, 0o777);
  assert.throws(() => checkJournal(link), refused('EPERM', 'chmod 700'));
});

test('ensureDir makes a missing directory and its missing parent inside the journal, 0700; refuses a symlink or a file there', () => {
  const journal = tempJournal();
  checkJournal(journal);
  const health = path.join(journal, '20260314', 'health');
  ensureDir(health, journal);
  assert.is(fs.statSync(health).mode & 0o777, 0o700);
  assert.is(fs.statSync(path.dirname(health)).mode & 0o777, 0o700);
  const elsewhere = scratchDir();
  fs.symlinkSync(elsewhere, path.join(journal, 'health'));
  assert.throws(() => ensureDir(path.join(journal, 'health'), journal), refused('ELOOP', path.join(journal, 'health'), 'symlink', 'rm '));
  fs.writeFileSync(path.join(journal, '20260315'), '');
  assert.throws(() => ensureDir(path.join(journal, '20260315'), journal), refused('ENOTDIR'));
});

test('openNoFollow opens a regular file 0600 and refuses a symlink in the last component (ELOOP), the target untouched', () => {
  const dir = scratchDir();
  const target = path.join(dir, 'target');
  fs.writeFileSync(target, 'kept\n');
  const fd = openNoFollow(path.join(dir, 'new.log'), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND);
  fs.closeSync(fd);
  assert.is(fs.statSync(path.join(dir, 'new.log')).mode & 0o777, 0o600);
  fs.symlinkSync(target, path.join(dir, 'link.log'));
  assert.throws(
    () => openNoFollow(path.join(dir, 'link.log'), fs.constants.O_WRONLY | fs.constants.O_APPEND),
    refused('ELOOP', path.join(dir, 'link.log'), 'not followed'),
  );
  assert.is(fs.readFileSync(target, 'utf8'), 'kept\n');
});

test('readJournalFile reads a regular file below the journal', () => {
  const journal = madeJournal();
  assert.is(readJournalFile(journal, '20260314/health/1_w.log').toString(), 'a line\n');
  assert.is(readJournalLink(journal, 'health/w.log'), path.join('20260314', 'health', '1_w.log'));
  assert.is(readJournalLink(journal, '20260314/health/w.log'), path.join('20260314', 'health', '1_w.log'));
  assert.is(readJournalLink(journal, 'health/nobody.log'), undefined);
});

test("readJournalFile refuses '..', absolute paths, symlinks in any component, links out, and what is not a regular file", () => {
  const journal = madeJournal();
  const outside = path.join(path.dirname(journal), 'outside');
  fs.writeFileSync(outside, 'secret\n');
  for (const relative of ['../outside', '20260314/../../outside', outside, '', '.', 'a\0b']) {
    assert.throws(() => readJournalFile(journal, relative), refused('EINVAL'), JSON.stringify(relative));
  }
  // The journal's own links are symlinks too: read through readJournalLink, never by path.
  assert.throws(() => readJournalFile(journal, 'health/w.log'), refused('ELOOP'));
  fs.symlinkSync(path.dirname(outside), path.join(journal, 'out'));
  assert.throws(() => readJournalFile(journal, 'out/outside'), refused('ELOOP', path.join(journal, 'out')));
  // A symlinked directory on the way to a link is refused too, not looked through.
  fs.symlinkSync(path.join(journal, 'health'), path.join(journal, 'health2'));
  assert.throws(() => readJournalLink(journal, 'health2/w.log'), refused('ELOOP', path.join(journal, 'health2')));
  assert.is(readJournalLink(path.join(journal, 'missing'), 'health/w.log'), undefined, 'no journal: no link');
  fs.symlinkSync(outside, path.join(journal, 'health', 'planted.log'));
  assert.throws(() => readJournalLink(journal, 'health/planted.log'), refused('EINVAL', 'outside the journal'));
  assert.throws(() => readJournalLink(journal, '20260314/health/1_w.log'), refused('EINVAL', 'not a symlink'));
  assert.throws(() => openJournalFile(journal, '20260314'), refused('EINVAL', 'not a regular file'));
  // A FIFO would block a plain open until someone writes: refused without waiting.
  execFileSync('mkfifo', [path.join(journal, '20260314', 'health', '2_w.log')]);
  assert.throws(() => readJournalFile(journal, '20260314/health/2_w.log'), refused('EINVAL', 'not a regular file'));
});

test.run();
