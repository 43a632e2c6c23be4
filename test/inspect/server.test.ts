import { execa } from 'execa';
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, InspectorError, ManagedProcess, startInspector, ValidationError, type HistoryEvent } from '../../src/index.js';
import { isLoopbackAddress, isLoopbackHost } from '../../src/inspect/loopback.js';
import { fixture, tempJournal, until } from '../helpers.js';
import { externalIPv4, get, on, openStream } from './helpers.js';

test('serves the page, its assets and the chart on 127.0.0.1 only', async () => {
  const inspector = await startInspector({ bus: createBus() });
  try {
    assert.match(inspector.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    const page = await get(inspector.url);
    assert.is(page.status, 200);
    assert.match(page.body, /<title>brainstem inspector<\/title>/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    for (const asset of ['inspector.js', 'chart-view.js', 'timeline.js', 'dom.js', 'inspector.css', 'vendor/elk.bundled.js', 'project.js']) {
      const reply = await get(on(inspector.url, asset));
      assert.is(reply.status, 200, asset);
    }
    const chart = JSON.parse((await get(on(inspector.url, 'chart.json'))).body);
    assert.is(chart.initial, 'spawning');
    assert.equal(chart.nodes.map((n: { id: string }) => n.id).sort(), ['exited', 'failed', 'killed', 'running', 'spawning', 'terminating']);
    assert.ok(chart.edges.some((e: { from: string; to: string }) => e.from === 'terminating' && e.to === 'killed'));
    assert.is((await get(on(inspector.url, '../../etc/passwd'))).status, 404);
    assert.is((await get(on(inspector.url, 'nope.js'))).status, 404);
  } finally {
    await inspector.close();
  }
});

test('refuses anything but loopback: the bind, the peer address and the Host name', async () => {
  const inspector = await startInspector({ bus: createBus() });
  try {
    const ip = externalIPv4();
    if (ip) {
      // The server is not listening there at all: the connection is refused by the kernel.
      const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
        const socket = net.connect({ host: ip, port: inspector.port });
        socket.once('connect', () => {
          socket.destroy();
          resolve(undefined);
        });
        socket.once('error', resolve);
      });
      assert.is(error?.code, 'ECONNREFUSED', `connecting via ${ip}`);
    } else {
      console.log('  (no non-loopback IPv4 interface here: the bind check is shown by the address only)');
    }
    // A page elsewhere whose DNS name was rebound to 127.0.0.1 sends its own Host.
    const rebound = await get(inspector.url, { Host: `evil.example:${inspector.port}` });
    assert.is(rebound.status, 403);
    assert.is((await get(inspector.url, { Host: `localhost:${inspector.port}` })).status, 200);
  } finally {
    await inspector.close();
  }
  assert.ok(isLoopbackAddress('127.0.0.1'));
  assert.ok(isLoopbackAddress('::ffff:127.0.0.1'));
  assert.ok(isLoopbackAddress('::1'));
  for (const outside of ['192.0.2.2', '::ffff:10.0.0.1', 'fd00::2', '128.0.0.1', '', undefined]) assert.not.ok(isLoopbackAddress(outside), String(outside));
  assert.not.ok(isLoopbackHost('127.0.0.1.evil.example:80', 80));
  assert.not.ok(isLoopbackHost(undefined, 80));
});

test('streams the history on connect, then every event as it happens', async () => {
  const bus = createBus();
  const journal = tempJournal();
  const first = await ManagedProcess.spawn(['sh', '-c', 'echo early'], { bus, journal, name: 'early', callosum: false });
  await first.wait();
  const inspector = await startInspector({ bus });
  const stream = await openStream(inspector.url);
  try {
    const hello = await until(() => stream.messages.find((m) => m.event === 'hello'), 'the hello message');
    const expected = JSON.parse(hello.data).history as number;
    const history = await until(() => {
      const events = stream.messages.filter((m) => m.event === 'history').flatMap((m) => JSON.parse(m.data) as HistoryEvent[]);
      return events.length === expected && events;
    }, 'the history');
    assert.ok(history.some((e) => e.type === 'transition' && e.ref === first.ref && e.to === 'exited'));
    assert.ok(history.some((e) => e.type === 'line' && e.line === 'early'));

    const second = await ManagedProcess.spawn(['sh', '-c', 'echo late'], { bus, journal, name: 'late', callosum: false });
    await second.wait();
    const live = await until(() => {
      const events = stream.messages.filter((m) => m.event === 'batch').flatMap((m) => JSON.parse(m.data) as HistoryEvent[]);
      return events.some((e) => e.type === 'transition' && e.ref === second.ref && e.to === 'exited') && events;
    }, 'the second process on the stream');
    assert.ok(live.some((e) => e.type === 'line' && e.line === 'late'));
    const seqs = live.map((e) => e.seq);
    assert.equal(seqs, [...seqs].sort((a, b) => a - b), 'in bus order');
  } finally {
    stream.close();
    await inspector.close();
  }
});

test('a page that disconnects mid-stream leaves the server and the other pages unharmed', async () => {
  const bus = createBus();
  const journal = tempJournal();
  const inspector = await startInspector({ bus });
  const leaving = await openStream(inspector.url);
  const staying = await openStream(inspector.url);
  try {
    await until(() => inspector.clients === 2, 'two pages connected');
    const flood = await ManagedProcess.spawn([fixture('flood.mjs'), '20000'], { bus, journal, name: 'flood', callosum: false });
    await until(() => leaving.messages.length > 2, 'the stream under way');
    leaving.close();
    await flood.wait();
    await until(() => inspector.clients === 1, 'the gone page forgotten');
    await until(
      () => staying.messages.some((m) => m.event === 'batch' && m.data.includes('"to":"exited"') && m.data.includes(flood.ref)),
      'the other page seeing the exit',
    );
    // And a page that comes later is served as ever.
    assert.is((await get(inspector.url)).status, 200);
    const late = await openStream(inspector.url);
    await until(() => late.messages.some((m) => m.event === 'hello'), 'a new page greeted');
    late.close();
  } finally {
    staying.close();
    await inspector.close();
  }
});

test('a page that stops reading is let go instead of buffered without bound', async () => {
  const bus = createBus();
  const inspector = await startInspector({ bus, maxBufferedBytes: 64 * 1024 });
  const stuck = await openStream(inspector.url);
  try {
    stuck.res.pause();
    await until(() => inspector.clients === 1, 'the page connected');
    const flood = await ManagedProcess.spawn([fixture('flood.mjs'), '200000'], { bus, journal: tempJournal(), name: 'flood', callosum: false });
    await flood.wait();
    await until(() => inspector.clients === 0, 'the stuck page dropped', 20_000);
    const fresh = await openStream(inspector.url);
    await until(() => fresh.messages.some((m) => m.event === 'hello'), 'a new page greeted');
    fresh.close();
  } finally {
    stuck.close();
    await inspector.close();
  }
});

test('close() ends the streams and frees the port', async () => {
  const inspector = await startInspector({ bus: createBus() });
  const stream = await openStream(inspector.url);
  await until(() => inspector.clients === 1, 'the page connected');
  const ended = new Promise<void>((resolve) => {
    stream.res.on('close', () => resolve());
  });
  await inspector.close();
  await ended;
  await inspector.close();
  const again = await startInspector({ bus: createBus(), port: inspector.port });
  await again.close();
});

test('a taken port is an InspectorError; a bad one a ValidationError', async () => {
  const inspector = await startInspector({ bus: createBus() });
  try {
    const error = await startInspector({ bus: createBus(), port: inspector.port }).catch((e: unknown) => e);
    assert.instance(error, InspectorError);
    assert.is((error as InspectorError).code, 'EADDRINUSE');
  } finally {
    await inspector.close();
  }
  for (const port of [-1, 65536, 1.5, Number.NaN]) {
    const error = await startInspector({ bus: createBus(), port }).catch((e: unknown) => e);
    assert.instance(error, ValidationError, String(port));
  }
});

test('never keeps the host alive: a script with a page still connected exits by itself', async () => {
  const journal = tempJournal();
  const host = execa('node', ['--import', 'tsx', 'test/inspect/fixtures/embedded-host.ts', journal], { reject: false });
  let url = '';
  host.stdout!.setEncoding('utf8');
  host.stdout!.on('data', (chunk: string) => {
    url ||= chunk.split('\n')[0]!;
  });
  const stream = await until(async () => url && openStream(url), 'the host to print its URL', 20_000);
  try {
    const result = await host;
    assert.is(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /task exited 0/);
    await until(() => stream.messages.some((m) => m.data.includes('"to":"exited"')), 'the page to have seen the task end');
  } finally {
    stream.close();
    host.kill();
  }
});

test.run();
