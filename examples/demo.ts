/**
 * `npm run demo`: a few real children, their state changes printed live as
 * the bus announces them, then the table folded from the bus history and
 * where each log is. Finishes by itself in a few seconds.
 *
 * The journal is $JOURNAL_PATH when set, else a fresh temporary directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeCallosumLinks, createBus, ManagedProcess, project, runTask, SpawnError } from '../src/index.js';

const journal = process.env.JOURNAL_PATH ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'brainstem-demo-')), 'journal');
const bus = createBus();
const started = Date.now();
const stamp = () => `+${((Date.now() - started) / 1000).toFixed(3)}s`.padStart(8);

bus.on('transition', (event) => {
  const code = event.exitCode !== undefined ? `  exit code ${event.exitCode}${event.signal ? ` (${event.signal})` : ''}` : '';
  const pid = event.pid !== undefined ? `  pid ${event.pid}` : '';
  console.log(`${stamp()}  ${event.name.padEnd(8)} ${(event.from ?? '·').padStart(11)} → ${event.to.padEnd(11)}${pid}${code}`);
});
bus.on('line', (event) => console.log(`${stamp()}  ${event.name.padEnd(8)}   ${event.stream === 'stderr' ? '!' : '|'} ${event.line}`));

console.log(`brainstem demo — journal: ${journal}\n`);

const options = { journal, bus };
// Runs to its end: three lines, exit 0.
const ticker = runTask(['sh', '-c', 'for i in 1 2 3; do echo "tick $i"; sleep 0.2; done'], { ...options, name: 'ticker' });
// Complains on stderr and fails.
const grumpy = runTask(['sh', '-c', 'sleep 0.3; echo "no input files" >&2; exit 3'], { ...options, name: 'grumpy' });
// A service with a grandchild: terminate() ends the whole process group.
const family = await ManagedProcess.spawn(['sh', '-c', 'sleep 30 & echo "serving (helper pid $!)"; wait'], { ...options, name: 'family' });
// Ignores SIGTERM: brainstem escalates to SIGKILL after the grace period.
const stubborn = await ManagedProcess.spawn(['sh', '-c', 'trap "echo ignoring SIGTERM" TERM; echo up; while :; do sleep 0.1; done'], {
  ...options,
  name: 'stubborn',
});
// A command that does not exist: spawning → failed, and a SpawnError.
try {
  await ManagedProcess.spawn(['no-such-command-in-the-demo'], { ...options, name: 'missing' });
} catch (error) {
  if (!(error instanceof SpawnError)) throw error;
  console.log(`${stamp()}  missing    SpawnError: ${error.message}`);
}

await Promise.all([ticker, grumpy]);
await family.terminate();
await stubborn.terminate({ timeout: 500 });

console.log('\nWhat the bus history folds into (project(bus.history())):\n');
for (const view of project(bus.history()).values()) {
  console.log(`  ${view.name.padEnd(8)} ${view.state.padEnd(7)} exit ${String(view.exitCode ?? '-').padEnd(4)} ${view.logPath}`);
}
console.log(`\nEach name's newest log: ${path.join(journal, 'health', '<name>.log')}`);
console.log(`Try: node dist/cli/main.js logs ticker --journal ${journal}   (after npm run build)`);
await closeCallosumLinks();
