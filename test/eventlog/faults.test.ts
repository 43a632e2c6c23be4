import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, readEvents, runTask, type LogEvent } from '../../src/index.js';
import { fixture, scratchDir } from '../helpers.js';
import { flushed } from './helpers.js';

/** A real small filesystem, where root may mount one. */
function mountTinyTmpfs(at: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', at], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Writes into `file` until the filesystem is full. */
function fill(file: string): void {
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(4096, 120);
  try {
    for (;;) fs.writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    fs.closeSync(fd);
  }
}

test('disk full: the event log reports one log error on the bus, processes run and exit as if nothing happened; writing resumes when space returns', async () => {
  const journal = path.join(scratchDir('eventlog-full'), 'journal');
  fs.mkdirSync(journal, { mode: 0o700 });
  if (!mountTinyTmpfs(journal)) {
    console.log('  (no tmpfs here: mount -t tmpfs refused; skipped)');
    return;
  }
  try {
    const bus = createBus();
    // The day's directories exist before the disk fills, as they would for a runtime already running.
    await runTask(['true'], { journal, bus, name: 'before' });
    await flushed();
    const filler = path.join(journal, 'filler');
    fill(filler);
    let lines = 0;
    bus.on('line', () => lines++);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await runTask([fixture('prints_numbered_lines.sh'), 'n', '5'], { journal, bus, name: 'full' }));
    await flushed();
    assert.equal(results.map((result) => result.exitCode), [0, 0, 0], 'every process ran to its end');
    assert.is(lines, 15, 'every line reached the bus');
    const errors = bus.history().filter((event): event is Extract<typeof event, { type: 'log' }> => event.type === 'log' && event.kind === 'error') as LogEvent[];
    const eventLogErrors = errors.filter((event) => event.name === 'event-log');
    assert.is(eventLogErrors.length, 1, 'reported once per failure streak');
    assert.match(eventLogErrors[0]!.error!, /ENOSPC/);
    assert.match(eventLogErrors[0]!.path, /events\.jsonl$/);

    fs.rmSync(filler);
    await runTask(['true'], { journal, bus, name: 'after' });
    await flushed();
    const { records, skipped } = await readEvents({ journal });
    // The write that hit the full disk may have left part of a record: one skipped line, never a later record swallowed.
    assert.ok(skipped <= 1, `${skipped} lines skipped`);
    const names = new Set(records.map((record) => (record as { name?: string }).name));
    assert.ok(names.has('before') && names.has('after'), 'records before the disk filled and after it emptied');
  } finally {
    // Lazily: the event log may still hold its descriptor (it closes after a few idle seconds).
    execFileSync('umount', ['-l', journal]);
  }
});

test.run();
