/**
 * Two services kept alive by a Supervisor, from the public API alone:
 *
 * - `db` is flaky on purpose: it crashes on its first three starts, then
 *   prints "accepting connections" (its readiness line) and serves. The
 *   Supervisor restarts it on the schedule given (100, 200, 400 ms), and
 *   would give up after 5 restarts within a minute.
 * - `api` starts after `db` is up, and only then.
 *
 * Each run is a new ref under the same name, so `<journal>/health/db.log`
 * always points at the current run. The example is bounded: once `api` has
 * served for a second it stops everything, api first.
 *
 * Run: npx tsx examples/service.ts   (journal: $JOURNAL_PATH, else a temp dir)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeCallosumLinks, createBus, Supervisor } from '../src/index.js';

const journal = process.env.JOURNAL_PATH ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'brainstem-service-')), 'journal');
const state = fs.mkdtempSync(path.join(os.tmpdir(), 'brainstem-flaky-'));
// Counts its starts in a file; crashes on the first three, then serves.
const db = `
n=$(( $(cat "$1/starts" 2>/dev/null || echo 0) + 1 )); echo $n > "$1/starts"
echo "start #$n"
if [ $n -le 3 ]; then echo "data directory locked" >&2; exit 1; fi
echo "accepting connections"; while :; do sleep 0.2; done`;

const bus = createBus();
bus.on('service', (event) => {
  const extra = event.to === 'backoff' ? ` (exit ${event.exitCode}; restart ${event.restarts + 1} in ${event.delayMs} ms)` : event.pid ? ` (pid ${event.pid})` : '';
  console.log(`[supervisor] ${event.service}: ${event.from ?? '-'} -> ${event.to}${extra}`);
});
bus.on('line', (event) => console.log(`  ${event.name} ${event.stream === 'stderr' ? '!' : '|'} ${event.line}`));

const sup = new Supervisor({ journal, bus, sweep: false });
sup.add('db', ['sh', '-c', db, 'db', state], {
  ready: { line: 'accepting connections' },
  backoff: [100, 200, 400],
  maxRestarts: { count: 5, within: 60_000 },
});
sup.add('api', ['sh', '-c', 'echo listening; while :; do sleep 0.2; done'], { after: ['db'], restart: 'on-failure' });

await sup.start();
for (const row of sup.status()) console.log(`[supervisor] ${row.name} is ${row.state}, pid ${row.pid}, ${row.restarts} restart(s)`);
await new Promise((resolve) => setTimeout(resolve, 1_000));
await sup.stop();
const log = path.join(journal, 'health', 'db.log');
console.log(`[supervisor] stopped; current log ${log} -> ${fs.readlinkSync(log)}`);
await closeCallosumLinks();
fs.rmSync(state, { recursive: true, force: true });
