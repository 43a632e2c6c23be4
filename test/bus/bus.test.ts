import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, project, type HistoryEvent } from '../../src/index.js';

const line = (n: number) => ({ ref: 'r1', name: 'w', pid: 1, stream: 'stdout' as const, line: `l${n}` });
const transition = (from: any, to: any, extra: object = {}) => ({ ref: 'r1', name: 'w', from, to, cmd: ['w'], logPath: '/j/w.log', startTime: 5, ...extra });

test('every event is stamped with seq (+1 per bus) and at', () => {
  let clock = 1000;
  const bus = createBus({ now: () => clock++ });
  const seen: number[] = [];
  bus.on('*', (_type, event) => seen.push(event.seq));
  const first = bus.emit('log', { ref: 'r1', name: 'w', kind: 'opened', path: '/x' });
  bus.emitBatch('line', [line(1), line(2)]);
  assert.equal(seen, [1, 2, 3]);
  assert.is(first.at, 1000);
  assert.is(bus.seq, 3);
});

test('typed and wildcard handlers; on() returns an unsubscribe', () => {
  const bus = createBus();
  const typed: string[] = [];
  const all: string[] = [];
  const off = bus.on('line', (event) => typed.push(event.line));
  bus.on('*', (type) => all.push(type));
  bus.emitBatch('line', [line(1)]);
  off();
  bus.emitBatch('line', [line(2)]);
  bus.emit('transition', transition(null, 'spawning'));
  assert.equal(typed, ['l1']);
  assert.equal(all, ['line', 'line', 'transition']);
});

test('a handler that throws is reported and stops neither other handlers nor the emitter', () => {
  const reported: unknown[] = [];
  const bus = createBus({ onError: (error) => reported.push(error) });
  const after: number[] = [];
  bus.on('line', () => {
    throw new Error('boom');
  });
  bus.on('*', () => {
    throw new Error('wild boom');
  });
  bus.on('line', (event) => after.push(event.seq));
  bus.emitBatch('line', [line(1), line(2)]);
  bus.emit('line', line(3));
  assert.equal(after, [1, 2, 3]);
  assert.is(reported.length, 6);
  assert.is(bus.handlerErrors, 6);
});

test('history keeps events in order with their type, bounded, oldest dropped first', () => {
  const bus = createBus({ historyLimit: 3, lineHistoryLimit: 2 });
  bus.emit('transition', transition(null, 'spawning'));
  bus.emit('transition', transition('spawning', 'running', { pid: 7 }));
  bus.emitBatch('line', [line(1), line(2), line(3)]);
  bus.emit('transition', transition('running', 'exited', { pid: 7, exitCode: 0 }));
  bus.emit('log', { ref: 'r1', name: 'w', kind: 'rolled', path: '/j/2.log' });
  const kept = bus.history();
  assert.equal(
    kept.map((event) => `${event.type}:${event.seq}`),
    ['transition:2', 'line:4', 'line:5', 'transition:6', 'log:7'],
  );
});

test('a flood of lines never pushes lifecycle events out of history', () => {
  const bus = createBus({ lineHistoryLimit: 10 });
  bus.emit('transition', transition(null, 'spawning'));
  for (let i = 0; i < 100; i++) bus.emitBatch('line', [line(i), line(i)]);
  const kept = bus.history();
  assert.is(kept[0]!.type, 'transition');
  assert.is(kept.filter((event) => event.type === 'line').length, 10);
});

test('project folds events into the table by ref', () => {
  const events: HistoryEvent[] = [
    { type: 'transition', seq: 1, at: 0, ...transition(null, 'spawning') },
    { type: 'transition', seq: 2, at: 0, ...transition('spawning', 'running', { pid: 42 }) },
    { type: 'log', seq: 3, at: 0, ref: 'r1', name: 'w', kind: 'rolled', path: '/j/next.log' },
    { type: 'transition', seq: 4, at: 0, ...transition(null, 'spawning'), ref: 'r2', name: 'x', logPath: '/j/x.log' },
    { type: 'transition', seq: 5, at: 0, ...transition('spawning', 'failed'), ref: 'r2', name: 'x', logPath: '/j/x.log', error: 'ENOENT' },
    { type: 'transition', seq: 6, at: 0, ...transition('running', 'exited', { pid: 42, exitCode: 3 }), logPath: '/j/next.log' },
  ];
  const table = project(events);
  assert.equal(table.get('r1'), { ref: 'r1', name: 'w', pid: 42, state: 'exited', exitCode: 3, logPath: '/j/next.log' });
  assert.equal(table.get('r2'), { ref: 'r2', name: 'x', pid: null, state: 'failed', exitCode: null, logPath: '/j/x.log' });
  // A prefix of the history is the table as it was then.
  assert.is(project(events.slice(0, 2)).get('r1')!.state, 'running');
});

test.run();
