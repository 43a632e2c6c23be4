/**
 * The one way brainstem opens anything in a journal, so that another local
 * user cannot steer it (SPEC 12): the journal and the directories brainstem
 * uses in it must be real directories (checked with lstat, never followed),
 * owned by the current user and not writable by group or others, as ssh and
 * tmux insist; files are opened with O_NOFOLLOW; the inspector reads only
 * regular files below the journal, through no symlink. Every refusal is a
 * `JournalError` whose message names the path and the fix, with a `code` to
 * branch on: `EPERM` (owner or mode), `ENOTDIR`, `ELOOP` (a symlink), `EINVAL`
 * (a path that leaves the journal), or the operating system's own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { JournalError } from '../errors.js';

const DIR_MODE = 0o700;
const { O_NOFOLLOW, O_RDONLY, O_NONBLOCK } = fs.constants;
/** -1 where the platform has no uids (Windows): the owner and mode checks are then skipped (no POSIX permissions to read). */
const ME = process.getuid?.() ?? -1;

export interface CheckJournalOptions {
  /** Create the journal (0700, missing parents too) when it does not exist; otherwise a missing journal is a `JournalError` with code `ENOENT`. @default true */
  create?: boolean;
}

/**
 * Refuses a journal another user could steer: `journal` must be a directory
 * owned by the current user and not writable by group or others (its parents
 * are not checked, as ssh does not check `~`'s). A symlink as the journal
 * itself is accepted only when the current user owns it and what it points at
 * passes the same checks. Creates the journal (0700) when it is missing,
 * unless `create: false`. One lstat when the journal is in order, so it is
 * cheap to call on every spawn; call it before writing to or serving a journal.
 * @throws JournalError naming the path and the fix; `code` `EPERM`, `ENOTDIR`, `ELOOP`, `ENOENT` or the system's.
 */
export function checkJournal(journal: string, options: CheckJournalOptions = {}): void {
  let info = lstat(journal, 'the journal');
  if (!info) {
    if (options.create === false) throw new JournalError(`Cannot use ${journal} as the journal: it does not exist (ENOENT)`, journal, 'ENOENT');
    try {
      fs.mkdirSync(journal, { recursive: true, mode: DIR_MODE });
    } catch (error) {
      throw JournalError.from('create the journal directory', journal, error);
    }
    info = lstat(journal, 'the journal');
    if (!info) throw new JournalError(`Cannot create the journal directory ${journal}: it vanished as it was made (ENOENT)`, journal, 'ENOENT');
  }
  if (info.isSymbolicLink()) {
    if (ME >= 0 && info.uid !== ME) {
      throw new JournalError(
        `Cannot use ${journal} as the journal: it is a symlink that belongs to uid ${info.uid}, not to you (uid ${ME}), and was not followed (ELOOP); use a journal of your own (--journal or JOURNAL_PATH)`,
        journal,
        'ELOOP',
      );
    }
    let target: fs.Stats;
    try {
      target = fs.statSync(journal);
    } catch (error) {
      throw JournalError.from('use the journal', journal, error);
    }
    return checkDirectory(journal, target, 'the journal');
  }
  checkDirectory(journal, info, 'the journal');
}

/**
 * Makes sure `dir`, a directory brainstem uses inside `journal` (`health`,
 * `<day>`, `<day>/health`), is a real directory that only the current user
 * can change: creates it (0700) when missing, never follows a symlink, and
 * refuses one owned by someone else or writable by group or others. Call
 * `checkJournal(journal)` first. One lstat when the directory is in order;
 * nothing is remembered between calls, since a directory found in order once
 * may be swapped for a symlink while its parent was briefly open to others.
 * @throws JournalError naming the path and the fix.
 */
export function ensureDir(dir: string, journal: string): void {
  let info = lstat(dir, 'a journal directory');
  if (!info) {
    try {
      fs.mkdirSync(dir, { mode: DIR_MODE });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOENT: a parent is missing too (the day's directory, or the journal deleted under us).
      const parent = path.dirname(dir);
      if (code === 'ENOENT' && isBelow(parent, journal)) {
        ensureDir(parent, journal);
        return ensureDir(dir, journal);
      }
      // EEXIST: another writer made it first; the lstat below checks what it made.
      if (code !== 'EEXIST') throw JournalError.from('create the journal directory', dir, error);
    }
    info = lstat(dir, 'a journal directory');
    if (!info) throw new JournalError(`Cannot create the journal directory ${dir}: it vanished as it was made (ENOENT)`, dir, 'ENOENT');
  }
  if (info.isSymbolicLink()) {
    throw new JournalError(
      `Cannot use ${dir}: it is a symlink${describeLink(dir)}, where brainstem expects a directory of its own, and was not followed (ELOOP); remove it (rm ${dir}) and brainstem makes a real one`,
      dir,
      'ELOOP',
    );
  }
  checkDirectory(dir, info, 'a journal directory');
}

/**
 * `fs.openSync` that never follows a symlink in the last component: adds
 * O_NOFOLLOW to `flags`, numeric `fs.constants` flags such as
 * `O_WRONLY | O_APPEND | O_CREAT` (libuv already opens every file O_CLOEXEC,
 * so no child inherits it).
 * @default mode 0o600
 * @throws JournalError: code `ELOOP` when `file` is a symlink (it is not followed), else the system's code.
 */
export function openNoFollow(file: string, flags: number, mode = 0o600): number {
  try {
    return fs.openSync(file, flags | O_NOFOLLOW, mode);
  } catch (error) {
    throw openError(file, error);
  }
}

/**
 * Opens `relative`, a path inside `journal`, for reading, for the inspector
 * and `brainstem logs`: refuses an absolute path, `..`, a symlink anywhere
 * below the journal (every directory is lstat'ed, and must be owned by the
 * current user and not writable by group or others), and anything but a
 * regular file. The caller closes the descriptor.
 * @throws JournalError: code `EINVAL` (leaves the journal), `ELOOP`, `ENOENT`, `EPERM`, …
 */
export function openJournalFile(journal: string, relative: string): number {
  const parts = journalParts(journal, relative);
  const missing = checkParents(journal, parts);
  if (missing) throw new JournalError(`Cannot read ${path.join(journal, relative)}: ${missing} does not exist (ENOENT)`, missing, 'ENOENT');
  const file = path.join(journal, ...parts);
  // O_NONBLOCK: a FIFO planted at the name would otherwise block the open until someone writes to it.
  const fd = openNoFollow(file, O_RDONLY | O_NONBLOCK);
  const info = fs.fstatSync(fd);
  if (!info.isFile()) {
    fs.closeSync(fd);
    throw new JournalError(`Cannot read ${file}: it is not a regular file`, file, 'EINVAL');
  }
  return fd;
}

/** The whole content of `relative` inside `journal`, read as `openJournalFile` opens it. @throws JournalError */
export function readJournalFile(journal: string, relative: string): Buffer {
  const fd = openJournalFile(journal, relative);
  try {
    return fs.readFileSync(fd);
  } catch (error) {
    throw JournalError.from('read', path.join(journal, relative), error);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Where the symlink `relative` inside `journal` (a `<name>.log` link) points,
 * as a path relative to the journal, or undefined when there is no such link.
 * A link that leads out of the journal, or a regular file where the link
 * belongs, is refused. Read the target with `openJournalFile`, which checks
 * every directory on the way.
 * @throws JournalError: code `EINVAL` (leads out of the journal, or not a symlink).
 */
export function readJournalLink(journal: string, relative: string): string | undefined {
  const parts = journalParts(journal, relative);
  if (checkParents(journal, parts)) return undefined;
  const link = path.join(journal, ...parts);
  let target: string;
  try {
    target = fs.readlinkSync(link);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'EINVAL') throw new JournalError(`Cannot follow ${link}: it is not a symlink (another file took its name)`, link, 'EINVAL');
    throw JournalError.from('read the link', link, error);
  }
  const resolved = path.relative(journal, path.resolve(path.dirname(link), target));
  if (resolved === '' || resolved.startsWith('..') || path.isAbsolute(resolved)) {
    throw new JournalError(`Cannot follow ${link}: it points at ${target}, outside the journal ${journal}`, link, 'EINVAL');
  }
  return resolved;
}

/**
 * Checks the journal (never creating it) and each directory on the way to
 * `parts`' last component: lstat, no symlink, the current user's, not
 * writable by others. Returns the first missing one, if any.
 */
function checkParents(journal: string, parts: readonly string[]): string | undefined {
  if (!lstat(journal, 'the journal')) return journal;
  checkJournal(journal, { create: false });
  let dir = journal;
  for (const part of parts.slice(0, -1)) {
    dir = path.join(dir, part);
    const info = lstat(dir, 'a journal directory');
    if (!info) return dir;
    if (info.isSymbolicLink()) throw new JournalError(`Cannot use ${dir}: it is a symlink${describeLink(dir)} and was not followed (ELOOP)`, dir, 'ELOOP');
    checkDirectory(dir, info, 'a journal directory');
  }
  return undefined;
}

/** True when `dir` is strictly inside `journal` (never the journal itself or anything outside it). */
function isBelow(dir: string, journal: string): boolean {
  const relative = path.relative(journal, dir);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** The checks shared by the journal and the directories in it: a directory, the current user's, not writable by others. */
function checkDirectory(dir: string, info: fs.Stats, what: string): void {
  if (!info.isDirectory()) {
    throw new JournalError(
      `Cannot create ${what === 'the journal' ? 'the journal directory' : 'a journal directory'} ${dir}: something that is not a directory holds its name (ENOTDIR); move it away or choose another journal (--journal or JOURNAL_PATH)`,
      dir,
      'ENOTDIR',
    );
  }
  if (ME >= 0 && info.uid !== ME) {
    throw new JournalError(
      `Cannot use ${dir} as ${what}: it belongs to uid ${info.uid}, not to you (uid ${ME}) (EPERM); use a journal of your own (--journal or JOURNAL_PATH)`,
      dir,
      'EPERM',
    );
  }
  if (ME >= 0 && (info.mode & 0o022) !== 0) {
    const who = (info.mode & 0o022) === 0o022 ? 'group and others' : info.mode & 0o020 ? 'group' : 'others';
    throw new JournalError(
      `Cannot use ${dir} as ${what}: it is writable by ${who} (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}) (EPERM); make it private: chmod 700 ${dir}`,
      dir,
      'EPERM',
    );
  }
}

function lstat(file: string, what: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file, { throwIfNoEntry: false });
  } catch (error) {
    // ENOTDIR: a file where a parent directory belongs.
    throw JournalError.from(`use ${what}`, file, error);
  }
}

function describeLink(link: string): string {
  try {
    return ` (to ${fs.readlinkSync(link)})`;
  } catch {
    return '';
  }
}

function openError(file: string, error: unknown): JournalError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') {
    return new JournalError(`Cannot open ${file}: it is a symlink${describeLink(file)} and was not followed (ELOOP): brainstem opens only regular files in a journal`, file, 'ELOOP', {
      cause: error,
    });
  }
  if (code === 'ENXIO') {
    return new JournalError(`Cannot open ${file}: it is a FIFO or socket, not a regular file (ENXIO); move it away`, file, 'ENXIO', { cause: error });
  }
  return JournalError.from('open', file, error);
}

/** The components of `relative`, refused when it is absolute, empty, or leaves the journal. */
function journalParts(journal: string, relative: string): string[] {
  const refuse = (why: string) => new JournalError(`Cannot read ${JSON.stringify(relative)} from the journal ${journal}: ${why}`, path.join(journal, String(relative)), 'EINVAL');
  if (typeof relative !== 'string' || relative === '' || relative.includes('\0')) throw refuse('not a path inside it');
  if (path.isAbsolute(relative)) throw refuse('an absolute path');
  const parts = relative.split(/[/\\]/).filter((part) => part !== '' && part !== '.');
  if (parts.length === 0) throw refuse('not a file inside it');
  if (parts.includes('..')) throw refuse("'..' leaves the journal");
  return parts;
}
