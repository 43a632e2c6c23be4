// `npm run soak -- --minutes N [--concurrency C] [--seed S] [--grace MS]`: prints one summary line; exits 1 on any mismatch or leak.
import { parseArgs } from 'node:util';
import { formatSummary, runSoak } from './soak.js';

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '1' }, concurrency: { type: 'string', default: '8' }, seed: { type: 'string' }, grace: { type: 'string' } },
});
const minutes = Number(values.minutes);
if (!Number.isFinite(minutes) || minutes <= 0) {
  console.error(`--minutes must be a positive number, got ${values.minutes}`);
  process.exit(2);
}
const summary = await runSoak({
  durationMs: minutes * 60_000,
  concurrency: Number(values.concurrency),
  ...(values.seed !== undefined && { seed: Number(values.seed) }),
  ...(values.grace !== undefined && { terminateTimeout: Number(values.grace) }),
  progress: (line) => console.error(line),
});
for (const mismatch of summary.mismatches.slice(0, 20)) console.error(`mismatch: ${mismatch}`);
if (summary.keptDir) console.error(`kept for a look: ${summary.keptDir}`);
console.log(formatSummary(summary));
process.exitCode = summary.mismatches.length === 0 && summary.fds.end <= summary.fds.start ? 0 : 1;
