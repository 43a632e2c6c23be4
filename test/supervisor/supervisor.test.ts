/**
 * The Supervisor against real processes and the wall clock: validation,
 * dependency order as the event log records it, ordered stop leaving nothing
 * behind, restart from backoff, a probed port that dies and comes back, and
 * the folded history agreeing with status().
 */
import net from 'node:net';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, projectServices, Supervisor, SupervisorError, ValidationError, type Bus, type ServiceState } from '../../src/index.js';
import { readEvents } from '../../src/eventlog/index.js';
import { isAlive, procInfo } from '../faults/helpers.js';
import { fixture, scratchDir, tempJournal, until } from '../helpers.js';

const test = suite('Supervisor: real services on the wall clock');

const running: Supervisor[] = [];
function supervisor(bus: Bus = createBus(), journal = tempJournal()): { sup: Supervisor; bus: Bus; journal: string } {
  const sup = new Supervisor({ journal, bus, callosum: false, sweep: false });
  running.push(sup);
  return { sup, bus, journal };
}
test.after.each(async () => {
  for (const sup of running.splice(0)) await sup.stop();
});

const stateOf = (sup: Supervisor, name: string): ServiceState | undefined => sup.status().find((row) => row.name === name)?.state;

test('add refuses a duplicate name, a bad option, an unknown `after` and a cycle, naming them', () => {
  const { sup } = supervisor();
  sup.add('db', ['sleep', '1']);
  const refused = (fn: () => void, pattern: RegExp, field?: string) => {
    try {
      fn();
    } catch (error) {
      assert.instance(error, ValidationError);
      assert.match((error as Error).message, pattern);
      if (field) assert.is((error as ValidationError).field, field);
      return;
    }
    assert.unreachable(`expected a ValidationError matching ${pattern}`);
  };
  refused(() => sup.add('db', ['sleep', '1']), /already added/, 'name');
  refused(() => sup.add('web', ['sleep', '1'], { restart: 'sometimes' as never }), /restart must be/, 'restart');
  refused(() => sup.add('web', ['sleep', '1'], { backoff: [] }), /backoff/, 'backoff');
  refused(() => sup.add('web', ['sleep', '1'], { backoff: [10, -1] }), /backoff\[1\]/, 'backoff[1]');
  refused(() => sup.add('web', ['sleep', '1'], { maxRestarts: { count: 1.5, within: 10 } }), /maxRestarts.count/);
  refused(() => sup.add('web', ['sleep', '1'], { ready: { line: '' } }), /ready.line/);
  refused(() => sup.add('web', ['sleep', '1'], { ready: { port: 70000 } }), /ready.port/);
  refused(() => sup.add('web', ['sleep', '1'], { restrat: 'never' } as never), /unknown option "restrat"/);
  refused(() => sup.add('../web', ['sleep', '1']), /Invalid name/, 'name');
  refused(() => sup.add('web', ['sleep', '1'], { after: ['dbb'] }), /web starts after "dbb", but no service has that name/);
  refused(() => sup.add('web', ['sleep', '1'], { after: ['web'] }), /cycle: web → web/);
  assert.equal(
    sup.status().map((row) => row.name),
    ['db'],
    'nothing refused was added',
  );
});

test('dependencies start in order, as the event log records it; services with no path between them start together', async () => {
  const { sup, journal } = supervisor();
  sup.add('db', [fixture('serves_after_a_pause.sh'), '0.3'], { ready: { line: 'ready' } });
  sup.add('cache', [fixture('serves_after_a_pause.sh'), '0.3'], { ready: { line: 'ready' } });
  sup.add('api', [fixture('serves_after_a_pause.sh'), '0'], { ready: { line: /^ready$/ }, after: ['db', 'cache'] });
  sup.add('web', ['sleep', '300'], { after: ['api'] });
  await sup.start();
  assert.equal(
    sup.status().map((row) => row.state),
    ['up', 'up', 'up', 'up'],
  );
  const { records } = await until(async () => {
    const read = await readEvents({ journal });
    return read.records.some((r) => r.type === 'service' && r.service === 'web' && r.to === 'up') && read;
  }, 'the event log to hold web up');
  const seqOf = (service: string, to: string) => records.find((r) => r.type === 'service' && r.service === service && r.to === to)!.seq as number;
  assert.ok(seqOf('api', 'starting') > seqOf('db', 'up'), 'api starts after db is up');
  assert.ok(seqOf('api', 'starting') > seqOf('cache', 'up'), 'api starts after cache is up');
  assert.ok(seqOf('web', 'starting') > seqOf('api', 'up'), 'web starts after api is up');
  // db and cache have no path between them: both were starting before either was up.
  assert.ok(seqOf('cache', 'starting') < seqOf('db', 'up') && seqOf('db', 'starting') < seqOf('cache', 'up'), 'db and cache start together');
});

test('stop() ends services in reverse dependency order and leaves no process or grandchild', async () => {
  const { sup, bus } = supervisor();
  sup.add('db', [fixture('leaves_grandchild_and_serves.sh')], { ready: { line: 'grandchild' } });
  sup.add('api', [fixture('leaves_grandchild_and_serves.sh')], { ready: { line: 'grandchild' }, after: ['db'] });
  const pids: number[] = [];
  bus.on('line', (e) => {
    const match = /child (\d+) grandchild (\d+)/.exec(e.line);
    if (match) pids.push(Number(match[1]), Number(match[2]));
  });
  const ends: string[] = [];
  bus.on('transition', (e) => {
    if (e.to === 'terminating') ends.push(`${e.name} signalled`);
    if (e.to === 'exited' || e.to === 'killed') ends.push(`${e.name} ended`);
  });
  await sup.start();
  assert.is(pids.length, 4);
  await sup.stop();
  assert.equal(ends, ['api signalled', 'api ended', 'db signalled', 'db ended'], 'the dependent ended before its dependency was signalled');
  // A zombie waiting for init to reap it is gone.
  for (const pid of pids) assert.not.ok(isAlive(pid), `pid ${pid} is gone: ${JSON.stringify(procInfo(pid))}`);
  assert.equal(
    sup.status().map((row) => [row.name, row.state, row.pid]),
    [
      ['db', 'stopped', null],
      ['api', 'stopped', null],
    ],
  );
});

test('stop(name) stops its dependents first and leaves the rest running', async () => {
  const { sup } = supervisor();
  sup.add('db', ['sleep', '300']);
  sup.add('api', ['sleep', '300'], { after: ['db'] });
  sup.add('other', ['sleep', '300']);
  await sup.start();
  await sup.stop('db');
  assert.equal(
    sup.status().map((row) => row.state),
    ['stopped', 'stopped', 'up'],
  );
});

test('a second start() after stop() starts the services in dependency order again', async () => {
  const { sup, bus } = supervisor();
  sup.add('db', [fixture('serves_after_a_pause.sh'), '0.2'], { ready: { line: 'ready' } });
  sup.add('api', ['sleep', '300'], { after: ['db'] });
  await sup.start();
  await sup.stop();
  const order: string[] = [];
  bus.on('service', (e) => order.push(`${e.service} ${e.to}`));
  await sup.start();
  assert.equal(order, ['db starting', 'db up', 'api starting', 'api up']);
});

test('a service added after start() starts once its dependencies are up', async () => {
  const { sup } = supervisor();
  sup.add('db', ['sleep', '300']);
  await sup.start();
  sup.add('late', ['sleep', '300'], { after: ['db'] });
  await until(() => stateOf(sup, 'late') === 'up', 'late up');
});

test('restart(name) while in backoff starts at once, without counting toward maxRestarts', async () => {
  const { sup, bus } = supervisor();
  const seen: string[] = [];
  bus.on('service', (e) => seen.push(e.to));
  // Two counted restarts allowed: the first exit is one, the requested restart must not be another.
  sup.add('flaky', [fixture('exit-with.sh'), '1'], { backoff: [600_000], maxRestarts: { count: 2, within: 600_000 } });
  void sup.start().catch(() => {});
  await until(() => stateOf(sup, 'flaky') === 'backoff', 'flaky in backoff');
  const row = sup.status()[0]!;
  assert.ok(row.nextStartAt! - row.since === 600_000, 'the next start is 10 minutes away');
  await sup.restart('flaky');
  assert.is(sup.status()[0]!.restarts, 1);
  // It exits again: a requested restart did not count, so this is the first counted one (count 1) and it waits again.
  await until(() => seen.filter((to) => to === 'backoff').length === 2 || seen.includes('failed'), 'the second exit');
  assert.not.ok(seen.includes('failed'), `the requested restart counted: ${seen.join(' → ')}`);
  assert.equal(seen.slice(0, 7), ['waiting', 'starting', 'up', 'backoff', 'starting', 'up', 'backoff']);
});

test('start() rejects with a SupervisorError naming the service that gave up', async () => {
  const { sup } = supervisor();
  sup.add('ok', ['sleep', '300']);
  // Never ready: each exit is a failed start, so it is never `up` on the way.
  sup.add('broken', [fixture('exit-with.sh'), '3'], { backoff: [0], maxRestarts: { count: 2, within: 60_000 }, ready: { line: 'never printed' } });
  try {
    await sup.start();
    assert.unreachable('start() resolved');
  } catch (error) {
    assert.instance(error, SupervisorError);
    assert.is((error as SupervisorError).service, 'broken');
    assert.match((error as Error).message, /broken failed: it gave up after 2 restart\(s\), the last exit code 3/);
  }
  const broken = sup.status().find((row) => row.name === 'broken')!;
  assert.equal([broken.state, broken.restarts, broken.exitCode], ['failed', 2, 3], 'count 2 allows three runs');
});

test('a service whose ready.port server dies comes back up on a new process', async () => {
  const port = await freePort();
  const { sup } = supervisor();
  sup.add('tcp', [fixture('serves_tcp.mjs'), String(port)], { ready: { port }, backoff: [0] });
  await sup.start();
  const first = sup.status()[0]!;
  assert.is(first.state, 'up');
  process.kill(first.pid!, 'SIGKILL');
  await until(() => {
    const row = sup.status()[0]!;
    return row.state === 'up' && row.pid !== first.pid;
  }, 'tcp up again on a new process');
  const again = sup.status()[0]!;
  assert.is(again.restarts, 1);
  assert.is.not(again.ref, first.ref);
  await new Promise<void>((resolve, reject) => net.connect(port, '127.0.0.1', resolve).on('error', reject));
});

test('ready.socket waits for the Unix socket to accept a connection', async () => {
  const socket = path.join(scratchDir('sock'), 'svc.sock');
  const { sup, bus } = supervisor();
  const lines: string[] = [];
  bus.on('line', (e) => lines.push(e.line));
  sup.add('unix', [fixture('serves_unix_socket.mjs'), socket, '300'], { ready: { socket } });
  await sup.start();
  assert.ok(lines.some((line) => line.startsWith('listening')), 'up only once it listened');
});

test('a readiness timeout ends the process and counts as a failed start', async () => {
  const { sup } = supervisor();
  sup.add('mute', ['sleep', '300'], { ready: { line: 'never printed' }, readyTimeout: 200, restart: 'never' });
  try {
    await sup.start();
    assert.unreachable('start() resolved');
  } catch (error) {
    assert.instance(error, SupervisorError);
  }
  assert.equal([sup.status()[0]!.state, sup.status()[0]!.exitCode], ['failed', -15]);
});

test("restart 'on-failure' leaves a clean exit stopped, and start() counts that as settled", async () => {
  const { sup } = supervisor();
  sup.add('once', [fixture('exit-with.sh'), '0'], { restart: 'on-failure', ready: { delay: 0 } });
  await sup.start();
  await until(() => stateOf(sup, 'once') === 'stopped', 'once stopped');
  assert.is(sup.status()[0]!.exitCode, 0);
});

test('projectServices(bus.history()) equals status()', async () => {
  const { sup, bus } = supervisor();
  sup.add('db', [fixture('serves_after_a_pause.sh'), '0.1'], { ready: { line: 'ready' } });
  sup.add('flaky', [fixture('exit-with.sh'), '2'], { backoff: [0, 600_000], after: ['db'] });
  sup.add('idle', ['sleep', '300'], { after: ['db'] });
  void sup.start().catch(() => {});
  await until(() => sup.status().find((row) => row.name === 'flaky')!.nextStartAt !== null && sup.status()[0]!.nextStartAt === null && stateOf(sup, 'idle') === 'up', 'flaky waiting 10 minutes');
  assert.equal([...projectServices(bus.history()).values()], sup.status());
  await sup.stop('idle');
  assert.equal([...projectServices(bus.history()).values()], sup.status());
});

test('a run that exits leaving a grandchild on its pipes is reported at once, its leftovers ended before the next run', async () => {
  const { sup, bus } = supervisor();
  const grandchildren: number[] = [];
  bus.on('line', (e) => {
    const match = /^grandchild (\d+)$/.exec(e.line);
    if (match) grandchildren.push(Number(match[1]));
  });
  let leftoverAtRestart: boolean | undefined;
  bus.on('service', (e) => {
    // The next run is about to start: the previous run's grandchild must be gone already.
    if (e.to === 'starting' && e.restarts === 1) leftoverAtRestart = grandchildren.length > 0 && isAlive(grandchildren[0]!);
  });
  // drainTimeout stays at its default (2 s): the exit is reported once the group is ended, not after the bound.
  sup.add('leaky', [fixture('leaves_grandchild_holding_stdout.sh')], { backoff: [0, 600_000], ready: { line: 'never printed' } });
  void sup.start().catch(() => {});
  await until(() => stateOf(sup, 'leaky') === 'backoff' && sup.status()[0]!.restarts === 1, 'the second run ended');
  assert.is(leftoverAtRestart, false, 'the first run left nothing running when the second started');
  assert.is(grandchildren.length, 2);
  await until(() => !isAlive(grandchildren[1]!), 'the second grandchild gone');
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

test.run();
