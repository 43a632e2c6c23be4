/**
 * An agent runtime that embeds brainstem: it owns a bus, starts its workers,
 * reacts to what the bus says (a worker reporting ready starts the next one,
 * a failed task is reported with its log), folds the history into a table
 * with `project`, and shuts down cleanly: every worker terminated, the
 * Callosum link flushed, nothing left running.
 *
 * Run: npx tsx examples/embed.ts   (journal: $JOURNAL_PATH, else a temp dir)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeCallosumLinks, createBus, ManagedProcess, project, runTask, type Bus, type TaskResult } from '../src/index.js';

class AgentRuntime {
  readonly bus: Bus = createBus();
  private readonly services = new Map<string, ManagedProcess>();
  private readonly tasks: Promise<TaskResult>[] = [];

  constructor(readonly journal: string) {
    // React to lifecycle: a task that failed is reported with where to look.
    this.bus.on('transition', (event) => {
      if (event.to === 'exited' && event.exitCode !== 0 && !this.services.has(event.name)) {
        console.log(`[runtime] task ${event.name} failed with exit code ${event.exitCode}; its log: ${event.logPath}`);
      }
    });
    // React to output: when the observer says it is ready, start the indexing that needs it.
    this.bus.on('line', (event) => {
      if (event.name === 'observer' && event.line === 'ready') {
        console.log('[runtime] observer is ready: starting the indexer');
        this.task(['sh', '-c', 'for f in a b c; do echo "indexed $f"; done'], 'indexer');
      }
    });
  }

  /** A long-running worker, kept until shutdown. */
  async service(cmd: string[], name: string): Promise<void> {
    this.services.set(name, await ManagedProcess.spawn(cmd, { journal: this.journal, bus: this.bus, name }));
  }

  /** A task that runs to its end. */
  task(cmd: string[], name: string): void {
    this.tasks.push(runTask(cmd, { journal: this.journal, bus: this.bus, name, timeout: 10_000 }));
  }

  /** Waits for every task, then terminates every service (SIGTERM, SIGKILL after 2 s). */
  async shutdown(): Promise<void> {
    await Promise.all(this.tasks);
    console.log('[runtime] shutting down');
    await Promise.all([...this.services.values()].map((service) => service.terminate({ timeout: 2_000 })));
    await closeCallosumLinks();
  }
}

const journal = process.env.JOURNAL_PATH ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'brainstem-embed-')), 'journal');
const runtime = new AgentRuntime(journal);

await runtime.service(['sh', '-c', 'echo warming up; sleep 0.2; echo ready; while :; do sleep 1; done'], 'observer');
runtime.task(['sh', '-c', 'echo "cannot open camera" >&2; exit 2'], 'transcriber');
// Wait until the observer's readiness has started the indexer, then for everything to finish.
await new Promise<void>((resolve) => {
  const off = runtime.bus.on('transition', (event) => {
    if (event.name === 'indexer' && event.to === 'exited') {
      off();
      resolve();
    }
  });
});
await runtime.shutdown();

console.log('\n[runtime] what happened, folded from the bus history:');
for (const view of project(runtime.bus.history()).values()) {
  console.log(`  ${view.name.padEnd(12)} ${view.state.padEnd(8)} exit ${String(view.exitCode).padEnd(4)} ${path.relative(journal, view.logPath)}`);
}
