import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus } from '../../src/index.js';

const line = (text: string) => ({ ref: 'r1', name: 'w', pid: 1, stream: 'stdout' as const, line: text });
const keptLines = (bus: ReturnType<typeof createBus>) => bus.history().flatMap((event) => (event.type === 'line' ? [event.line] : []));

test('kept lines are bounded by characters as well as by count, oldest dropped first', () => {
  const bus = createBus({ lineHistoryLimit: 100, lineHistoryChars: 10 });
  bus.emitBatch('line', [line('aaaa'), line('bbbb'), line('cccc')]);
  assert.equal(keptLines(bus), ['bbbb', 'cccc']);
  bus.emit('line', line('dd'));
  assert.equal(keptLines(bus), ['bbbb', 'cccc', 'dd']);
});

test('the newest line is kept even when it alone is over the character bound', () => {
  const bus = createBus({ lineHistoryChars: 4 });
  bus.emitBatch('line', [line('short'), line('x'.repeat(50))]);
  assert.equal(keptLines(bus), ['x'.repeat(50)]);
});

test('the count bound still applies, and the character count follows what the ring dropped', () => {
  const bus = createBus({ lineHistoryLimit: 2, lineHistoryChars: 10 });
  for (let i = 0; i < 10; i++) bus.emit('line', line('12345'));
  assert.is(keptLines(bus).length, 2);
  bus.emit('line', line('1234567890'));
  assert.equal(keptLines(bus), ['1234567890']);
});

test.run();
