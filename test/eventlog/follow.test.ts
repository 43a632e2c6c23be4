import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EventFollower } from '../../src/eventlog/follow.js';
import type { EventRecord } from '../../src/index.js';
import { inTimeZone, tempJournal } from '../helpers.js';
import { eventsFile } from './helpers.js';

const test = suite('following the event log: new records as they come, across midnight');
inTimeZone(test, 'America/New_York');

const record = (seq: number) => JSON.stringify({ type: 'rejected', source: 'test', reason: `r${seq}`, seq, at: seq }) + '\n';

function append(file: string, text: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, text);
}

test('prints what is there, then new records; a half-written line waits for its end; at midnight the old day is finished first', () => {
  const journal = tempJournal();
  let now = new Date('2026-11-26T23:59:58-05:00').getTime();
  const seen: number[] = [];
  const follower = new EventFollower({ journal, onRecord: (r: EventRecord) => seen.push(r.seq), now: () => now });
  const day1 = eventsFile(journal, '20261126');
  const day2 = eventsFile(journal, '20261127');
  append(day1, record(1));
  follower.check();
  assert.equal(seen, [1]);
  const half = record(2);
  append(day1, half.slice(0, 10));
  follower.check();
  assert.equal(seen, [1], 'a torn line is not a record yet');
  append(day1, half.slice(10) + record(3));
  follower.check();
  assert.equal(seen, [1, 2, 3]);
  // Past midnight: a late record in the old day's file, and the new day's first.
  append(day1, record(4));
  append(day2, record(5));
  now += 3000;
  follower.check();
  assert.equal(seen, [1, 2, 3, 4, 5]);
  append(day2, 'garbage\n' + record(6));
  follower.check();
  assert.equal(seen, [1, 2, 3, 4, 5, 6]);
  follower.stop();
});

test('a log deleted and written again is read from its start; pinned to a day, it stays there', () => {
  const journal = tempJournal();
  const seen: number[] = [];
  const follower = new EventFollower({ journal, day: '20261126', onRecord: (r: EventRecord) => seen.push(r.seq), now: () => new Date('2026-11-28T12:00:00-05:00').getTime() });
  const file = eventsFile(journal, '20261126');
  append(file, record(1));
  follower.check();
  fs.rmSync(file);
  append(file, record(2));
  follower.check();
  append(eventsFile(journal, '20261128'), record(3));
  follower.check();
  assert.equal(seen, [1, 2]);
  follower.stop();
});

test.run();
