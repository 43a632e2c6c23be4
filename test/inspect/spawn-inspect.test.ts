import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InspectionEvent } from 'xstate';
import { createBus, ManagedProcess } from '../../src/index.js';
import { tempJournal } from '../helpers.js';

test("spawn's inspect option sees the process machine's own events, as Stately's inspector would", async () => {
  const seen: InspectionEvent[] = [];
  const managed = await ManagedProcess.spawn(['sh', '-c', 'echo hi'], {
    bus: createBus(),
    journal: tempJournal(),
    name: 'inspected',
    callosum: false,
    inspect: (event) => seen.push(event),
  });
  await managed.wait();
  await managed.cleanup();

  const mine = (event: InspectionEvent) => event.actorRef === managed.actor;
  assert.ok(seen.some((e) => mine(e) && e.type === '@xstate.actor'), 'the actor announced');
  const received = seen.filter((e) => mine(e) && e.type === '@xstate.event').map((e) => (e as unknown as { event: { type: string } }).event.type);
  assert.ok(received.includes('SPAWNED'), `machine events: ${received.join(', ')}`);
  assert.ok(received.includes('EXITED'), `machine events: ${received.join(', ')}`);
  const states = seen.filter((e) => mine(e) && e.type === '@xstate.snapshot').map((e) => (e as unknown as { snapshot: { value: unknown } }).snapshot.value);
  assert.ok(states.includes('running'));
  assert.is(states.at(-1), 'exited');
  // The child actors (pipe readers, log writer) are inspected too.
  assert.ok(seen.some((e) => e.type === '@xstate.actor' && e.actorRef !== managed.actor));
});

test.run();
