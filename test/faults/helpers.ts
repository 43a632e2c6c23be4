/**
 * What the fault tests look at, read from the real system: this process's
 * open descriptors and children in /proc, temporary journals, and polling
 * (the machine is shared and noisy: wait for a condition, never for a time).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scratchDir } from '../helpers.js';

export { fixture } from '../helpers.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** A fresh scratch directory (removed at exit if `remove` was not called); `journal` inside it does not exist yet. */
export function tempDir(label: string): { dir: string; journal: string; remove: () => void } {
  const dir = scratchDir(label);
  return { dir, journal: path.join(dir, 'journal'), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

export type ProcInfo = { pid: number; ppid: number; pgid: number; state: string; comm: string };

export function procInfo(pid: number): ProcInfo | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm may hold spaces and parentheses: the fields after it start at the last ')'.
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const fields = stat.slice(close + 2).split(' ');
  return { pid, comm, state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]) };
}

/** Every process whose parent is `parent` (default: this one), zombies included. */
export function childrenOf(parent = process.pid): ProcInfo[] {
  const found: ProcInfo[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = procInfo(Number(entry));
    if (info && info.ppid === parent) found.push(info);
  }
  return found;
}

/** Every process in process group `pgid`. */
export function groupMembers(pgid: number): ProcInfo[] {
  const found: ProcInfo[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = procInfo(Number(entry));
    if (info && info.pgid === pgid && info.state !== 'Z') found.push(info);
  }
  return found;
}

/** Alive and not a zombie. */
export function isAlive(pid: number): boolean {
  const info = procInfo(pid);
  return info !== undefined && info.state !== 'Z';
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it holds; throws with `what` after `bound` ms (a generous bound, not a measurement). */
export async function until(what: string, condition: () => boolean | Promise<boolean>, bound = 20_000): Promise<void> {
  const deadline = Date.now() + bound;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`gave up waiting (${bound} ms) for: ${what}`);
    await sleep(20);
  }
}

/** The texts of a log file, after the `[name:stream] ` prefix, for one stream. */
export function logTexts(file: string, stream?: 'stdout' | 'stderr'): string[] {
  const content = fs.readFileSync(file, 'utf8');
  const texts: string[] = [];
  for (const row of content.split('\n')) {
    if (row === '') continue;
    const match = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d \[[^\]:]+:(stdout|stderr)\] /.exec(row);
    if (!match) throw new Error(`not a log line in ${file}: ${JSON.stringify(row.slice(0, 120))}`);
    if (!stream || match[1] === stream) texts.push(row.slice(match[0].length));
  }
  return texts;
}

/** `count` lines `prefix1` … `prefixN`. */
export function numbered(prefix: string, from: number, to: number): string[] {
  const lines: string[] = [];
  for (let i = from; i <= to; i++) lines.push(`${prefix}${i}`);
  return lines;
}
