// 4. Scale, in a process of its own so its RSS and CPU are its own. Plain
// JavaScript on the built package (dist/), as a user's host would run it:
//   node --expose-gc bench/hosts/scale-host.mjs brainstem|bare JOURNAL COUNT IDLE_MS
// starts COUNT idle `sleep` children, measures the RSS growth and the CPU while
// they idle, then terminates them all; prints one JSON line.
import { spawn } from 'node:child_process';
import { createBus, ManagedProcess, runTask } from '../../dist/index.js';

const [mode, journal, countArg, idleArg] = process.argv.slice(2);
const count = Number(countArg);
const idleMs = Number(idleArg);
const gc = globalThis.gc;
if (!gc) throw new Error('scale-host needs --expose-gc');

const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

function brainstemRuntime() {
  const bus = createBus();
  const live = [];
  return {
    async spawnOne() {
      live.push(await ManagedProcess.spawn(['sleep', '600'], { journal, bus, name: 'sleep', callosum: false }));
    },
    async terminateAll() {
      const codes = await Promise.all(live.map((managed) => managed.terminate()));
      if (codes.some((code) => code !== -15)) throw new Error(`bench: unexpected exit codes ${[...new Set(codes)].join(',')}`);
    },
  };
}

/** The baseline: plain child_process, each child leading its own group, its pipes drained and dropped. */
function bareRuntime() {
  const live = [];
  return {
    async spawnOne() {
      const child = spawn('sleep', ['600'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.resume();
      child.stderr.resume();
      await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
      live.push(child);
    },
    async terminateAll() {
      await Promise.all(
        live.map(
          (child) =>
            new Promise((resolve) => {
              child.once('close', resolve);
              process.kill(-child.pid, 'SIGTERM');
            }),
        ),
      );
    },
  };
}

const makeRuntime = mode === 'bare' ? bareRuntime : brainstemRuntime;
// Load and warm every code path once, so the growth is what the children cost, not the modules.
if (mode === 'bare') {
  const warm = makeRuntime();
  await warm.spawnOne();
  await warm.terminateAll();
} else {
  await runTask(['true'], { journal, bus: createBus(), name: 'warmup', callosum: false });
}
const runtime = makeRuntime();
await settle();
const before = process.memoryUsage();
for (let i = 0; i < count; i++) await runtime.spawnOne();
await settle();
const after = process.memoryUsage();

const cpuStart = process.cpuUsage();
const wallStart = performance.now();
await new Promise((resolve) => setTimeout(resolve, idleMs));
const cpu = process.cpuUsage(cpuStart);
const idleCpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - wallStart)) * 100;

const terminateStart = performance.now();
await runtime.terminateAll();
const terminateMs = performance.now() - terminateStart;

const MB = 1024 * 1024;
process.stdout.write(
  `${JSON.stringify({ rssGrowthMB: (after.rss - before.rss) / MB, heapGrowthMB: (after.heapUsed - before.heapUsed) / MB, idleCpuPercent, terminateMs })}\n`,
);
