import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTestClock } from '../../src/clock.js';
import { QueueFullError, ValidationError } from '../../src/errors.js';
import { TaskQueue } from '../../src/supervisor/tasks.js';
import { waitFor } from '../callosum/helpers.js';
import { alive, fixture } from '../helpers.js';
import { namedCopies, taskRig } from './tasks-helpers.js';

const RECORDS = fixture('records_its_run.sh');
const WAITS = fixture('wait-for-file.sh');
const EXITS = fixture('exit-with.sh');

test('same-name tasks never overlap, and run in the order they were submitted', async () => {
  const rig = await taskRig();
  try {
    const record = path.join(rig.dir, 'runs.txt');
    const refs = ['1', '2', '3', '4', '5'].map((label) => rig.tasks.submit([RECORDS, record, label], { ref: `run-${label}` })!);
    const stopped = await rig.waitStopped(refs);
    assert.equal(stopped.map((message) => message.exit_code), [0, 0, 0, 0, 0]);
    const lines = fs.readFileSync(record, 'utf8').trim().split('\n');
    assert.equal(lines, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3', 'start 4', 'end 4', 'start 5', 'end 5']);
    assert.equal(rig.tasks.queue(), []);
  } finally {
    await rig.close();
  }
});

test('tasks of different names run at the same time', async () => {
  const rig = await taskRig();
  try {
    const [left, right] = namedCopies(rig.dir, fixture('meets_its_pair.sh'), ['left-side', 'right-side']);
    const a = path.join(rig.dir, 'a');
    const b = path.join(rig.dir, 'b');
    // Each waits for the file the other creates: both end only if both run at once.
    rig.tasks.submit([left!, a, b], { ref: 'left' });
    rig.tasks.submit([right!, b, a], { ref: 'right' });
    const stopped = await rig.waitStopped(['left', 'right']);
    assert.equal(stopped.map((message) => [message.service, message.exit_code]), [
      ['left-side', 0],
      ['right-side', 0],
    ]);
  } finally {
    await rig.close();
  }
});

test('identical submissions coalesce: every ref hears the one exit code; the entry keeps its first day', async () => {
  const rig = await taskRig();
  try {
    // Two files named `exits`, so one command name: the blocker holds it while the others queue.
    const [exits] = namedCopies(rig.dir, EXITS, ['exits']);
    const gateExits = path.join(rig.dir, 'gate', 'exits');
    fs.mkdirSync(path.dirname(gateExits));
    fs.symlinkSync(WAITS, gateExits);
    const release = path.join(rig.dir, 'release');
    assert.is(rig.tasks.submit([gateExits, release], { ref: 'blocker' }), 'blocker');
    assert.is(rig.tasks.submit([exits!, '3'], { ref: 'first', day: '20260101' }), 'first');
    assert.is(rig.tasks.submit([exits!, '4'], { ref: 'other' }), 'other');
    assert.is(rig.tasks.submit([exits!, '3'], { ref: 'second', day: '20260102' }), 'second');
    assert.is(rig.tasks.submit([exits!, '3'], { ref: 'third' }), 'third');
    assert.equal(rig.tasks.queue(), [
      {
        command: 'exits',
        running: 'blocker',
        queued: [
          { refs: ['first', 'second', 'third'], cmd: [exits!, '3'], day: '20260101' },
          { refs: ['other'], cmd: [exits!, '4'], day: null },
        ],
      },
    ]);
    fs.writeFileSync(release, '');
    const stopped = await rig.waitStopped(['blocker', 'first', 'second', 'third', 'other']);
    assert.equal(stopped.map((message) => message.exit_code), [0, 3, 3, 3, 4]);
    assert.ok((stopped[1]!.pid as number) > 0);
    assert.is(stopped[2]!.pid, stopped[1]!.pid, 'one process answered every coalesced ref');
    assert.is(stopped[3]!.pid, stopped[1]!.pid);
    // One process, one started, logged under the primary ref on the first submission's day.
    assert.ok(rig.startedFor('first'));
    assert.is(rig.startedFor('second'), undefined);
    assert.is(rig.startedFor('third'), undefined);
    assert.ok(fs.existsSync(path.join(rig.journal, '20260101', 'health', 'first_exits.log')));
  } finally {
    await rig.close();
  }
});

test('a ref queued or running already is refused with null', async () => {
  const rig = await taskRig();
  try {
    const release = path.join(rig.dir, 'release');
    assert.is(rig.tasks.submit([WAITS, release], { ref: 'busy' }), 'busy');
    assert.is(rig.tasks.submit([WAITS, release, 'again'], { ref: 'busy' }), null, 'running');
    assert.is(rig.tasks.submit([WAITS, release, 'later'], { ref: 'waiting' }), 'waiting');
    assert.is(rig.tasks.submit([WAITS, release, 'other'], { ref: 'waiting' }), null, 'queued');
    assert.is(rig.tasks.submit([WAITS, release, 'later'], { ref: 'waiting' }), null, 'queued, same cmd');
    const generated = rig.tasks.submit([WAITS, release, 'later']);
    assert.match(generated!, /^\d+$/, 'a default ref is epoch ms');
    fs.writeFileSync(release, '');
    await rig.waitStopped(['busy', 'waiting', generated!]);
    // Once answered, a ref may be used again.
    assert.is(rig.tasks.submit([WAITS, release], { ref: 'busy' }), 'busy');
    await waitFor('the reused ref answered twice', () => rig.heard.filter((m) => m.event === 'stopped' && m.ref === 'busy').length === 2);
  } finally {
    await rig.close();
  }
});

test('a task that cannot start: no started, stopped with pid 0 and -1 for every ref, and the queue moves on', async () => {
  const rig = await taskRig();
  try {
    const [tool] = namedCopies(rig.dir, WAITS, ['missing-tool']);
    const release = path.join(rig.dir, 'release');
    const missing = path.join(rig.dir, 'nowhere', 'missing-tool');
    rig.tasks.submit([tool!, release], { ref: 'blocker' });
    rig.tasks.submit([missing], { ref: 'lost-1' });
    rig.tasks.submit([missing], { ref: 'lost-2' });
    rig.tasks.submit([tool!, release, 'after'], { ref: 'after' });
    fs.writeFileSync(release, '');
    const [lost1, lost2, after] = await rig.waitStopped(['lost-1', 'lost-2', 'after']);
    for (const lost of [lost1!, lost2!]) {
      assert.is(lost.pid, 0);
      assert.is(lost.exit_code, -1);
      assert.is(lost.service, 'missing-tool');
    }
    assert.is(rig.startedFor('lost-1'), undefined);
    assert.is(after!.exit_code, 0, 'the next one ran');
    assert.ok(rig.startedFor('after'));
    assert.ok(rig.busEvents('transition').some((event) => event.ref === 'lost-1' && event.to === 'failed'), 'the failed spawn is on the bus');
  } finally {
    await rig.close();
  }
});

test('a task whose journal cannot be written does not start: stopped -1 for each ref, and the reason on the bus', async () => {
  const rig = await taskRig();
  const blocked = path.join(rig.dir, 'not-a-directory');
  fs.writeFileSync(blocked, 'a file where the journal should be');
  const tasks = new TaskQueue({ journal: blocked, bus: rig.bus, callosum: rig.connection });
  try {
    tasks.submit([EXITS, '0'], { ref: 'nowhere' });
    tasks.submit([EXITS, '0', 'second'], { ref: 'nowhere-2' });
    const stopped = await rig.waitStopped(['nowhere', 'nowhere-2']);
    assert.equal(stopped.map((m) => [m.pid, m.exit_code]), [
      [0, -1],
      [0, -1],
    ]);
    const reasons = rig.busEvents('rejected').map((event) => `${event.source} ${event.reason}`);
    assert.is(reasons.length, 2);
    assert.match(reasons[0]!, /^task:nowhere exit-with\.sh could not start: .*not-a-directory/);
    assert.equal(tasks.queue(), []);
  } finally {
    await tasks.stop();
    await rig.close();
  }
});

test('every queue change is a bus queue event and a Callosum queue message with the reference fields', async () => {
  const rig = await taskRig();
  try {
    const release = path.join(rig.dir, 'release');
    rig.tasks.submit([WAITS, release], { ref: 'a' });
    rig.tasks.submit([WAITS, release, 'x'], { ref: 'b' });
    rig.tasks.submit([WAITS, release, 'x'], { ref: 'c' });
    fs.writeFileSync(release, '');
    await rig.waitStopped(['a', 'b', 'c']);
    const entryB = { refs: ['b'], cmd: [WAITS, release, 'x'], day: null };
    const entryBC = { refs: ['b', 'c'], cmd: [WAITS, release, 'x'], day: null };
    const expected = [
      { command: 'wait-for-file.sh', running: 'a', queued: [] }, // a started
      { command: 'wait-for-file.sh', running: 'a', queued: [entryB] }, // b queued
      { command: 'wait-for-file.sh', running: 'a', queued: [entryBC] }, // c joined b
      { command: 'wait-for-file.sh', running: 'b', queued: [] }, // a ended, b started
      { command: 'wait-for-file.sh', running: null, queued: [] }, // b ended
    ];
    assert.equal(
      rig.busEvents('queue').map(({ command, running, queued }) => ({ command, running, queued })),
      expected,
      'bus events, each keeping what it said when emitted',
    );
    await waitFor('five queue messages', () => rig.heard.filter((m) => m.event === 'queue').length === 5);
    assert.equal(
      rig.heard.filter((m) => m.event === 'queue').map(({ command, running, queued, queue }) => ({ command, running, queued, queue })),
      expected.map(({ command, running, queued }) => ({ command, running, queued: queued.length, queue: queued })),
    );
    // The order on the wire: started, then stopped for each ref, then the queue moving on.
    const events = rig.heard.map((m) => `${m.event}:${m.ref ?? m.running}`);
    assert.equal(events, ['queue:a', 'queue:a', 'queue:a', 'started:a', 'stopped:a', 'queue:b', 'started:b', 'stopped:b', 'stopped:c', 'queue:null']);
  } finally {
    await rig.close();
  }
});

test('stop() ends running tasks and answers every queued ref with -1', async () => {
  const rig = await taskRig();
  try {
    const release = path.join(rig.dir, 'never');
    const [other] = namedCopies(rig.dir, WAITS, ['other-name']);
    rig.tasks.submit([WAITS, release], { ref: 'running' });
    rig.tasks.submit([other!, release], { ref: 'also-running' });
    rig.tasks.submit([WAITS, release, '1'], { ref: 'q1' });
    rig.tasks.submit([WAITS, release, '1'], { ref: 'q1b' });
    rig.tasks.submit([WAITS, release, '2'], { ref: 'q2' });
    await waitFor('both started', () => Boolean(rig.startedFor('running') && rig.startedFor('also-running')));
    const pids = [rig.startedFor('running')!.pid as number, rig.startedFor('also-running')!.pid as number];
    await rig.tasks.stop();
    assert.equal(rig.tasks.queue(), []);
    for (const pid of pids) assert.not.ok(alive(pid), `task ${pid} ended`);
    const stopped = await rig.waitStopped(['running', 'also-running', 'q1', 'q1b', 'q2']);
    assert.equal(stopped.map((m) => [m.pid === 0, m.exit_code]), [
      [false, -15],
      [false, -15],
      [true, -1],
      [true, -1],
      [true, -1],
    ]);
    for (const ref of ['q1', 'q1b', 'q2']) assert.is(rig.startedFor(ref), undefined, `${ref} never started`);
    // The queue takes new work after a stop.
    rig.tasks.submit([EXITS, '0'], { ref: 'afterwards' });
    const [afterwards] = await rig.waitStopped(['afterwards']);
    assert.is(afterwards!.exit_code, 0);
  } finally {
    await rig.close();
  }
});

test('bad arguments are a ValidationError and run nothing', async () => {
  const rig = await taskRig();
  try {
    const bad: [unknown, unknown][] = [
      [[], {}],
      ['true', {}],
      [[1], {}],
      [['true', 2], {}],
      [['true'], { deadline: -1 }],
      [['true'], { deadline: Number.NaN }],
      [['true'], { deadline: '10' }],
      [['true'], { ref: '../escape' }],
      [['true'], { ref: '' }],
      [['true'], { day: '20261340' }],
      [['true'], { env: { A: 1 } }],
      [['true'], { cwd: 3 }],
      [['true'], null],
    ];
    for (const [cmd, options] of bad) {
      assert.throws(
        () => rig.tasks.submit(cmd as string[], options as object),
        (error: unknown) => error instanceof ValidationError,
        JSON.stringify([cmd, options]),
      );
    }
    assert.equal(rig.tasks.queue(), []);
    assert.equal(rig.bus.history(), []);
    assert.throws(() => new TaskQueue({ callosum: {} as never }), (error: unknown) => error instanceof ValidationError);
  } finally {
    await rig.close();
  }
});

test('a Callosum request is a submit; a malformed one runs nothing and is reported on the bus', async () => {
  const rig = await taskRig();
  try {
    const malformed: Record<string, unknown>[] = [
      {},
      { cmd: 'true' },
      { cmd: [] },
      { cmd: ['true', 3] },
      { cmd: ['true\u0000; rm -rf /'] },
      { cmd: [''] },
      { cmd: null },
      { cmd: ['true'], ref: '../x' },
      { cmd: ['true'], ref: 5 },
      { cmd: ['true'], day: 'tomorrow' },
      { cmd: ['true'], day: 20260101 },
    ];
    for (const fields of malformed) rig.tasks.handleRequest({ tract: 'supervisor', event: 'request', ...fields });
    const rejected = rig.busEvents('rejected');
    assert.is(rejected.length, malformed.length);
    for (const event of rejected) {
      assert.is(event.source, 'callosum:supervisor/request');
      assert.type(event.reason, 'string');
    }
    assert.equal(rig.tasks.queue(), []);
    assert.is(rig.busEvents('transition').length, 0, 'nothing spawned');

    // A good one, with a Python caller's None for day.
    rig.tasks.handleRequest({ tract: 'supervisor', event: 'request', cmd: [EXITS, '5'], ref: 'wire', day: null });
    const [stopped] = await rig.waitStopped(['wire']);
    assert.is(stopped!.exit_code, 5);
    assert.is(stopped!.service, 'exit-with.sh');
  } finally {
    await rig.close();
  }
});

test('deadline on the runtime clock: a task running longer is terminated, its stopped carries its exit code, the next starts', async () => {
  const clock = createTestClock(Date.now());
  const rig = await taskRig({ clock });
  try {
    const never = path.join(rig.dir, 'never');
    const open = path.join(rig.dir, 'open');
    fs.writeFileSync(open, '');
    rig.tasks.submit([WAITS, never], { ref: 'wedged', deadline: 60_000 });
    rig.tasks.submit([WAITS, open], { ref: 'next' });
    await waitFor('the wedged task started', () => Boolean(rig.startedFor('wedged')));
    const pid = rig.startedFor('wedged')!.pid as number;
    clock.advance(59_999);
    assert.ok(alive(pid), 'still within its deadline');
    assert.is(rig.stoppedFor('wedged'), undefined);
    clock.advance(1);
    const [wedged, next] = await rig.waitStopped(['wedged', 'next']);
    assert.is(wedged!.exit_code, -15, 'terminated with SIGTERM');
    assert.is(wedged!.pid, pid);
    assert.is(next!.exit_code, 0, 'the next one ran');
  } finally {
    await rig.close();
  }
});

test('a wedged task that ignores SIGTERM is killed at its deadline plus the terminate timeout, and frees its command', async () => {
  const clock = createTestClock(Date.now());
  const rig = await taskRig({ clock });
  try {
    const [stubborn] = namedCopies(rig.dir, fixture('ignores_sigterm.sh'), ['stubborn']);
    const [after] = namedCopies(path.join(rig.dir, 'later'), EXITS, ['stubborn']);
    rig.tasks.submit([stubborn!], { ref: 'wedged', deadline: 1_000 });
    rig.tasks.submit([after!, '0'], { ref: 'after' });
    await waitFor('it started', () => Boolean(rig.startedFor('wedged')));
    await waitFor('it ignores SIGTERM', () => fs.existsSync(path.join(rig.journal, 'health', 'stubborn.log')) && fs.readFileSync(path.join(rig.journal, 'health', 'stubborn.log'), 'utf8').includes('ignoring SIGTERM'));
    clock.advance(1_000);
    await waitFor('SIGTERM sent', () => rig.busEvents('transition').some((event) => event.ref === 'wedged' && event.to === 'terminating'));
    assert.is(rig.stoppedFor('wedged'), undefined, 'SIGTERM alone does not end it');
    clock.advance(15_000);
    const [wedged, next] = await rig.waitStopped(['wedged', 'after']);
    assert.is(wedged!.exit_code, -9, 'killed');
    assert.is(next!.exit_code, 0, 'the command is free again');
  } finally {
    await rig.close();
  }
});

test("terminateTimeout sets a wedged task's grace: SIGKILL 2 s after its deadline's SIGTERM, not 15 s", async () => {
  const clock = createTestClock(Date.now());
  const rig = await taskRig({ clock, terminateTimeout: 2_000 });
  try {
    const [stubborn] = namedCopies(rig.dir, fixture('ignores_sigterm.sh'), ['stubborn']);
    rig.tasks.submit([stubborn!], { ref: 'wedged', deadline: 1_000 });
    await waitFor('it ignores SIGTERM', () => fs.existsSync(path.join(rig.journal, 'health', 'stubborn.log')) && fs.readFileSync(path.join(rig.journal, 'health', 'stubborn.log'), 'utf8').includes('ignoring SIGTERM'));
    clock.advance(1_000);
    await waitFor('SIGTERM sent', () => rig.busEvents('transition').some((event) => event.ref === 'wedged' && event.to === 'terminating'));
    clock.advance(1_999);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.is(rig.stoppedFor('wedged'), undefined, 'still inside its grace');
    clock.advance(1);
    const [wedged] = await rig.waitStopped(['wedged']);
    assert.is(wedged!.exit_code, -9);
  } finally {
    await rig.close();
  }
});

test('a cmd equal to the running one queues a new run; a bus handler may submit as tasks end', async () => {
  const rig = await taskRig();
  try {
    const release = path.join(rig.dir, 'release');
    const chained: string[] = [];
    rig.bus.on('queue', (event) => {
      // Chain two follow-ups, one per time the queue empties.
      if (event.running === null && chained.length < 2) chained.push(rig.tasks.submit([EXITS, String(chained.length + 6)], { ref: `chained-${chained.length}` })!);
    });
    rig.tasks.submit([WAITS, release], { ref: 'running' });
    assert.is(rig.tasks.submit([WAITS, release], { ref: 'again' }), 'again');
    assert.equal(rig.tasks.queue()[0]!.queued, [{ refs: ['again'], cmd: [WAITS, release], day: null }], 'not joined to the running one');
    fs.writeFileSync(release, '');
    const [running, again] = await rig.waitStopped(['running', 'again']);
    assert.is.not(again!.pid, running!.pid, 'it ran again');
    const ends = await rig.waitStopped(['chained-0', 'chained-1']);
    assert.equal(ends.map((m) => m.exit_code), [6, 7]);
  } finally {
    await rig.close();
  }
});

test('deadline on the wall clock, and a deadline that a task meets', async () => {
  const rig = await taskRig();
  try {
    const never = path.join(rig.dir, 'never');
    const [quick] = namedCopies(rig.dir, EXITS, ['quick']);
    rig.tasks.submit([WAITS, never], { ref: 'slow', deadline: 200 });
    rig.tasks.submit([quick!, '2'], { ref: 'quick', deadline: 600_000 });
    const [slow, fast] = await rig.waitStopped(['slow', 'quick']);
    assert.is(slow!.exit_code, -15);
    assert.is(fast!.exit_code, 2, 'a task within its deadline keeps its own exit code');
  } finally {
    await rig.close();
  }
});

test('a 1,000-submission burst on one name: order kept, nothing lost, memory bounded', async () => {
  const rig = await taskRig();
  try {
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const refs: string[] = [];
    for (let i = 0; i < 1000; i++) refs.push(rig.tasks.submit(['true', String(i)], { ref: `burst-${i}` })!);
    const [queue] = rig.tasks.queue();
    assert.is(queue!.queued.length, 999);
    const grown = process.memoryUsage().heapUsed - before;
    // A thousand queue events each listing up to 999 entries: shared entries, not copies (about 4 MB of pointers).
    assert.ok(grown < 64 * 1024 * 1024, `heap grew ${(grown / 1048576).toFixed(1)} MB for the burst`);
    const stopped = await rig.waitStopped(refs, 30_000);
    assert.ok(stopped.every((message) => message.exit_code === 0));
    const order = rig.heard.filter((m) => m.event === 'started').map((m) => m.ref);
    assert.equal(order, refs, 'started in submission order');
    assert.equal(
      rig.heard.filter((m) => m.event === 'stopped').map((m) => m.ref),
      refs,
      'stopped in submission order',
    );
    // The last queue message follows the last stopped.
    await waitFor('a queue message per submission and per end', () => rig.heard.filter((m) => m.event === 'queue').length >= 2000);
    assert.is(rig.heard.filter((m) => m.event === 'queue').length, 2000, 'each submission and each end');
    assert.equal(rig.tasks.queue(), []);
  } finally {
    await rig.close();
  }
});

test('maxQueued bounds what waits per command: past it submit throws QueueFullError and a request is rejected, nothing queued; other commands and later submissions go on', async () => {
  const rig = await taskRig({ maxQueued: 3 });
  try {
    const release = path.join(rig.dir, 'release');
    const [gate] = namedCopies(rig.dir, WAITS, ['exit-with.sh']);
    rig.tasks.submit([gate!, release], { ref: 'running' });
    for (const code of ['1', '2']) rig.tasks.submit([EXITS, code], { ref: `waiting-${code}` });
    // A joined submission is one more ref waiting, and counts.
    assert.is(rig.tasks.submit([EXITS, '2'], { ref: 'joined' }), 'joined');
    const refused = (() => {
      try {
        rig.tasks.submit([EXITS, '3'], { ref: 'one-too-many' });
      } catch (error) {
        return error;
      }
    })();
    assert.instance(refused, QueueFullError);
    assert.is((refused as QueueFullError).command, 'exit-with.sh');
    assert.is((refused as QueueFullError).limit, 3);
    assert.match((refused as Error).message, /full: 3 refs wait already/);
    assert.throws(() => rig.tasks.submit([EXITS, '2'], { ref: 'join-too-many' }), (error: unknown) => error instanceof QueueFullError);
    rig.tasks.handleRequest({ tract: 'supervisor', event: 'request', cmd: [EXITS, '4'], ref: 'from-the-wire' });
    const rejected = rig.busEvents('rejected');
    assert.is(rejected.length, 1);
    assert.match(rejected[0]!.reason, /exit-with.sh is full/);
    assert.equal(rig.tasks.queue()[0]!.queued.map((entry) => entry.refs), [['waiting-1'], ['waiting-2', 'joined']]);

    // Another command has a queue of its own.
    const [other] = await rig.waitStopped([rig.tasks.submit(['true'], { ref: 'other-command' })!]);
    assert.is(other!.exit_code, 0);

    fs.writeFileSync(release, '');
    await rig.waitStopped(['running', 'waiting-1', 'waiting-2', 'joined']);
    const [later] = await rig.waitStopped([rig.tasks.submit([EXITS, '3'], { ref: 'later' })!]);
    assert.is(later!.exit_code, 3, 'room again once the queue has run');
    for (const ref of ['one-too-many', 'join-too-many', 'from-the-wire']) assert.is(rig.startedFor(ref), undefined, `${ref} never ran`);
  } finally {
    await rig.close();
  }
});

test('two submissions from a queue handler that find one place left: the second is refused after the fact, on the bus and with stopped -1', async () => {
  const rig = await taskRig({ maxQueued: 2 });
  try {
    const release = path.join(rig.dir, 'release');
    const [gate] = namedCopies(rig.dir, WAITS, ['exit-with.sh']);
    const fromHandler: (string | null)[] = [];
    rig.bus.on('queue', (event) => {
      // Sent while the queue is busy announcing: both wait in its mailbox, past the check submit makes first.
      if (event.queued.length === 1 && fromHandler.length === 0) fromHandler.push(rig.tasks.submit([EXITS, '5'], { ref: 'fits' }), rig.tasks.submit([EXITS, '6'], { ref: 'does-not-fit' }));
    });
    rig.tasks.submit([gate!, release], { ref: 'running' });
    rig.tasks.submit([EXITS, '4'], { ref: 'first' });
    assert.equal(fromHandler, ['fits', 'does-not-fit']);
    const [notRun] = await rig.waitStopped(['does-not-fit']);
    assert.is(notRun!.exit_code, -1);
    assert.is(notRun!.pid, 0);
    const rejected = rig.busEvents('rejected');
    assert.is(rejected.length, 1);
    assert.is(rejected[0]!.source, 'task:does-not-fit');
    assert.match(rejected[0]!.reason, /full: 2 refs wait already/);
    fs.writeFileSync(release, '');
    const ends = await rig.waitStopped(['running', 'first', 'fits']);
    assert.equal(ends.map((m) => m.exit_code), [0, 4, 5]);
  } finally {
    await rig.close();
  }
});

test('maxQueued that is not a whole number >= 1 is a ValidationError; Infinity (the default: no bound, as SPEC 9) is not', async () => {
  await new TaskQueue({ maxQueued: Infinity, callosum: false }).stop();
  for (const bad of [0, -1, 1.5, Number.NaN, '10' as unknown as number]) {
    assert.throws(() => new TaskQueue({ maxQueued: bad, callosum: false }), (error: unknown) => error instanceof ValidationError && (error as ValidationError).field === 'maxQueued');
  }
});

test.run();
