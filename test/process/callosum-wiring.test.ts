import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CallosumConnection, CallosumServer, createBus, runTask } from '../../src/index.js';
import { fixture, tempJournal, until } from '../helpers.js';

type Message = Record<string, any> & { tract: string; event: string };

/** A server on `socketPath` and a listener that parses every message it hears. */
async function serve(socketPath: string) {
  const server = new CallosumServer({ socketPath });
  await server.start();
  const heard: Message[] = [];
  const listener = new CallosumConnection({ socketPath });
  listener.start((message) => heard.push(message as Message));
  await until(() => listener.isConnected, 'the listener to connect');
  return {
    heard,
    stop: async () => {
      await listener.stop();
      await server.stop();
    },
  };
}

test('spawn forwards to the journal socket through one shared connection: exec, lines, exit', async () => {
  const journal = tempJournal();
  const socketPath = path.join(journal, 'health', 'callosum.sock');
  const { heard, stop } = await serve(socketPath);
  try {
    const bus = createBus();
    const result = await runTask([fixture('exit-with.sh'), '4'], { journal, bus });
    const logs = () => heard.filter((m) => m.tract === 'logs' && m.ref === result.ref);
    await until(() => logs().some((m) => m.event === 'exit'), 'the exit event');
    const events = logs().map((m) => m.event);
    assert.is(events[0], 'exec');
    assert.is(events.at(-1), 'exit');
    assert.equal(events.filter((e) => e === 'line').length, 2);
    const exec = logs()[0]!;
    assert.equal([exec.name, exec.log_path, exec.cmd], ['exit-with.sh', result.logPath, [fixture('exit-with.sh'), '4']]);
    assert.ok(Number.isInteger(exec.pid) && typeof exec.ts === 'number');
    const exit = logs().at(-1)!;
    assert.equal([exit.exit_code, exit.lines_shed, exit.log_path], [4, 0, result.logPath]);
    assert.ok(exit.duration_ms >= 0);
    // A second task on the same journal shares the connection: its events arrive too, once each.
    const again = await runTask(['true'], { journal, bus: createBus() });
    await until(() => heard.some((m) => m.event === 'exit' && m.ref === again.ref), 'the second exit');
    assert.is(heard.filter((m) => m.event === 'exec' && m.ref === again.ref).length, 1);
  } finally {
    await stop();
  }
});

test('callosum: false sends nothing; a shared connection given explicitly is used', async () => {
  const journal = tempJournal();
  const socketPath = path.join(path.dirname(journal), 'other.sock');
  const { heard, stop } = await serve(socketPath);
  const connection = new CallosumConnection({ socketPath });
  connection.start();
  try {
    const silent = await runTask(['true'], { journal, callosum: false, bus: createBus() });
    const loud = await runTask(['true'], { journal, callosum: connection, bus: createBus() });
    await until(() => heard.some((m) => m.event === 'exit' && m.ref === loud.ref), 'the exit through the given connection');
    assert.not.ok(heard.some((m) => m.ref === silent.ref));
  } finally {
    await connection.stop();
    await stop();
  }
});

test('a flood that outruns a live server loses no line: the child is held back instead, and lines_shed is 0', async () => {
  const journal = tempJournal();
  const socketPath = path.join(journal, 'health', 'callosum.sock');
  // A listener that parses every message, in the same process as the server and the runtime: far slower than the child.
  const { heard, stop } = await serve(socketPath);
  try {
    const count = 200_000;
    const result = await runTask([fixture('flood.mjs'), String(count)], { journal, bus: createBus() });
    assert.ok(result.success);
    await until(() => heard.some((m) => m.event === 'exit' && m.ref === result.ref), 'the exit event', 120_000);
    const lines = heard.filter((m) => m.event === 'line' && m.ref === result.ref);
    assert.is(lines.length, count);
    assert.equal([lines[0]!.line, lines.at(-1)!.line], ['line 1', `line ${count}`]);
    assert.is(heard.find((m) => m.event === 'exit' && m.ref === result.ref)!.lines_shed, 0);
  } finally {
    await stop();
  }
});

test.run();
