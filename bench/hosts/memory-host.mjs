// 5. Bounded memory, in a process of its own so its peak RSS is its own. Plain
// JavaScript on the built package (dist/), as a user's host would run it:
//   node bench/hosts/memory-host.mjs brainstem|idle JOURNAL BURST LINE_BYTES RANDOM_BYTES SEED
// runs the burst child through runTask (`idle`: `true` instead, the runtime's
// own footprint) and prints one JSON line with the peak RSS.
import { runTask } from '../../dist/index.js';

const [mode, journal, burst, lineBytes, randomBytes, seed] = process.argv.slice(2);
const cmd = mode === 'idle' ? ['true'] : [burst, lineBytes, randomBytes, seed];
const result = await runTask(cmd, { journal, name: 'burst', callosum: false });
if (!result.success) throw new Error(`bench: burst exited ${result.exitCode}`);
// ru_maxrss is in KiB on Linux.
process.stdout.write(`${JSON.stringify({ peakRssMB: process.resourceUsage().maxRSS / 1024, logPath: result.logPath })}\n`);
