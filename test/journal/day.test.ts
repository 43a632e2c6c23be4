import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../src/index.js';
import { checkDay, dayOf, nextMidnight } from '../../src/journal/day.js';
import { localTimestamp } from '../../src/journal/line-format.js';
import { inTimeZone } from '../helpers.js';

inTimeZone(test, 'America/New_York');

const HOUR = 3_600_000;

test('day and timestamps are local time', () => {
  const t = Date.parse('2026-11-26T03:30:15Z'); // 22:30:15 the day before in New York
  assert.is(dayOf(t), '20261125');
  assert.is(localTimestamp(t), '2026-11-25T22:30:15');
});

test('next midnight on an ordinary day is 24 hours after the last', () => {
  const noon = Date.parse('2026-06-10T12:00:00-04:00');
  assert.is(nextMidnight(noon), Date.parse('2026-06-11T00:00:00-04:00'));
});

test('the 23-hour day (2026-03-08, DST starts) and the 25-hour day (2026-11-01, DST ends)', () => {
  const springStart = Date.parse('2026-03-08T00:00:00-05:00');
  assert.is(nextMidnight(springStart) - springStart, 23 * HOUR);
  const fallStart = Date.parse('2026-11-01T00:00:00-04:00');
  assert.is(nextMidnight(fallStart) - fallStart, 25 * HOUR);
  assert.is(dayOf(nextMidnight(fallStart)), '20261102');
});

test('next midnight follows the time zone in force at each call, and any earlier time of the same day', () => {
  const t = Date.parse('2026-06-10T12:00:00-04:00');
  assert.is(nextMidnight(t), Date.parse('2026-06-11T00:00:00-04:00'));
  process.env.TZ = 'Asia/Tokyo';
  try {
    assert.is(nextMidnight(t), Date.parse('2026-06-12T00:00:00+09:00'), 'in Tokyo it is already 01:00 on the 11th');
  } finally {
    process.env.TZ = 'America/New_York';
  }
  assert.is(nextMidnight(t), Date.parse('2026-06-11T00:00:00-04:00'));
  assert.is(nextMidnight(t - 11 * HOUR), Date.parse('2026-06-11T00:00:00-04:00'), 'earlier the same day');
  assert.is(nextMidnight(t - 13 * HOUR), Date.parse('2026-06-10T00:00:00-04:00'), 'the day before');
  assert.is(nextMidnight(Date.parse('2026-06-11T00:00:00-04:00')), Date.parse('2026-06-12T00:00:00-04:00'), 'at midnight itself');
});

test('day must be a real YYYYMMDD date', () => {
  assert.is(checkDay('20240229'), '20240229');
  for (const bad of ['20260230', '20261301', '2026-11-26', '2026112', 20261126, '']) {
    assert.throws(() => checkDay(bad), (error: unknown) => error instanceof ValidationError && /YYYYMMDD/.test((error as Error).message));
  }
});

test.run();
