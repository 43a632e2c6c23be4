/**
 * The Supervisor on Callosum: the `supervisor` tract as the reference's
 * supervisor speaks it, heard by a solstone-style Python peer, restart
 * requests obeyed from the wire, and every `service` event on `lifecycle`.
 */
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CallosumConnection, CallosumServer, createBus, Supervisor, type CallosumMessage } from '../../src/index.js';
import { startPeer, tempDir, waitFor } from '../callosum/helpers.js';
import { withSupervisorOnPythonServer } from './python-rig.js';

const test = suite('Supervisor on Callosum');

test('a Python peer sends supervisor restart and hears restarting, stopped and started', async () => {
  await withSupervisorOnPythonServer(async ({ tmp, sup }) => {
    sup.add('worker', ['sleep', '300']);
    await sup.start();
    const before = sup.status()[0]!;
    const listener = startPeer(['listen', tmp.socket, '--until', 'supervisor/started', '--timeout', '60']);
    await waitFor('python listener connected', () => listener.stderr().includes('connected'));
    // The control connection may still be joining the server: ask until the supervisor answers.
    const heard = () => listener.lines.map((line) => JSON.parse(line) as CallosumMessage).filter((m) => m.tract === 'supervisor');
    for (let tries = 0; !heard().some((m) => m.event === 'restarting'); tries++) {
      assert.ok(tries < 20, 'the supervisor answers a restart request');
      await startPeer(['send', tmp.socket, JSON.stringify({ tract: 'supervisor', event: 'restart', service: 'worker' })]).exited;
      await waitFor('restarting', () => heard().some((m) => m.event === 'restarting'), 1000).catch(() => {});
    }
    assert.is(await listener.exited, 0, listener.stderr());
    const said = heard().filter((m) => m.event !== 'restart');
    assert.equal(
      said.map((m) => m.event),
      ['restarting', 'stopped', 'started'],
    );
    const [restarting, stopped, started] = said;
    assert.equal([restarting!.service, restarting!.pid, restarting!.ref], ['worker', before.pid, before.ref], 'restarting names the old process');
    assert.equal([stopped!.service, stopped!.pid, stopped!.ref, stopped!.exit_code], ['worker', before.pid, before.ref, -15]);
    const after = sup.status()[0]!;
    assert.equal([started!.service, started!.pid, started!.ref], ['worker', after.pid, after.ref], 'started names the new process');
    assert.is.not(after.pid, before.pid);
    assert.is(after.restarts, 1);
  });
});

test('restart requests for an unknown service or for `supervisor` itself are ignored; service events go to lifecycle', async () => {
  const tmp = tempDir();
  const server = new CallosumServer({ socketPath: tmp.socket });
  await server.start();
  const heard: CallosumMessage[] = [];
  const listener = new CallosumConnection({ socketPath: tmp.socket });
  listener.start((message) => heard.push(message));
  const connection = new CallosumConnection({ socketPath: tmp.socket });
  connection.start();
  const sup = new Supervisor({ journal: path.join(tmp.dir, 'journal'), bus: createBus(), callosum: connection, sweep: false });
  sup.add('worker', ['sleep', '300']);
  try {
    await sup.start();
    await waitFor('started heard', () => heard.some((m) => m.tract === 'supervisor' && m.event === 'started'));
    const sender = new CallosumConnection({ socketPath: tmp.socket });
    sender.start();
    sender.emit('supervisor', 'restart', { service: 'nobody' });
    sender.emit('supervisor', 'restart', { service: 'supervisor' });
    sender.emit('supervisor', 'restart', {});
    sender.emit('supervisor', 'restart', { service: 'worker' });
    await sender.stop();
    await waitFor('the second started', () => heard.filter((m) => m.tract === 'supervisor' && m.event === 'started').length === 2);
    const restarting = heard.filter((m) => m.tract === 'supervisor' && m.event === 'restarting');
    assert.is(restarting.length, 1, 'only the known service restarted');
    assert.is(restarting[0]!.service, 'worker');
    await sup.stop();
    await waitFor('the last stopped', () => heard.filter((m) => m.tract === 'supervisor' && m.event === 'stopped').length === 2);
    const services = heard.filter((m) => m.tract === 'lifecycle' && m.event === 'service');
    assert.equal(
      services.map((m) => `${m.from}→${m.to}`),
      ['null→waiting', 'waiting→starting', 'starting→up', 'up→stopping', 'stopping→starting', 'starting→up', 'up→stopping', 'stopping→stopped'],
    );
    assert.ok(services.every((m) => m.service === 'worker' && typeof m.restarts === 'number' && typeof m.seq === 'number'));
  } finally {
    await sup.stop();
    await listener.stop();
    await connection.stop();
    await server.stop();
    tmp.cleanup();
  }
});

test.run();
