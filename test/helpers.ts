import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** The path of a fixture script. */
export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

const scratch: string[] = [];

/** A new empty directory under the system's temp dir, removed when the test process exits (uvu runs every file in one). */
export function scratchDir(label = ''): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `brainstem-${label}${label && '-'}`));
  if (scratch.push(dir) === 1) {
    process.once('exit', () => {
      for (const each of scratch) fs.rmSync(each, { recursive: true, force: true });
    });
  }
  return dir;
}

/** A fresh journal directory (not yet created) under a new scratch dir. */
export function tempJournal(): string {
  return path.join(scratchDir(), 'journal');
}

const PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2} \[([^\]:]+):(stdout|stderr)\] /;

export interface LogLine {
  time: string;
  name: string;
  stream: string;
  text: string;
}

/** Parses a log file into its lines; throws on a line that is not in the log format. */
export function readLog(file: string): LogLine[] {
  const content = fs.readFileSync(file, 'utf8');
  if (content === '') return [];
  if (!content.endsWith('\n')) throw new Error(`log ${file} does not end with a newline`);
  return content
    .slice(0, -1)
    .split('\n')
    .map((raw) => {
      const match = PREFIX.exec(raw);
      if (!match) throw new Error(`not a log line: ${JSON.stringify(raw.slice(0, 200))}`);
      return { time: raw.slice(0, 19), name: match[1]!, stream: match[2]!, text: raw.slice(match[0].length) };
    });
}

/** The texts of a log's lines. */
export function logTexts(file: string, stream?: string): string[] {
  return readLog(file)
    .filter((line) => !stream || line.stream === stream)
    .map((line) => line.text);
}

/** Polls `check` until it returns a truthy value, or throws after `timeoutMs`. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

export async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** True while a process (or, with a negative pid, a process group) exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs a suite's tests in time zone `tz`, restoring the previous one after. */
export function inTimeZone(suite: { before(fn: () => void): void; after(fn: () => void): void }, tz: string): void {
  const previous = process.env.TZ;
  suite.before(() => {
    process.env.TZ = tz;
  });
  suite.after(() => {
    if (previous === undefined) delete process.env.TZ;
    else process.env.TZ = previous;
  });
}
