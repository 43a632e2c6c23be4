import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, ManagedProcess, runTask, type Stamped } from '../../src/index.js';
import { fixture, isAlive, logTexts, numbered, tempDir, until } from './helpers.js';

const test = suite('pipes and the bus: floods, held pipes and throwing handlers are survived');

test('a bus handler that throws: the other handlers, the log and the machine carry on; every error is reported', async () => {
  const { journal, remove } = tempDir('throwing-handler');
  const reported: { error: unknown; type: string }[] = [];
  const bus = createBus({ onError: (error, type) => reported.push({ error, type }) });
  const seen: string[] = [];
  const transitions: string[] = [];
  bus.on('line', () => {
    throw new Error('line handler broke');
  });
  bus.on('transition', () => {
    throw new Error('transition handler broke');
  });
  bus.on('*', (type) => {
    if (type === 'log') throw new Error('wildcard handler broke');
  });
  bus.on('line', (event) => seen.push(event.line));
  bus.on('transition', (event) => transitions.push(event.to));
  try {
    const result = await runTask([fixture('prints_numbered_lines.sh'), 'n', '100', '4'], { journal, bus });
    assert.is(result.exitCode, 4);
    assert.equal(seen, numbered('n ', 1, 100), 'the handler registered after the throwing one got every line');
    assert.equal(transitions, ['spawning', 'running', 'exited']);
    assert.equal(logTexts(result.logPath), numbered('n ', 1, 100), 'the log is complete');
    assert.is(reported.filter((r) => r.type === 'line').length, 100, 'each throw on a line reported');
    assert.is(reported.filter((r) => r.type === 'transition').length, 3);
    assert.ok(reported.some((r) => r.type === 'log' && (r.error as Error).message === 'wildcard handler broke'));
    assert.is(bus.handlerErrors, reported.length);
  } finally {
    remove();
  }
});

test('an onError that itself throws does not stop anything either', async () => {
  const { journal, remove } = tempDir('throwing-onerror');
  const bus = createBus({
    onError: () => {
      throw new Error('the reporter broke too');
    },
  });
  let lines = 0;
  bus.on('line', () => {
    throw new Error('boom');
  });
  bus.on('line', () => lines++);
  const printed = console.error;
  let printedErrors = 0;
  console.error = () => printedErrors++; // the fallback prints; keep the test output clean
  try {
    const result = await runTask([fixture('prints_numbered_lines.sh'), 'n', '10'], { journal, bus });
    assert.is(result.exitCode, 0);
    assert.is(lines, 10);
    assert.is(printedErrors, 10, 'the reporter failure itself is printed, not swallowed');
  } finally {
    console.error = printed;
    remove();
  }
});

test('a grandchild keeps stdout open after the child exits: the exit is reported after the drain bound and the group is ended', async () => {
  const { journal, remove } = tempDir('held-pipe');
  const bus = createBus();
  let grandchild = 0;
  bus.on('line', (event) => {
    const match = /^grandchild (\d+)$/.exec(event.line);
    if (match) grandchild = Number(match[1]);
  });
  try {
    const mp = await ManagedProcess.spawn([fixture('leaves_grandchild_holding_stdout.sh')], { journal, bus, drainTimeout: 300 });
    // The grandchild sleeps 60 s holding both pipes: without the bound this would wait that long.
    const code = await mp.wait();
    assert.is(code, 0);
    assert.is(mp.state, 'exited');
    assert.ok(grandchild > 0, 'the grandchild announced itself');
    await until(`grandchild ${grandchild} is ended with its group`, () => !isAlive(grandchild), 10_000);
    assert.equal(logTexts(mp.logPath), [`grandchild ${grandchild}`]);
  } finally {
    remove();
  }
});

test('the default drain bound (2 s) applies when no drainTimeout is given', async () => {
  const { journal, remove } = tempDir('held-pipe-default');
  try {
    const started = Date.now();
    const result = await runTask([fixture('leaves_grandchild_holding_stdout.sh')], { journal });
    assert.is(result.exitCode, 0);
    // Not a timing assertion: the grandchild would hold the pipe for 60 s; the exit came long before that.
    assert.ok(Date.now() - started < 50_000, 'the exit waited for the grandchild instead of the bound');
  } finally {
    remove();
  }
});

test('a child floods stdout and stderr at once (200,000 lines each): both read to the end, order kept in each', async () => {
  const { journal, remove } = tempDir('flood');
  const bus = createBus();
  const next = { stdout: 1, stderr: 1 };
  const disorder: string[] = [];
  const check = (event: Stamped<'line'>) => {
    const prefix = event.stream === 'stdout' ? 'out ' : 'err ';
    if (event.line !== `${prefix}${next[event.stream]}`) disorder.push(`${event.stream}: expected ${prefix}${next[event.stream]}, got ${event.line}`);
    next[event.stream]++;
  };
  bus.on('line', check);
  try {
    const result = await runTask([fixture('floods_both_streams.sh'), '200000'], { journal, bus });
    assert.is(result.exitCode, 0);
    assert.equal(disorder.slice(0, 3), []);
    assert.is(next.stdout - 1, 200_000);
    assert.is(next.stderr - 1, 200_000);
    const out = logTexts(result.logPath, 'stdout');
    const err = logTexts(result.logPath, 'stderr');
    assert.is(out.length, 200_000);
    assert.is(err.length, 200_000);
    assert.ok(out.every((line, i) => line === `out ${i + 1}`), 'stdout in order in the log');
    assert.ok(err.every((line, i) => line === `err ${i + 1}`), 'stderr in order in the log');
  } finally {
    remove();
  }
});

test.run();
