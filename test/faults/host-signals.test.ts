import { spawn } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fixture, groupMembers, isAlive, logTexts, REPO, tempDir, until } from './helpers.js';

const test = suite('the host is asked to stop (SIGTERM, SIGINT): its children end first, logs complete, then it exits');

type Child = { name: string; pid: number; logPath: string };

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} to the host: SIGTERM to every child, SIGKILL after the timeout, the last lines logged, then the host dies of ${signal}`, async () => {
    const { journal, remove } = tempDir(`host-${signal}`);
    const host = spawn(process.execPath, ['--import', 'tsx', fixture('host_reports_children_until_signalled.ts'), journal, '700'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    host.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => host.once('exit', (code, sig) => resolve({ code, signal: sig })));
    const messages = () => out.split('\n').filter(Boolean).map((row) => JSON.parse(row) as Record<string, unknown>);
    try {
      await until('the host runs both children', () => messages().some((m) => m.ready), 30_000);
      const children = (messages().find((m) => m.ready)!.children as Child[]);
      host.kill(signal);
      const end = await exited;
      assert.is(end.signal, signal, `the host died of ${signal} (code ${end.code})`);

      const transitions = messages().filter((m) => m.to);
      const graceful = transitions.filter((m) => m.name === 'graceful').map((m) => m.to);
      const stubborn = transitions.filter((m) => m.name === 'stubborn').map((m) => m.to);
      assert.equal(graceful, ['terminating', 'exited'], 'the graceful child ended on SIGTERM');
      assert.equal(stubborn, ['terminating', 'killed'], 'the stubborn child needed SIGKILL');
      assert.is(transitions.find((m) => m.name === 'graceful' && m.to === 'exited')!.exitCode, 0);
      assert.is(transitions.find((m) => m.name === 'stubborn' && m.to === 'killed')!.exitCode, -9);

      for (const child of children) {
        assert.not.ok(isAlive(child.pid), `${child.name} (${child.pid}) survived its host`);
        assert.is(groupMembers(child.pid).length, 0, `${child.name}'s group survived its host`);
      }
      // stdout only: the shell may also report its killed `sleep` on stderr.
      const gracefulLog = logTexts(children.find((c) => c.name === 'graceful')!.logPath, 'stdout');
      assert.is(gracefulLog.at(-1), 'last line', 'the graceful log ends with its last line');
      const stubbornLog = logTexts(children.find((c) => c.name === 'stubborn')!.logPath, 'stdout');
      assert.ok(stubbornLog.length >= 2);
      // Every line whole and in order: "ignoring SIGTERM", then tick 1, 2, 3 … up to the SIGKILL.
      assert.is(stubbornLog[0], 'ignoring SIGTERM');
      stubbornLog.slice(1).forEach((line, i) => assert.is(line, `tick ${i + 1}`));
    } finally {
      if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
      remove();
    }
  });
}

test.run();
