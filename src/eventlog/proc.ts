/**
 * What the kernel says about a process, read from `/proc/<pid>/stat`: enough
 * to recognise it later without trusting its pid alone. A pid is reused; the
 * pair (pid, start time) is not, so every record names a process by both.
 */
import fs from 'node:fs';

export interface ProcStat {
  pid: number;
  /** One letter: `R`, `S`, `D`, `Z` (zombie), `T`, … */
  state: string;
  ppid: number;
  pgid: number;
  /** Field 22: clock ticks since boot when the process started. */
  start: number;
}

/** The kernel's view of `pid`, or undefined when there is no such process (or no /proc). */
export function readStat(pid: number): ProcStat | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const text = readProcFile(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseStat(pid, text);
}

// A stat line is a few hundred bytes (the name is at most 64): one read into a buffer kept for it.
const statBuffer = Buffer.allocUnsafe(4096);

/**
 * A small /proc file in one open, read and close: a third of `readFileSync`'s
 * cost, which also stats the file and reads until a second read finds the end.
 * Read on every spawn's `running` record, so it is on the spawn's path.
 */
function readProcFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const length = fs.readSync(fd, statBuffer, 0, statBuffer.length, 0);
    return length < statBuffer.length ? statBuffer.toString('latin1', 0, length) : fs.readFileSync(file, 'latin1');
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Parses one `/proc/<pid>/stat` line; the command name in parentheses may itself hold spaces and `)`. */
export function parseStat(pid: number, text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // After the name come fields 3 (state) onwards, so field N is at index N - 3.
  const fields = text.slice(close + 2).split(' ');
  const start = Number(fields[22 - 3]);
  if (!Number.isFinite(start)) return undefined;
  return { pid, state: fields[0]!, ppid: Number(fields[4 - 3]), pgid: Number(fields[5 - 3]), start };
}

/** The uid owning `/proc/<pid>` (the process's effective uid), or undefined when it is gone. */
export function ownerOf(pid: number): number | undefined {
  try {
    return fs.statSync(`/proc/${pid}`).uid;
  } catch {
    return undefined;
  }
}

/** True while `pid` exists with start time `start` and is not a zombie. */
export function isSameProcess(pid: number, start: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.start === start && stat.state !== 'Z';
}

/** A runtime as records name it: its pid and the kernel's start time of that pid. */
export interface HostIdentity {
  pid: number;
  start: number;
}

let self: HostIdentity | undefined;

/** This runtime's identity; `start` is 0 where there is no /proc. */
export function hostIdentity(): HostIdentity {
  if (self?.pid !== process.pid) self = { pid: process.pid, start: readStat(process.pid)?.start ?? 0 };
  return self;
}

/** The live (non-zombie) members of each group in `pgids` that has any, from one pass over /proc. */
export function groupMembers(pgids: ReadonlySet<number>): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return groups;
  }
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    const stat = readStat(Number(entry));
    if (!stat || stat.state === 'Z' || !pgids.has(stat.pgid)) continue;
    const members = groups.get(stat.pgid);
    if (members) members.push(stat.pid);
    else groups.set(stat.pgid, [stat.pid]);
  }
  return groups;
}
