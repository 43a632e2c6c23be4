/**
 * The soak: many concurrent children print random text, random binary,
 * random line lengths with random pauses; some are terminated at random
 * (handling SIGTERM, dying of it, or ignoring it until SIGKILL). Each child
 * records what it printed; as each ends, its journal is compared with that
 * record line by line (after the `[name:stream] ` prefix), and its reported
 * exit with the status it chose. File descriptors and RSS are sampled.
 *
 * Meanwhile, as an adversary would (issue #13): some children run through
 * the `brainstem run` CLI whose stdout is closed early (`| head`), a Callosum
 * server carries every run to a live listener and to a `callosum listen`
 * that is stopped and continued at random, and the orphan watchdog is
 * SIGKILLed at random. The journal must still be byte-exact, every exit
 * must reach the live listener with the status the child chose, and a CLI
 * run must exit with it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CallosumServer, closeCallosumLinks, createBus, ManagedProcess, type Bus } from '../../src/index.js';
import { watchdogPid } from '../../src/host/watchdog.js';
import { expectedLines } from './expected-lines.js';

const CHILD = fileURLToPath(new URL('./child.mjs', import.meta.url));
/** The built CLI (`npm run build`; `npm test` builds it first). */
const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const MODES = ['exit', 'die', 'ignore'] as const;
const LINE_LIMITS = [64, 1000, 65_536];

export interface SoakOptions {
  durationMs: number;
  /** Children running at once. @default 8 */
  concurrency?: number;
  /** Share of children terminated at a random moment. @default 0.3 */
  killRate?: number;
  seed?: number;
  /** Share of children run by the `brainstem run` CLI with its stdout closed early (`| head`); never terminated. @default 0.2 */
  cliRate?: number;
  /** A Callosum server, a live listener that must hear every exit, and a `callosum listen` stopped at random. @default true */
  callosum?: boolean;
  /** SIGKILL the orphan watchdog at random moments. @default true */
  killWatchdog?: boolean;
  /** The grace between SIGTERM and SIGKILL for terminated children. @default 300 */
  terminateTimeout?: number;
  /** Progress lines (not the summary). */
  progress?: (line: string) => void;
}

export interface SoakSummary {
  seed: number;
  seconds: number;
  children: number;
  terminated: number;
  escalated: number;
  /** Terminated children SIGKILLed (the grace ran out) in the middle of a write, their logs checked as a prefix. */
  cutShort: number;
  bytesCompared: number;
  linesCompared: number;
  mismatches: string[];
  exitsChecked: number;
  /** Children run through the CLI with stdout closed early, listener stalls, watchdog kills, exits heard on Callosum. */
  adversary: { cliRuns: number; stalls: number; watchdogKills: number; exitsHeard: number };
  fds: { start: number; end: number };
  /** RSS after the warm-up, after the first 10 s (the heap has settled), at its highest, and at the end. */
  rssMB: { start: number; settled: number; max: number; end: number };
  /** Kept when something did not match, for a look. */
  keptDir?: string;
}

type Outcome = { to: string; exitCode: number | undefined };

function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const openFds = () => fs.readdirSync('/proc/self/fd').length;
const rssMB = () => Math.round(process.memoryUsage().rss / 1048576);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The texts of every file this process logged to (in order), for one stream. */
function loggedTexts(paths: string[], stream: 'stdout' | 'stderr'): string[] {
  const marker = `:${stream}] `;
  const texts: string[] = [];
  for (const file of paths) {
    for (const row of fs.readFileSync(file, 'utf8').split('\n')) {
      if (row === '') continue;
      const at = row.indexOf('] ');
      if (row.slice(0, at + 2).endsWith(marker)) texts.push(row.slice(at + 2));
    }
  }
  return texts;
}

/**
 * Where the log first differs from what the child printed. `cutShort`: the
 * child was SIGKILLed in the middle of a write, so the pipe carried only a
 * prefix of what it recorded: every logged line but the last must match, and
 * the last may stop early (a character cut in two is logged as U+FFFD).
 */
function firstDifference(expected: string[], actual: string[], cutShort = false): string | undefined {
  const show = (s: string | undefined) => (s === undefined ? 'nothing' : JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…(${s.length})` : s));
  const differs = (i: string | undefined, a: string | undefined, last: boolean) =>
    cutShort && last && i !== undefined && a !== undefined ? !i.startsWith(a.replace(/\uFFFD+$/, '')) : i !== a;
  const n = cutShort ? actual.length : Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    if (differs(expected[i], actual[i], i === actual.length - 1)) {
      return `line ${i + 1} of ${expected.length}: expected ${show(expected[i])}, logged ${show(actual[i])} (${actual.length} logged${cutShort ? ', cut short' : ''})`;
    }
  }
  return undefined;
}

export async function runSoak(options: SoakOptions): Promise<SoakSummary> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const concurrency = options.concurrency ?? 8;
  const killRate = options.killRate ?? 0.3;
  const cliRate = options.cliRate ?? 0.2;
  const useCallosum = options.callosum ?? true;
  const killWatchdog = options.killWatchdog ?? true;
  const terminateTimeout = options.terminateTimeout ?? 300;
  const progress = options.progress ?? (() => {});
  const rand = random(seed);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brainstem-soak-'));
  const journal = path.join(dir, 'journal');
  const bus: Bus = createBus({ historyLimit: 100, lineHistoryLimit: 1 });
  const logPaths = new Map<string, string[]>();
  const outcomes = new Map<string, Outcome>();
  bus.on('log', ({ ref, kind, path: file }) => {
    if (kind === 'error') return;
    const paths = logPaths.get(ref) ?? [];
    if (!paths.includes(file)) paths.push(file);
    logPaths.set(ref, paths);
  });
  bus.on('transition', ({ ref, to, exitCode }) => {
    if (to === 'exited' || to === 'killed' || to === 'failed') outcomes.set(ref, { to, exitCode });
  });

  const summary: SoakSummary = {
    seed,
    seconds: 0,
    children: 0,
    terminated: 0,
    escalated: 0,
    cutShort: 0,
    bytesCompared: 0,
    linesCompared: 0,
    mismatches: [],
    exitsChecked: 0,
    adversary: { cliRuns: 0, stalls: 0, watchdogKills: 0, exitsHeard: 0 },
    fds: { start: 0, end: 0 },
    rssMB: { start: 0, settled: 0, max: 0, end: 0 },
  };

  // The adversary's side: a Callosum server, a listener that must hear every exit, one that stalls, watchdog kills.
  const adversary = useCallosum ? await startCallosum(journal, rand) : undefined;
  const expectedExits = new Map<string, { label: string; exitCode: number | undefined }>();
  let soakOver = false;
  const watchdogKiller = killWatchdog
    ? (async () => {
        while (!soakOver) {
          await sleep(1000 + Math.floor(rand() * 3000));
          const pid = watchdogPid();
          if (soakOver || pid === undefined) continue;
          try {
            process.kill(pid, 'SIGKILL');
            summary.adversary.watchdogKills++;
          } catch {
            // Already gone.
          }
        }
      })()
    : undefined;

  /** One child through `brainstem run`, its stdout closed after a few bytes as `| head` would; returns where it logged, its exit code. */
  const runCli = async (index: number, side: string, childSeed: number): Promise<{ ref: string; logPath: string | undefined; code: number | null }> => {
    const ref = `cli${index}-${seed}`;
    const child = spawn(process.execPath, [BIN, 'run', '--journal', journal, '--ref', ref, '--name', `soak${index % 5}`, '--', process.execPath, CHILD, side, String(childSeed), 'exit'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    summary.adversary.cliRuns++;
    const headBytes = Math.floor(rand() * 4096);
    let seen = 0;
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen >= headBytes) child.stdout!.destroy();
    });
    child.stdout!.on('error', () => {});
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', (exitCode) => resolve(exitCode)));
    const logPath = /started: pid \d+, ref \S+, log (.+)$/m.exec(stderr)?.[1];
    return { ref, logPath, code };
  };

  const runOne = async (index: number): Promise<void> => {
    const side = path.join(dir, 'side', String(index));
    fs.mkdirSync(side, { recursive: true });
    const mode = MODES[Math.floor(rand() * MODES.length)]!;
    const lineLimit = LINE_LIMITS[Math.floor(rand() * LINE_LIMITS.length)]!;
    const childSeed = Math.floor(rand() * 2 ** 31);
    const killAfter = rand() < killRate ? 20 + Math.floor(rand() * 1500) : undefined;
    // The first child after the warm-up always goes through the CLI, so a short soak has one too.
    if (index >= 0 && cliRate > 0 && (index === 0 || rand() < cliRate)) return checkCli(index, side, childSeed);
    const mp = await ManagedProcess.spawn([process.execPath, CHILD, side, String(childSeed), mode], {
      journal,
      bus,
      name: `soak${index % 5}`,
      lineLimit,
      terminateTimeout,
      ...(useCallosum ? {} : { callosum: false as const }),
    });
    summary.children++;
    let terminated = false;
    let terminatedAt = 0;
    const killer =
      killAfter === undefined
        ? undefined
        : (async () => {
            await sleep(killAfter);
            // A SIGTERM before the child's handler exists would find Node's default: wait for it to say so.
            while (mp.isRunning() && !fs.existsSync(path.join(side, 'ready'))) await sleep(5);
            if (!mp.isRunning()) return;
            terminated = true;
            terminatedAt = Date.now();
            summary.terminated++;
            await mp.terminate();
          })();
    await mp.wait();
    const endedAfter = Date.now() - terminatedAt;
    await killer;
    const outcome = outcomes.get(mp.ref);
    // The child's SIGTERM handler runs between its writes; on a loaded machine a long write to a
    // full pipe can outlast the grace. Then brainstem's SIGKILL lands mid-write, before the handler
    // recorded anything: the outcome is `killed`, and the pipe carried a prefix of the last chunk.
    // Only then, and only once the grace had run out, is anything but the child's choice accepted.
    const graceRanOut =
      terminated && outcome?.to === 'killed' && !fs.existsSync(path.join(side, 'exit')) && endedAfter >= terminateTimeout;
    if (graceRanOut) summary.cutShort++;
    const label = `child ${index} (seed ${childSeed}, ${mode}, limit ${lineLimit}${terminated ? ', terminated' : ''}${graceRanOut ? ', SIGKILLed mid-write' : ''}, ref ${mp.ref})`;

    for (const stream of ['stdout', 'stderr'] as const) {
      const printed = fs.readFileSync(path.join(side, stream));
      const expected = expectedLines(printed, lineLimit);
      const logged = loggedTexts(logPaths.get(mp.ref) ?? [], stream);
      const difference = firstDifference(expected, logged, graceRanOut);
      if (difference) summary.mismatches.push(`${label} ${stream}: ${difference}`);
      summary.bytesCompared += printed.length;
      summary.linesCompared += expected.length;
    }
    const chosen = graceRanOut ? -9 : fs.existsSync(path.join(side, 'exit')) ? Number(fs.readFileSync(path.join(side, 'exit'), 'utf8')) : undefined;
    const expectedState = chosen === -9 ? 'killed' : 'exited';
    if (outcome?.exitCode !== chosen || outcome?.to !== expectedState || mp.returncode !== chosen) {
      summary.mismatches.push(`${label}: chose exit ${chosen} (${expectedState}), reported ${outcome?.to} ${outcome?.exitCode}, returncode ${mp.returncode}`);
    }
    if (outcome?.to === 'killed') summary.escalated++;
    summary.exitsChecked++;
    expectedExits.set(mp.ref, { label, exitCode: chosen });
    outcomes.delete(mp.ref);
    // Keep the disk bounded on long soaks: what matched is not needed any more.
    if (summary.mismatches.length === 0) {
      for (const file of logPaths.get(mp.ref) ?? []) fs.rmSync(file, { force: true });
      fs.rmSync(side, { recursive: true, force: true });
    }
    logPaths.delete(mp.ref);
  };

  /** A CLI run checked as the others are: its log byte-exact (the CLI's limit is the default), its exit code the child's. */
  const checkCli = async (index: number, side: string, childSeed: number): Promise<void> => {
    summary.children++;
    const { ref, logPath, code } = await runCli(index, side, childSeed);
    const label = `CLI child ${index} (seed ${childSeed}, stdout closed early, ref ${ref})`;
    const paths = logPath ? [logPath] : [];
    if (!logPath) summary.mismatches.push(`${label}: the CLI did not say where it logged`);
    for (const stream of ['stdout', 'stderr'] as const) {
      const printed = fs.readFileSync(path.join(side, stream));
      const expected = expectedLines(printed, 65_536);
      const difference = firstDifference(expected, loggedTexts(paths, stream));
      if (difference) summary.mismatches.push(`${label} ${stream}: ${difference}`);
      summary.bytesCompared += printed.length;
      summary.linesCompared += expected.length;
    }
    const chosen = Number(fs.readFileSync(path.join(side, 'exit'), 'utf8'));
    if (code !== chosen) summary.mismatches.push(`${label}: chose exit ${chosen}, the CLI exited ${code}`);
    summary.exitsChecked++;
    expectedExits.set(ref, { label, exitCode: chosen });
    if (summary.mismatches.length === 0) {
      for (const file of paths) fs.rmSync(file, { force: true });
      fs.rmSync(side, { recursive: true, force: true });
    }
  };

  const started = Date.now();
  // Warm-up: loads everything loaded once and starts the orphan watchdog before the baseline.
  await Promise.all([runOne(-2), runOne(-1)]);
  summary.fds.start = openFds();
  summary.rssMB.start = rssMB();
  summary.rssMB.max = summary.rssMB.start;

  const deadline = started + options.durationMs;
  let next = 0;
  let lastReport = Date.now();
  const worker = async () => {
    while (Date.now() < deadline) {
      await runOne(next++);
      summary.rssMB.max = Math.max(summary.rssMB.max, rssMB());
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        if (summary.rssMB.settled === 0) summary.rssMB.settled = rssMB();
        progress(`soak: ${summary.children} children, ${(summary.bytesCompared / 1e6).toFixed(1)} MB compared, ${summary.mismatches.length} mismatches, fds ${openFds()}, rss ${rssMB()} MB`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  soakOver = true;
  await watchdogKiller;
  if (adversary) {
    // Every exit reaches the live listener, whatever the stalled one did meanwhile.
    const deadline = Date.now() + 30_000;
    const missing = () => [...expectedExits.keys()].filter((ref) => !adversary.exits.has(ref));
    while (missing().length > 0 && Date.now() < deadline) await sleep(50);
    for (const [ref, { label, exitCode }] of expectedExits) {
      const heard = adversary.exits.get(ref);
      if (heard === undefined) summary.mismatches.push(`${label}: its exit never reached the live Callosum listener`);
      else if (heard !== exitCode) summary.mismatches.push(`${label}: chose exit ${exitCode}, Callosum said ${heard}`);
      else summary.adversary.exitsHeard++;
    }
    summary.adversary.stalls = adversary.stalls();
    await adversary.stop();
    // The runtime's shared connection would go on retrying the stopped server, a socket at a time.
    await closeCallosumLinks();
  }

  // Pipe handles are released on the next turns of the event loop.
  for (let tries = 0; tries < 100 && openFds() > summary.fds.start; tries++) await sleep(50);
  summary.fds.end = openFds();
  summary.rssMB.end = rssMB();
  summary.seconds = Math.round((Date.now() - started) / 100) / 10;
  if (summary.mismatches.length === 0) fs.rmSync(dir, { recursive: true, force: true });
  else summary.keptDir = dir;
  return summary;
}

/**
 * A Callosum server on the journal, a live listener collecting every `exit`
 * (ref → exit_code), and a `brainstem callosum listen` process that is
 * stopped (SIGSTOP) and continued at random until `stop()`.
 */
async function startCallosum(journal: string, rand: () => number) {
  const server = new CallosumServer({ journal });
  await server.start();
  const exits = new Map<string, number | null>();
  const live = net.connect(server.socketPath);
  live.on('error', () => {});
  let partial = '';
  live.setEncoding('latin1');
  live.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.includes('"event":"exit"')) continue;
      const message = JSON.parse(line) as { tract: string; event: string; ref: string; exit_code: number | null };
      if (message.tract === 'logs' && message.event === 'exit') exits.set(message.ref, message.exit_code);
    }
  });
  await new Promise((resolve) => live.once('connect', resolve));
  const stalled = spawn(process.execPath, [BIN, 'callosum', 'listen', '--journal', journal], { stdio: ['ignore', 'ignore', 'ignore'] });
  let stalls = 0;
  let over = false;
  const staller = (async () => {
    while (!over) {
      await sleep(200 + Math.floor(rand() * 1000));
      if (over) break;
      stalled.kill('SIGSTOP');
      stalls++;
      await sleep(200 + Math.floor(rand() * 2000));
      stalled.kill('SIGCONT');
    }
  })();
  return {
    exits,
    stalls: () => stalls,
    stop: async () => {
      over = true;
      await staller;
      stalled.kill('SIGCONT');
      stalled.kill('SIGTERM');
      live.destroy();
      await server.stop();
    },
  };
}

export function formatSummary(s: SoakSummary): string {
  return (
    `soak: ${s.children} children in ${s.seconds} s (${s.terminated} terminated, ${s.escalated} escalated to SIGKILL, ${s.cutShort} of them mid-write), ` +
    `adversary: ${s.adversary.cliRuns} CLI runs with stdout closed early, ${s.adversary.stalls} listener stalls, ${s.adversary.watchdogKills} watchdog kills, ${s.adversary.exitsHeard} exits heard on Callosum, ` +
    `${s.bytesCompared} bytes compared in ${s.linesCompared} lines, exits checked: ${s.exitsChecked}, mismatches: ${s.mismatches.length}, ` +
    `fds ${s.fds.start}→${s.fds.end}, rss ${s.rssMB.start}→${s.rssMB.settled || '-'} (10 s)→${s.rssMB.end} MB (max ${s.rssMB.max}), seed ${s.seed}`
  );
}
