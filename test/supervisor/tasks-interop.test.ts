import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus } from '../../src/bus/create-bus.js';
import { CallosumConnection } from '../../src/callosum/connection.js';
import { TaskQueue } from '../../src/supervisor/tasks.js';
import { startPeer, tempDir, waitFor } from '../callosum/helpers.js';
import { fixture } from '../helpers.js';
import { withSupervisorOnPythonServer } from './python-rig.js';

// solstone's side of the wire throughout: the Python server broadcasts, Python callers request
// tasks and listen as think/supervisor.py's callers do; brainstem runs the tasks.
test('a Python caller requests tasks over Callosum and hears started, stopped and queue for its ref', async () => {
  const tmp = tempDir();
  const server = startPeer(['serve', tmp.socket]);
  await waitFor('python server ready', () => server.lines.includes('ready'));
  const bus = createBus();
  const connection = new CallosumConnection({ socketPath: tmp.socket });
  connection.start();
  const tasks = new TaskQueue({ journal: path.join(tmp.dir, 'journal'), bus, callosum: connection });
  // The control listener a Supervisor keeps: every supervisor request is a submit.
  const control = new CallosumConnection({ socketPath: tmp.socket });
  control.start((message) => {
    if (message.tract === 'supervisor' && message.event === 'request') tasks.handleRequest(message);
  });
  try {
    await waitFor('brainstem connected', () => connection.isConnected && control.isConnected);
    const release = path.join(tmp.dir, 'release');
    const first = startPeer(['request', tmp.socket, JSON.stringify([fixture('wait-for-file.sh'), release]), '--ref', 'py-1', '--timeout', '60']);
    await waitFor('the first task running', () => tasks.queue()[0]?.running === 'py-1');
    const second = startPeer(['request', tmp.socket, JSON.stringify([fixture('wait-for-file.sh'), release, 'again']), '--ref', 'py-2', '--day', '20260101', '--timeout', '60']);
    await waitFor('the second task queued', () => tasks.queue()[0]?.queued.length === 1);
    fs.writeFileSync(release, '');
    assert.is(await first.exited, 0, first.stderr());
    assert.is(await second.exited, 0, second.stderr());

    const heard = second.lines.map((line) => JSON.parse(line));
    const queued = heard.find((m) => m.event === 'queue' && m.queued === 1);
    assert.ok(queued, 'the second caller saw its request queued');
    assert.equal(
      { command: queued.command, running: queued.running, queued: queued.queued, queue: queued.queue },
      {
        command: 'wait-for-file.sh',
        running: 'py-1',
        queued: 1,
        queue: [{ refs: ['py-2'], cmd: [fixture('wait-for-file.sh'), release, 'again'], day: '20260101' }],
      },
    );
    assert.type(queued.ts, 'number');
    const started = heard.find((m) => m.event === 'started' && m.ref === 'py-2');
    assert.equal({ service: started.service, ref: started.ref }, { service: 'wait-for-file.sh', ref: 'py-2' });
    assert.ok(started.pid > 0);
    const stopped = heard.find((m) => m.event === 'stopped' && m.ref === 'py-2');
    assert.equal(stopped, { tract: 'supervisor', event: 'stopped', service: 'wait-for-file.sh', pid: started.pid, ref: 'py-2', exit_code: 0, ts: stopped.ts });

    const firstHeard = first.lines.map((line) => JSON.parse(line));
    assert.ok(firstHeard.some((m) => m.event === 'started' && m.ref === 'py-1' && m.pid > 0));
    assert.ok(firstHeard.some((m) => m.event === 'stopped' && m.ref === 'py-1' && m.exit_code === 0));
    assert.ok(fs.existsSync(path.join(tmp.dir, 'journal', '20260101', 'health', 'py-2_wait-for-file.sh.log')), 'pinned to the requested day');

    // A malformed request from Python runs nothing and is reported on the bus.
    const rejected: string[] = [];
    bus.on('rejected', (event) => rejected.push(event.reason));
    const bad = startPeer(['send', tmp.socket, JSON.stringify({ tract: 'supervisor', event: 'request', cmd: 'ls -l' })]);
    assert.is(await bad.exited, 0);
    await waitFor('the rejection', () => rejected.length === 1);
    assert.equal(tasks.queue(), []);
  } finally {
    await tasks.stop();
    await control.stop();
    await connection.stop();
    server.child.kill('SIGTERM');
    await server.exited;
    tmp.cleanup();
  }
});

test('through a Supervisor with control: a Python request and a library submit share one queue per name', async () => {
  await withSupervisorOnPythonServer(async ({ tmp, sup }) => {
    const release = path.join(tmp.dir, 'release');
    // One service beside the tasks, as in an agent (and start() settles once it is up).
    sup.add('idle', [fixture('wait-for-file.sh'), path.join(tmp.dir, 'never')]);
    await sup.start();
    // Submitted from the library before the Python caller asks for the same command name.
    assert.is(sup.submit([fixture('wait-for-file.sh'), release], { ref: 'lib-1' }), 'lib-1');
    const caller = startPeer(['request', tmp.socket, JSON.stringify([fixture('wait-for-file.sh'), release, 'py']), '--ref', 'py-sup', '--timeout', '60']);
    await waitFor('the Python request queued behind the library one', () => sup.queue()[0]?.queued[0]?.refs[0] === 'py-sup');
    assert.equal(sup.queue()[0]!.running, 'lib-1');
    fs.writeFileSync(release, '');
    assert.is(await caller.exited, 0, caller.stderr());
    const heard = caller.lines.map((line) => JSON.parse(line));
    const mine = heard.filter((m) => m.ref === 'py-sup').map((m) => m.event);
    assert.equal(mine, ['started', 'stopped']);
    assert.is(heard.find((m) => m.event === 'stopped' && m.ref === 'py-sup').exit_code, 0);
    assert.ok(heard.some((m) => m.event === 'stopped' && m.ref === 'lib-1' && m.exit_code === 0), 'the library task answered on the wire too');
  });
});

test('a Supervisor never started hears requests too (tasks run whether or not start() was called); start() with no services resolves', async () => {
  await withSupervisorOnPythonServer(async ({ tmp, sup }) => {
    const caller = startPeer(['request', tmp.socket, JSON.stringify([fixture('exit-with.sh'), '3']), '--ref', 'py-early', '--timeout', '60']);
    assert.is(await caller.exited, 0, caller.stderr());
    const heard = caller.lines.map((line) => JSON.parse(line));
    assert.equal(heard.filter((m) => m.ref === 'py-early').map((m) => m.event), ['started', 'stopped']);
    assert.is(heard.find((m) => m.event === 'stopped' && m.ref === 'py-early').exit_code, 3);
    await sup.start();
    assert.equal(sup.status(), []);
  });
});

test.run();
