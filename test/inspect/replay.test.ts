/**
 * The inspector's replay of the journal's event log: what other runtimes
 * recorded today comes first, this runtime's own records come from its bus
 * (never twice), and a record that also arrived live is shown once.
 */
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, ManagedProcess, readJournalReplay, startInspector, type HistoryEvent } from '../../src/index.js';
import { readEvents } from '../../src/eventlog/read.js';
import { tempJournal, until } from '../helpers.js';
import { openStream } from './helpers.js';

const runElsewhere = async (journal: string, name: string) => {
  const run = await execa('node', ['--import', 'tsx', 'src/cli/main.ts', 'run', '--journal', journal, '--name', name, '--', 'true'], { reject: false });
  assert.is(run.exitCode, 0, run.stderr);
};

test("another runtime's records are replayed; this runtime's own are left to its bus", async () => {
  const journal = tempJournal();
  await runElsewhere(journal, 'elsewhere');
  const bus = createBus();
  const mine = await ManagedProcess.spawn(['true'], { bus, journal, name: 'mine', callosum: false });
  await mine.wait();
  const all = await until(async () => {
    const { records } = await readEvents({ journal });
    return records.some((r) => r.type === 'transition' && r.ref === mine.ref && r.to === 'exited') && records;
  }, 'our own records written');
  const replay = await readJournalReplay(journal);
  assert.ok(replay.events.length > 0);
  assert.ok(replay.events.every((r) => 'name' in r && r.name === 'elsewhere'), 'only the other runtime');
  assert.is(replay.events.length, all.filter((r) => r.host?.pid !== process.pid).length);

  // A record that also reached a Callosum-fed bus (same type, time, ref and state) is that bus event.
  const exited = replay.events.find((r) => r.type === 'transition' && r.to === 'exited')!;
  assert.ok(replay.isReplayed({ ...exited, seq: 99 } as HistoryEvent));
  assert.not.ok(replay.isReplayed({ ...exited, at: exited.at + 1 } as HistoryEvent));

  const inspector = await startInspector({ bus, journal });
  const stream = await openStream(inspector.url);
  try {
    assert.is(inspector.replayed, replay.events.length);
    await until(() => stream.messages.some((m) => m.event === 'history'), 'the history');
    const hello = JSON.parse(stream.messages.find((m) => m.event === 'hello')!.data);
    assert.is(hello.replay, replay.events.length);
    const order = stream.messages.map((m) => m.event).filter((e) => e !== 'hello');
    assert.ok(order.indexOf('replay') < order.indexOf('history'), order.join(' '));
    const replayed = stream.messages.filter((m) => m.event === 'replay').flatMap((m) => JSON.parse(m.data) as { ref: string }[]);
    assert.equal(replayed.map((r) => r.ref), replay.events.map((r) => (r as { ref: string }).ref));
    const history = stream.messages.filter((m) => m.event === 'history').flatMap((m) => JSON.parse(m.data) as HistoryEvent[]);
    assert.ok(history.some((e) => e.type === 'transition' && e.ref === mine.ref), 'our own process from the bus');
  } finally {
    stream.close();
    await inspector.close();
  }
  const without = await startInspector({ bus, journal, replay: false });
  assert.is(without.replayed, 0);
  await without.close();
});

test('a day without an event log replays nothing', async () => {
  const replay = await readJournalReplay(tempJournal(), '20200101');
  assert.equal(replay.events, []);
  assert.is(replay.skipped, 0);
});

test.run();
