import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PrettyPrinter } from '../../src/cli/callosum/pretty.js';
import { tempJournal, until } from '../helpers.js';
import { runBin, startBin, stopBin, type BinProcess } from './bin.js';

const test = suite('cli: brainstem callosum');

const socketOf = (journal: string) => path.join(journal, 'health', 'callosum.sock');
const jsonLines = (text: string) => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

/** A `callosum serve` and listeners on one journal, all stopped at the end whatever happens. */
async function withServer(run: (journal: string, started: BinProcess[]) => Promise<void>): Promise<void> {
  const journal = tempJournal();
  const started: BinProcess[] = [];
  try {
    const server = startBin(['callosum', 'serve', '--journal', journal]);
    started.push(server);
    await server.waitFor('stderr', `listening on ${socketOf(journal)}`);
    await run(journal, started);
  } finally {
    for (const bin of started) await stopBin(bin);
  }
}

async function listener(journal: string, started: BinProcess[], args: string[] = []): Promise<BinProcess> {
  const bin = startBin(['callosum', 'listen', '--journal', journal, ...args]);
  started.push(bin);
  await bin.waitFor('stderr', `connected to ${socketOf(journal)}`);
  return bin;
}

test('serve says where it listens (socket 0600), refuses a second server, and stops cleanly on SIGINT', async () => {
  await withServer(async (journal, started) => {
    const server = started[0]!;
    assert.is(fs.statSync(socketOf(journal)).mode & 0o777, 0o600);
    const second = await runBin(['callosum', 'serve', '--journal', journal]);
    assert.is(second.code, 1);
    assert.match(second.stderr, /already listening/);
    server.child.kill('SIGINT');
    const result = await server.done;
    assert.is(result.code, 0);
    assert.match(result.stderr, /stopped on SIGINT/);
    assert.not.ok(fs.existsSync(socketOf(journal)), 'the socket is removed');
  });
});

test('send (key=value, key:=json, or one JSON object) reaches listen, one JSON object per line with ts', async () => {
  await withServer(async (journal, started) => {
    const listen = await listener(journal, started);
    const sent = await runBin(['callosum', 'send', '--journal', journal, 'chat', 'said', 'text=hello world', 'n:=42', 'tags:=["a","b"]']);
    assert.is(sent.code, 0, sent.stderr);
    assert.is((await runBin(['callosum', 'send', '--journal', journal, '{"tract":"cortex","event":"agent_start","agent":"x"}'])).code, 0);
    await until(() => jsonLines(listen.stdout).length >= 2, 'both messages');
    const [first, second] = jsonLines(listen.stdout);
    assert.equal({ ...first, ts: 0 }, { tract: 'chat', event: 'said', text: 'hello world', n: 42, tags: ['a', 'b'], ts: 0 });
    assert.type(first!.ts, 'number');
    assert.equal({ ...second, ts: 0 }, { tract: 'cortex', event: 'agent_start', agent: 'x', ts: 0 });
    listen.child.kill('SIGINT');
    assert.is((await listen.done).code, 0);
  });
});

test('listen --tract/--event filters; run publishes exec, line and exit on the logs tract', async () => {
  await withServer(async (journal, started) => {
    const logs = await listener(journal, started, ['--tract', 'logs']);
    const exits = await listener(journal, started, ['--event', 'exit']);
    const run = await runBin(['run', '--journal', journal, '--ref', 'r1', '--', 'sh', '-c', 'echo hi; echo oops >&2; exit 4']);
    assert.is(run.code, 4);
    await until(() => jsonLines(exits.stdout).length >= 1 && jsonLines(logs.stdout).some((m) => m.event === 'exit'), 'the exit');
    const messages = jsonLines(logs.stdout);
    assert.ok(messages.every((m) => m.tract === 'logs'));
    assert.equal(messages.map((m) => m.event), ['exec', 'line', 'line', 'exit']);
    const [exec, out, err, exit] = messages;
    assert.equal([exec!.ref, exec!.name, exec!.cmd], ['r1', 'sh', ['sh', '-c', 'echo hi; echo oops >&2; exit 4']]);
    assert.equal([out!.stream, out!.line, err!.stream, err!.line], ['stdout', 'hi', 'stderr', 'oops']);
    assert.equal([exit!.exit_code, exit!.lines_shed], [4, 0]);
    assert.is(exit!.log_path, exec!.log_path);
    assert.equal(jsonLines(exits.stdout).map((m) => [m.tract, m.event, m.ref]), [['logs', 'exit', 'r1']]);
  });
});

test('listen --pretty prints aligned lines (no colour when stdout is not a terminal)', async () => {
  await withServer(async (journal, started) => {
    const listen = await listener(journal, started, ['--pretty']);
    await runBin(['callosum', 'send', '--journal', journal, 'logs', 'exec', 'name=sh', 'pid:=7']);
    await runBin(['callosum', 'send', '--journal', journal, 'lifecycle', 'transition', 'to=running']);
    await until(() => listen.stdout.split('\n').length > 2, 'two pretty lines');
    const lines = listen.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^\d\d:\d\d:\d\d\.\d{3}  logs      exec        name=sh pid=7$/);
    assert.match(lines[1]!, /^\d\d:\d\d:\d\d\.\d{3}  lifecycle  transition  to=running$/);
    assert.not.match(listen.stdout, /\x1b\[/);
  });
});

test('listen waits for a server that is not there yet, then hears it', async () => {
  const journal = tempJournal();
  const started: BinProcess[] = [];
  try {
    const listen = startBin(['callosum', 'listen', '--journal', journal]);
    started.push(listen);
    await listen.waitFor('stderr', `waiting for a server on ${socketOf(journal)}`);
    const server = startBin(['callosum', 'serve', '--journal', journal]);
    started.push(server);
    await listen.waitFor('stderr', `connected to ${socketOf(journal)}`);
    assert.is((await runBin(['callosum', 'send', '--journal', journal, 'late', 'hello'])).code, 0);
    await until(() => jsonLines(listen.stdout).some((message) => message.tract === 'late'), 'the message');
  } finally {
    for (const bin of started) await stopBin(bin);
  }
});

test('pretty colours on a terminal', () => {
  const line = new PrettyPrinter(true).format({ tract: 'logs', event: 'exit', ts: 0, exit_code: 1 });
  assert.match(line, /\x1b\[31mexit/);
});

test('20 short runs in a row with a live listener: every exit arrives', async () => {
  await withServer(async (journal, started) => {
    const exits = await listener(journal, started, ['--tract', 'logs', '--event', 'exit']);
    const runs = 20;
    const said: string[] = [];
    for (let i = 0; i < runs; i++) {
      const run = await runBin(['run', '--journal', journal, '--name', `r${i}`, '--', 'seq', '20000']);
      assert.is(run.code, 0, run.stderr);
      said.push(run.stderr);
    }
    try {
      await until(() => jsonLines(exits.stdout).length >= runs, 'all 20 exits', 30_000);
    } catch (error) {
      // What a reader of a failure needs: which exits came, what the runs and the listener said.
      const heard = jsonLines(exits.stdout).map((m) => m.name);
      throw new Error(`${(error as Error).message}: heard ${heard.join(' ')}\nlistener: ${exits.stderr}\nruns: ${said.join('')}`);
    }
    assert.equal(
      jsonLines(exits.stdout).map((m) => m.name),
      Array.from({ length: runs }, (_, i) => `r${i}`),
    );
  });
});

test('a stopped (SIGSTOP) listener beside a live one: the live one gets at least 99% of a 300,000-line run and its exit; the stopped one is disconnected, says so and reconnects', async () => {
  await withServer(async (journal, started) => {
    const stalled = await listener(journal, started);
    const live = net.connect(socketOf(journal));
    let lines = 0;
    let partial = '';
    const kept: string[] = [];
    live.setEncoding('latin1');
    live.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      for (const part of parts) {
        if (part.includes('"event":"line"')) lines++;
        else if (part.includes('"tract":"logs"')) kept.push(part);
      }
    });
    live.on('error', () => {});
    await new Promise((resolve) => live.once('connect', resolve));
    try {
      stalled.child.kill('SIGSTOP');
      const total = 300_000;
      const run = await runBin(['run', '--journal', journal, '--name', 'big', '--', 'seq', String(total)]);
      assert.is(run.code, 0, run.stderr);
      await until(() => kept.some((line) => line.includes('"event":"exit"')), 'the exit at the live listener', 30_000);
      const exit = JSON.parse(kept.find((line) => line.includes('"event":"exit"'))!) as { lines_shed: number };
      assert.ok(lines >= total * 0.99, `the live listener got ${lines} of ${total} lines`);
      assert.is(exit.lines_shed, total - lines, 'the exit counts what the live listener missed');

      // While it is stopped, kept messages alone fill its queue at the server: 12 MB of them.
      const sender = net.connect(socketOf(journal));
      sender.on('error', () => {});
      sender.on('data', () => {});
      for (let i = 0; i < 120; i++) {
        let batch = '';
        for (let j = 0; j < 1000; j++) batch += `{"tract":"test","event":"tick","i":${i * 1000 + j},"ts":1,"pad":"${'x'.repeat(60)}"}\n`;
        if (!sender.write(batch)) await new Promise((resolve) => sender.once('drain', resolve));
      }
      await new Promise<void>((resolve) => sender.end(() => resolve()));
      stalled.child.kill('SIGCONT');
      await stalled.waitFor('stderr', /disconnected this listener/);
      await stalled.waitFor('stderr', `reconnected to ${socketOf(journal)}`);
      sender.destroy();
    } finally {
      stalled.child.kill('SIGCONT');
      live.destroy();
    }
  });
});

test('pretty escapes control characters from the wire, and one huge event name does not pad the lines after it', () => {
  const pretty = new PrettyPrinter(false);
  const hostile = pretty.format({ tract: 'logs\x1b]0;pwned\x07', event: 'li\x9bne', ts: 0, line: '\x1b[2J\x1b[Hcleared\x7f', 'k\re': 'v' });
  assert.not.match(hostile, /[\x00-\x08\x0a-\x1f\x7f-\x9f]/, 'no raw control character');
  assert.ok(hostile.includes('logs\\x1b]0;pwned\\x07'), hostile);
  assert.ok(hostile.includes('li\\x9bne'), hostile);
  // A value that needs quoting is shown as JSON, which escapes C0 its own way; DEL and C1 as \\xNN.
  assert.ok(hostile.includes('line="\\u001b[2J\\u001b[Hcleared\\x7f"'), hostile);
  assert.ok(hostile.includes('k\\x0de='), hostile);
  const huge = pretty.format({ tract: 'logs', event: 'e'.repeat(100_000), ts: 0 });
  assert.ok(huge.includes('e'.repeat(100_000)), 'a huge name is shown whole');
  const after = pretty.format({ tract: 'logs', event: 'exec', ts: 0, name: 'sh' });
  assert.ok(after.length < 100, `the next line is not padded to it: ${after.length} characters`);
  assert.match(after, /^\d\d:\d\d:\d\d\.\d{3}  logs\s+exec\s+name=sh$/);
});

test('send without a server exits 1 and says how to start one; bad arguments are usage errors', async () => {
  const journal = tempJournal();
  const none = await runBin(['callosum', 'send', '--journal', journal, 'chat', 'said']);
  assert.is(none.code, 1);
  assert.match(none.stderr, /no Callosum server took the message.*brainstem callosum serve/);
  for (const args of [['chat'], ['chat', 'said', 'novalue'], ['chat', 'said', 'n:=nope'], ['{"tract":"x"}'], ['chat', 'said', 'tract=y']]) {
    const result = await runBin(['callosum', 'send', '--journal', journal, ...args]);
    assert.is(result.code, 2, args.join(' '));
    assert.match(result.stderr, /Usage: brainstem callosum send/);
  }
  const noSub = await runBin(['callosum']);
  assert.is(noSub.code, 2);
  assert.match(noSub.stderr, /missing subcommand/);
  const badSub = await runBin(['callosum', 'shout']);
  assert.is(badSub.code, 2);
  assert.match(badSub.stderr, /unknown subcommand "shout"/);
});

test.run();
