import { DateTime, Settings, type Zone } from 'luxon';
import { ValidationError } from '../errors.js';

/** `YYYYMMDD` of the local day containing `epochMs`. */
export function dayOf(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}${pad2(d.getMonth() + 1)}${pad2(d.getDate())}`;
}

// Every spawn asks for the same midnight (its log's roll time), and luxon builds about 14 KB of
// objects per answer: the last answer holds for the whole local day before it, in the same time
// zone. (Held from the time asked only, it was asked again whenever an event stamped a moment
// earlier came after a spawn: once a run.)
let last: { from: number; next: number; zone: Zone | null; tz: string | undefined } = { from: 0, next: -Infinity, zone: null, tz: undefined };

/** Epoch ms of the next local midnight after `epochMs`; luxon gets 23- and 25-hour days right. */
export function nextMidnight(epochMs: number): number {
  const zone = Settings.defaultZone;
  const tz = process.env.TZ;
  if (epochMs >= last.from && epochMs < last.next && zone === last.zone && tz === last.tz) return last.next;
  const local = DateTime.fromMillis(epochMs);
  const next = local.plus({ days: 1 }).startOf('day').toMillis();
  last = { from: Math.min(epochMs, local.startOf('day').toMillis()), next, zone, tz };
  return next;
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
