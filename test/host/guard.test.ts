import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { alive, fixture, logTexts, scratchDir, tempJournal, until } from '../helpers.js';

const test = suite('the signal guard: shutdown steps first, a second signal SIGKILLs, a host may handle signals itself');

type Message = Record<string, unknown>;

/** Starts a host fixture; its JSON lines are collected as they come. */
function startHost(script: string, args: string[]) {
  const host = spawn(process.execPath, ['--import', 'tsx', fixture(script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  host.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => host.once('exit', (code, signal) => resolve({ code, signal })));
  const messages = () => out.split('\n').filter(Boolean).map((row) => JSON.parse(row) as Message);
  const ready = () => until(() => messages().find((m) => m.ready), 'the host to be ready', 30_000);
  const stop = () => {
    if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
  };
  return { host, exited, messages, ready, stop };
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`a second ${signal} while the children are being stopped SIGKILLs every one still running`, async () => {
    const { host, exited, messages, ready, stop } = startHost('host_reports_children_until_signalled.ts', [tempJournal(), '600000']);
    try {
      const { children } = (await ready()) as { children: { name: string; pid: number; logPath: string }[] };
      host.kill(signal);
      // The graceful child ends on SIGTERM; the stubborn one would wait out its 10-minute timeout.
      await until(() => messages().some((m) => m.name === 'graceful' && m.to === 'exited'), 'the graceful child to end');
      const stubborn = children.find((child) => child.name === 'stubborn')!;
      assert.ok(alive(stubborn.pid), 'the stubborn child ignores SIGTERM');
      host.kill(signal);
      const end = await exited;
      assert.is(end.signal, signal, `the host died of ${signal} (code ${end.code})`);
      const ended = messages().find((m) => m.name === 'stubborn' && (m.to === 'killed' || m.to === 'exited'));
      assert.is(ended?.exitCode, -9, 'SIGKILL ended the stubborn child');
      assert.not.ok(alive(stubborn.pid));
      assert.match(logTexts(stubborn.logPath, 'stdout')[0]!, /ignoring SIGTERM/);
    } finally {
      stop();
    }
  });
}

test('registered shutdown steps run first, with the signal, before the children are terminated; then the host dies of it', async () => {
  const { host, exited, messages, ready, stop } = startHost('host_guarded.ts', [tempJournal(), 'step']);
  try {
    await ready();
    host.kill('SIGTERM');
    const end = await exited;
    assert.is(end.signal, 'SIGTERM');
    const order = messages()
      .filter((m) => m.step || m.to)
      .map((m) => (m.step ? `step ${m.step} (child ${m.child})` : `child ${m.to}`));
    assert.equal(order, ['step start (child running)', 'step end (child running)', 'child terminating', 'child exited']);
    assert.is(messages().find((m) => m.step === 'start')!.signal, 'SIGTERM');
  } finally {
    stop();
  }
});

test('setSignalGuard(false): the host\'s own SIGTERM handler decides, the guard touches nothing', async () => {
  const { host, exited, messages, ready, stop } = startHost('host_guarded.ts', [tempJournal(), 'own-handler']);
  try {
    const { pid } = (await ready()) as { pid: number };
    host.kill('SIGTERM');
    const end = await exited;
    assert.is(end.code, 0, 'the host exited as its handler said');
    assert.is(messages().find((m) => 'handler' in m)!.handler, 'running', 'the child was still running when the host\'s handler ran');
    assert.ok(messages().some((m) => m.done));
    assert.not.ok(alive(pid));
  } finally {
    stop();
  }
});

test('keepAlive() keeps a host with nothing else to do alive until released; without it the host exits by itself', async () => {
  const dir = scratchDir('keep-alive');
  const file = path.join(dir, 'release');
  const held = startHost('host_guarded.ts', [tempJournal(), 'keep-alive', file]);
  const free = startHost('host_guarded.ts', [tempJournal(), 'no-keep-alive', file]);
  try {
    await held.ready();
    // The host without a handle exits on its own, before the file exists: it never sees it.
    assert.is((await free.exited).code, 0);
    assert.not.ok(free.messages().some((m) => m.released));
    assert.ok(alive(held.host.pid!), 'the held host is still there');
    fs.writeFileSync(file, '');
    assert.is((await held.exited).code, 0);
    assert.ok(held.messages().some((m) => m.released), 'it exited once released');
  } finally {
    held.stop();
    free.stop();
  }
});

test.run();
