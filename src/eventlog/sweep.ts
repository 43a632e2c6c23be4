import { DateTime } from 'luxon';
import { JournalError, ValidationError } from '../errors.js';
import { dayOf } from '../journal/day.js';
import { resolveJournal } from '../journal/paths.js';
import { eventLogFile } from './append.js';
import { members as cgroupMembers } from '../host/cgroups.js';
import { killCgroup, removeCgroup, runtimeCgroupOf } from './cgroup.js';
import { groupMembers, hostIdentity, isSameProcess, ownerOf, readStat } from './proc.js';
import { readEvents } from './read.js';
import { encodeRecord } from './record.js';
import { hasEnded, traceProcesses, type ProcessTrace } from './traces.js';

export interface SweepOptions {
  /** Journal root. @default process.env.JOURNAL_PATH ?? './journal' */
  journal?: string;
  /** ms from SIGTERM to SIGKILL. @default 5000 */
  grace?: number;
}

/** A process group a sweep ended. */
export interface SweptProcess {
  ref: string;
  name: string;
  pid: number;
  pgid: number;
}

export const DEFAULT_SWEEP_GRACE = 5_000;
const POLL_MS = 50;
/** How long to wait for SIGKILLed groups to empty (a process in uninterruptible sleep) before resolving anyway. */
const KILL_WAIT_MS = 10_000;

/** `cgroup`: the one the dead runtime made for it, when it had cgroups. */
type Target = { trace: ProcessTrace; pid: number; pgid: number; pidStart: number; cgroup?: string };

/**
 * Ends what dead runtimes left behind, as the event log tells it (today's and
 * yesterday's): a process recorded as not ended whose runtime is gone (no
 * process with its host's pid and start time), whose group leader still runs
 * with the recorded start time, as the current user, and is not a child of
 * this runtime. SIGTERM to its group, SIGKILL after `grace` ms; resolves once
 * the groups are empty, and records each as a `transition` to `killed` with
 * `swept: true` in today's log. A reused pid, another user's process, a
 * record without `host` and a zombie are never signalled.
 * @throws ValidationError for a bad `grace`; JournalError when the swept records cannot be written (the processes were ended).
 */
export async function sweepOrphans(options: SweepOptions = {}): Promise<SweptProcess[]> {
  const journal = resolveJournal(options.journal);
  const grace = options.grace ?? DEFAULT_SWEEP_GRACE;
  if (typeof grace !== 'number' || !Number.isFinite(grace) || grace < 0) {
    throw new ValidationError(`grace must be a finite number of milliseconds >= 0, got ${String(grace)}`, 'grace');
  }
  const now = Date.now();
  const yesterday = dayOf(DateTime.fromMillis(now).minus({ days: 1 }).toMillis());
  const records = [...(await readEvents({ journal, day: yesterday })).records, ...(await readEvents({ journal, day: dayOf(now) })).records];
  const targets = orphansOf(traceProcesses(records));
  if (targets.length === 0) return [];

  for (const target of targets) signalTarget(target, 'SIGTERM');
  let left = await untilEmpty(targets, grace);
  const killed = new Set(left);
  for (const target of left) signalTarget(target, 'SIGKILL');
  left = await untilEmpty(left, KILL_WAIT_MS);
  for (const target of targets) if (target.cgroup && !left.includes(target)) removeCgroup(target.cgroup);

  const host = hostIdentity();
  const at = Date.now();
  let text = '';
  for (const target of targets) {
    const { trace, pid, pgid, pidStart } = target;
    const signal = killed.has(target) ? 'SIGKILL' : 'SIGTERM';
    const event = {
      ref: trace.ref,
      name: trace.name,
      pid,
      from: trace.state,
      to: 'killed' as const,
      exitCode: signal === 'SIGKILL' ? -9 : -15,
      signal,
      cmd: trace.cmd,
      logPath: trace.logPath,
      startTime: trace.startTime,
      seq: 0,
      at,
    };
    text += encodeRecord('transition', event, { host, pgid, pidStart, swept: true });
  }
  try {
    eventLogFile(journal).append(dayOf(at), text);
  } catch (error) {
    const journalError = error as JournalError;
    throw new JournalError(
      `Ended ${targets.length} orphaned process group(s) but could not record it: ${journalError.message}`,
      journalError.path ?? journal,
      journalError.code,
      { cause: error },
    );
  }
  return targets.map(({ trace, pid, pgid }) => ({ ref: trace.ref, name: trace.name, pid, pgid }));
}

/** The traces that are orphans now, checked against the kernel one by one. */
function orphansOf(traces: ProcessTrace[]): Target[] {
  const me = process.getuid?.() ?? -1;
  const targets: Target[] = [];
  const groups = new Set<number>();
  for (const trace of traces) {
    const { host, pid, pidStart } = trace;
    const pgid = trace.pgid ?? pid;
    // Untrusted input: whole positive numbers only, and never pid 1 or a group as wide as "every process".
    if (hasEnded(trace) || !host || !isPid(pid) || !isPid(pgid) || typeof pidStart !== 'number') continue;
    if (isSameProcess(host.pid, host.start)) continue;
    const leader = readStat(pid);
    if (!leader || leader.state === 'Z' || leader.start !== pidStart || leader.pgid !== pgid) continue;
    if (leader.ppid === process.pid) continue;
    if (me >= 0 && ownerOf(pid) !== me) continue;
    if (groups.has(pgid)) continue;
    groups.add(pgid);
    const cgroup = runtimeCgroupOf(pid, host.pid);
    targets.push({ trace, pid, pgid, pidStart, ...(cgroup && { cgroup }) });
  }
  return targets;
}

function isPid(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) > 1;
}

/** Signals the target's group, and the members of its cgroup (a grandchild that left the group with setsid). */
function signalTarget(target: Target, signal: NodeJS.Signals): void {
  signalGroup(target.pgid, signal);
  if (!target.cgroup) return;
  if (signal === 'SIGKILL') killCgroup(target.cgroup);
  const me = process.getuid?.() ?? -1;
  for (const pid of cgroupMembers(target.cgroup)) {
    if (me >= 0 && ownerOf(pid) !== me) continue;
    try {
      process.kill(pid, signal);
    } catch {
      // Gone meanwhile.
    }
  }
}

/** Signals the group at once when every member is the current user's, else each member that is. */
function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  const me = process.getuid?.() ?? -1;
  const members = groupMembers(new Set([pgid])).get(pgid) ?? [];
  const mine = members.filter((pid) => me < 0 || ownerOf(pid) === me);
  try {
    if (mine.length === members.length) return void process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group emptied meanwhile.
  }
  for (const pid of mine) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone meanwhile.
    }
  }
}

/** Waits up to `ms` for the targets' groups to empty (zombies count as gone); resolves with those still holding a process. */
async function untilEmpty(targets: Target[], ms: number): Promise<Target[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const live = groupMembers(new Set(targets.map((target) => target.pgid)));
    targets = targets.filter((target) => live.has(target.pgid) || (target.cgroup !== undefined && cgroupMembers(target.cgroup).some(running)));
    if (targets.length === 0 || Date.now() >= deadline) return targets;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(1, deadline - Date.now()))));
  }
}

/** A member of a cgroup that has not ended (a zombie has). */
function running(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}
