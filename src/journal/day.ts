import { DateTime } from 'luxon';
import { ValidationError } from '../errors.js';

/** `YYYYMMDD` of the local day containing `epochMs`. */
export function dayOf(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}${pad2(d.getMonth() + 1)}${pad2(d.getDate())}`;
}

/** Epoch ms of the next local midnight after `epochMs`; luxon gets 23- and 25-hour days right. */
export function nextMidnight(epochMs: number): number {
  return DateTime.fromMillis(epochMs).plus({ days: 1 }).startOf('day').toMillis();
}

/** Accepts a real calendar date written `YYYYMMDD`. */
export function checkDay(day: unknown): string {
  if (typeof day !== 'string' || !/^\d{8}$/.test(day) || !DateTime.fromFormat(day, 'yyyyMMdd').isValid) {
    throw new ValidationError(`Invalid day ${JSON.stringify(day)}: expected a real date as YYYYMMDD, e.g. 20261126`, 'day');
  }
  return day;
}

export function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
