import path from 'node:path';

/** The journal root: the option, else `JOURNAL_PATH`, else `./journal` under the current directory. */
export function resolveJournal(journal?: string): string {
  return path.resolve(journal ?? process.env.JOURNAL_PATH ?? 'journal');
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
