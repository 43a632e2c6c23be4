import path from 'node:path';
import { ValidationError } from '../errors.js';

/**
 * The journal root: the option, else `JOURNAL_PATH`, else `./journal` under
 * the current directory. An empty path (`--journal=`, `JOURNAL_PATH=`) is
 * refused rather than read as the current directory.
 * @throws ValidationError for an empty path, field `journal` or `JOURNAL_PATH`.
 */
export function resolveJournal(journal?: string): string {
  if (journal === '') throw new ValidationError('The journal path is empty: give a directory (e.g. ./journal), not "" (it would be the current directory)', 'journal');
  const env = journal === undefined ? process.env.JOURNAL_PATH : undefined;
  if (env === '') throw new ValidationError('JOURNAL_PATH is set but empty: unset it for ./journal, or give a directory', 'JOURNAL_PATH');
  return path.resolve(journal ?? env ?? 'journal');
}

/** `<journal>/<day>/health` */
export function dayHealthDir(journal: string, day: string): string {
  return path.join(journal, day, 'health');
}

/** `<journal>/health` */
export function journalHealthDir(journal: string): string {
  return path.join(journal, 'health');
}

/** `<ref>_<name>.log` */
export function logFileName(ref: string, name: string): string {
  return `${ref}_${name}.log`;
}

/** `<journal>/<day>/health/<ref>_<name>.log` */
export function logFilePath(journal: string, day: string, ref: string, name: string): string {
  return path.join(dayHealthDir(journal, day), logFileName(ref, name));
}
