/**
 * A long-running worker kept alive with exponential backoff, from the public
 * API alone: when it fails, it is started again after 100 ms, 200 ms,
 * 400 ms… (capped), and the delay resets once a run has stayed up for a
 * while. Each run is a new ref under the same name, so
 * `<journal>/health/<name>.log` always points at the current run.
 *
 * The worker here is flaky on purpose: it crashes on its first three starts,
 * then serves. The example is bounded: it stops the service once it has been
 * healthy for a second, or gives up after `maxRestarts`.
 *
 * Run: npx tsx examples/service.ts   (journal: $JOURNAL_PATH, else a temp dir)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeCallosumLinks, createBus, ManagedProcess, type SpawnOptions } from '../src/index.js';

interface Backoff {
  /** ms before the first restart. */
  initialMs: number;
  /** Each consecutive failure multiplies the delay by this. */
  factor: number;
  maxMs: number;
  /** A run that lasted this long resets the delay. */
  stableMs: number;
  /** Give up after this many restarts in a row. */
  maxRestarts: number;
}

/**
 * Keeps `cmd` running until `stop()`. Resolves `done` with the last exit code:
 * 0 when the service was stopped or ended on its own, the failure's code when
 * it gave up.
 */
function supervise(cmd: string[], options: SpawnOptions & { name: string }, backoff: Backoff) {
  let current: ManagedProcess | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const done = (async (): Promise<number> => {
    let failures = 0;
    for (;;) {
      current = await ManagedProcess.spawn(cmd, options);
      console.log(`[supervisor] started ${current.name} (ref ${current.ref}, pid ${current.pid})`);
      const code = await current.wait();
      const ranMs = Date.now() - current.startTime;
      if (stopping) return 0;
      if (code === 0) {
        console.log(`[supervisor] ${options.name} finished on its own`);
        return 0;
      }
      failures = ranMs >= backoff.stableMs ? 1 : failures + 1;
      if (failures > backoff.maxRestarts) {
        console.log(`[supervisor] ${options.name} failed ${failures} times in a row; giving up (log: ${current.logPath})`);
        return code;
      }
      const delay = Math.min(backoff.initialMs * backoff.factor ** (failures - 1), backoff.maxMs);
      console.log(`[supervisor] ${options.name} exited with code ${code} after ${ranMs} ms; restart ${failures} in ${delay} ms`);
      await sleep(delay);
      if (stopping) return 0;
    }
  })();

  return {
    done,
    get current() {
      return current;
    },
    /** Stops restarting and terminates the running worker. */
    async stop(): Promise<number> {
      stopping = true;
      wake?.();
      if (current?.isRunning()) await current.terminate({ timeout: 2_000 });
      return done;
    },
  };
}

const journal = process.env.JOURNAL_PATH ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'brainstem-service-')), 'journal');
const state = fs.mkdtempSync(path.join(os.tmpdir(), 'brainstem-flaky-'));
// Counts its starts in a file; crashes on the first three, then serves.
const flaky = `
n=$(( $(cat "$1/starts" 2>/dev/null || echo 0) + 1 )); echo $n > "$1/starts"
echo "start #$n"
if [ $n -le 3 ]; then echo "database not ready" >&2; exit 1; fi
echo serving; while :; do sleep 0.2; echo heartbeat; done`;

const bus = createBus();
const service = supervise(['sh', '-c', flaky, 'flaky', state], { journal, bus, name: 'flaky' }, {
  initialMs: 100,
  factor: 2,
  maxMs: 2_000,
  stableMs: 5_000,
  maxRestarts: 5,
});

// Bounded: once it has served for a second, stop it.
bus.on('line', (event) => {
  console.log(`  ${event.name} ${event.stream === 'stderr' ? '!' : '|'} ${event.line}`);
  if (event.line === 'serving') setTimeout(() => void service.stop(), 1_000);
});
const code = await service.done;
const log = path.join(journal, 'health', 'flaky.log');
console.log(`[supervisor] stopped (code ${code}); current log ${log} -> ${fs.readlinkSync(log)}`);
await closeCallosumLinks();
fs.rmSync(state, { recursive: true, force: true });
process.exitCode = code;
