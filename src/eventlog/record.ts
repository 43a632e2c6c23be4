/**
 * One line of `<journal>/<YYYYMMDD>/health/events.jsonl`: a bus event with
 * its `type`, `seq` and `at`, plus the runtime that wrote it.
 */
import path from 'node:path';
import type { BusEventType, HistoryEvent } from '../bus/events.js';
import { dayHealthDir } from '../journal/paths.js';
import type { HostIdentity } from './proc.js';

/** What a record adds to the bus event it carries. */
export type RecordFields = {
  /** The runtime that wrote the record: its pid and the kernel's start time of that pid (field 22 of `/proc/<pid>/stat`). */
  host?: HostIdentity;
  /** On a `running` transition (and a swept one): the child's process group. */
  pgid?: number;
  /** On a `running` transition (and a swept one): the kernel's start time of the child, in the unit of `host.start`. */
  pidStart?: number;
  /** On a `transition` to `killed` written by `sweepOrphans`: the process was left behind by a dead runtime and ended by a sweep. */
  swept?: boolean;
};

/** A record as `readEvents` returns it: a bus event (with `type`) plus the record's own fields. */
export type EventRecord = HistoryEvent & RecordFields;

/** `<journal>/<day>/health/events.jsonl` */
export function eventLogPath(journal: string, day: string): string {
  return path.join(dayHealthDir(journal, day), 'events.jsonl');
}

/** The longest record, newline included, in bytes of UTF-8. */
export const MAX_RECORD_BYTES = 64 * 1024 - 1;

/** Fields never cut: they name the record and its process. */
const KEPT = new Set(['type', 'ref', 'name']);

/**
 * The record's line, newline included, at most `MAX_RECORD_BYTES`: long
 * strings (and long lists) other than `type`, `ref` and `name` are cut,
 * ending in `…`, as much as it takes.
 */
export function encodeRecord(type: Exclude<BusEventType, 'line'>, event: object, fields: RecordFields): string {
  const record = { type, ...event, ...fields };
  const line = JSON.stringify(record) + '\n';
  // Three bytes per UTF-16 unit at most (escapes aside): most records are far below the limit.
  if (line.length * 3 <= MAX_RECORD_BYTES || Buffer.byteLength(line) <= MAX_RECORD_BYTES) return line;
  for (let limit = 16 * 1024; ; limit = Math.floor(limit / 2)) {
    const cut: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(record)) cut[key] = KEPT.has(key) ? value : cutValue(value, limit);
    const shorter = JSON.stringify(cut) + '\n';
    if (Buffer.byteLength(shorter) <= MAX_RECORD_BYTES || limit <= 1) return shorter;
  }
}

/** Strings longer than `limit` UTF-16 units and lists longer than `limit` items, cut to it and marked `…`. */
function cutValue(value: unknown, limit: number): unknown {
  if (typeof value === 'string') {
    if (value.length <= limit) return value;
    let end = limit;
    // Never leave half a surrogate pair behind.
    const last = value.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--;
    return value.slice(0, end) + '…';
  }
  if (Array.isArray(value)) {
    const items = value.slice(0, limit).map((item) => cutValue(item, limit));
    if (value.length > limit) items.push('…');
    return items;
  }
  if (value !== null && typeof value === 'object') {
    const cut: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) cut[key] = cutValue(item, limit);
    return cut;
  }
  return value;
}

/** A parsed line, when it is a record: a JSON object with a string `type`. */
export function parseRecord(line: string): EventRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  if (typeof (value as { type?: unknown }).type !== 'string') return undefined;
  return value as EventRecord;
}
