/**
 * `brainstem inspect` as a user runs it: a separate process listening on the
 * journal's Callosum socket, opened in a real headless Chromium while another
 * process runs children.
 */
import { execa } from 'execa';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { CallosumConnection, CallosumServer, createBus, ManagedProcess, Supervisor } from '../../src/index.js';
import { readEvents } from '../../src/eventlog/read.js';
import { fixture, scratchDir, tempJournal, until } from '../helpers.js';
import { launchBrowser } from './helpers.js';

const WAIT = { timeout: 15_000 };
const TICKER = fileURLToPath(new URL('./fixtures/tick-forever.sh', import.meta.url));
const row = (ref: string, state?: string) => `#processes tr[data-ref="${ref}"]${state ? `[data-state="${state}"]` : ''}`;

test("brainstem inspect replays the day's event log from its first record, then follows Callosum live", async () => {
  const journal = tempJournal();
  const bus = createBus();
  // Two runtimes that ran and ended before the inspector: known from the journal's event log.
  const before: string[] = [];
  for (const text of ['from before', 'from the second runtime']) {
    const run = await execa('node', ['--import', 'tsx', 'src/cli/main.ts', 'run', '--journal', journal, '--name', 'earlier', '--', 'sh', '-c', `echo ${text}`], { reject: false });
    assert.is(run.exitCode, 0, run.stderr);
  }
  const { records } = await readEvents({ journal });
  for (const record of records) if (record.type === 'transition' && record.from === null) before.push(record.ref);
  assert.is(before.length, 2);
  assert.is(new Set(records.map((r) => r.host?.pid)).size, 2, 'two runtimes wrote the log');

  const server = new CallosumServer({ journal });
  await server.start();
  const connection = new CallosumConnection({ journal });
  connection.start();
  const cli = execa('node', ['--import', 'tsx', 'src/cli/main.ts', 'inspect', '--journal', journal, '--port', '0'], { reject: false });
  let stdout = '';
  cli.stdout!.setEncoding('utf8');
  cli.stdout!.on('data', (chunk: string) => (stdout += chunk));
  const browser = await launchBrowser();
  const children: ManagedProcess[] = [];
  try {
    const url = await until(() => /brainstem inspector: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(stdout)?.[1], 'the inspector URL on stdout', 20_000);
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto(url);
    for (const ref of before) await page.waitForSelector(row(ref, 'exited'), WAIT);
    await page.click(row(before[0]!));
    await page.waitForSelector('#chart .node.current[data-state="exited"]', WAIT);
    // Its lines are not in the event log: the page reads the tail of its log file.
    await page.waitForSelector('#log .line:has-text("from before")', WAIT);
    // The slider reaches back to the first record, before the inspector started: nothing had run yet.
    assert.is(await page.locator('#slider').getAttribute('max'), String(records.length));
    // The first record is the log file opened, the second the first process's spawn.
    assert.equal(records.slice(0, 2).map((r) => r.type), ['log', 'transition']);
    await page.locator('#slider').fill('2');
    await page.waitForSelector(row(before[0]!, 'spawning'), WAIT);
    assert.is(await page.locator('#processes tbody tr').count(), 1);
    await page.click('#live');
    await page.waitForSelector(row(before[1]!, 'exited'), WAIT);

    // Both clients on the socket (ours and the inspector's), so nothing is broadcast before the inspector listens.
    await until(() => connection.isConnected && server.stats().clients === 2, 'the inspector on Callosum');
    const gate = path.join(scratchDir('gate'), 'go');
    const live = await ManagedProcess.spawn([fixture('wait-for-file.sh'), gate], { bus, journal, name: 'live', callosum: connection });
    children.push(live);
    await page.waitForSelector(row(live.ref, 'running'), WAIT);
    fs.writeFileSync(gate, '');
    await live.wait();
    await page.click(row(live.ref, 'exited'), WAIT);
    await page.waitForSelector('#chart .node.current[data-state="exited"]', WAIT);
    await page.waitForSelector('#log .line:has-text("after")', WAIT);
    const cells = await page.locator(`${row(live.ref)} td`).allInnerTexts();
    assert.is(cells[0], 'live');
    assert.is(cells[2], String(live.pid));
    assert.is(cells[4], '0');
    assert.is(cells[6], live.logPath);

    const second = await ManagedProcess.spawn(['sleep', '30'], { bus, journal, name: 'second', callosum: connection });
    children.push(second);
    await page.waitForSelector(row(second.ref, 'running'), WAIT);
    await second.terminate();
    await page.waitForSelector(row(second.ref, 'exited'), WAIT);
    const events = await page.click(row(second.ref)).then(() =>
      page.locator('#events li[data-type="transition"]').evaluateAll((items) => items.map((li) => (li as unknown as { dataset: { to?: string } }).dataset.to)),
    );
    assert.equal(events, ['spawning', 'running', 'terminating', 'exited'], 'every transition, not only exec and exit');
  } finally {
    for (const child of children) await child.terminate({ timeout: 2000 }).catch(() => {});
    await browser.close();
    cli.kill('SIGTERM');
    const result = await cli;
    await connection.stop();
    await server.stop();
    assert.is(result.exitCode, 0, result.stderr);
  }
});

test('brainstem inspect shows services: replayed from an earlier `brainstem up`, then live from a Supervisor over Callosum', async () => {
  const journal = tempJournal();
  const dir = scratchDir('up');
  fs.writeFileSync(path.join(dir, 'brainstem.json'), JSON.stringify({ services: { earlier: { cmd: [TICKER] } } }));
  // Another runtime ran a service and was stopped before the inspector came.
  const up = execa('node', ['--import', 'tsx', 'src/cli/main.ts', 'up', '--config', path.join(dir, 'brainstem.json'), '--journal', journal], { reject: false });
  await until(async () => (await readEvents({ journal })).records.some((r) => r.type === 'service' && r.to === 'up'), 'the earlier service up', 20_000);
  up.kill('SIGTERM');
  assert.is((await up).exitCode, 0);

  const server = new CallosumServer({ journal });
  await server.start();
  const connection = new CallosumConnection({ journal });
  connection.start();
  const cli = execa('node', ['--import', 'tsx', 'src/cli/main.ts', 'inspect', '--journal', journal], { reject: false });
  let stdout = '';
  cli.stdout!.setEncoding('utf8');
  cli.stdout!.on('data', (chunk: string) => (stdout += chunk));
  const browser = await launchBrowser();
  const bus = createBus();
  const sup = new Supervisor({ journal, bus, callosum: connection, control: false, sweep: false });
  const gate = path.join(scratchDir('gate'), 'go');
  try {
    const url = await until(() => /brainstem inspector: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(stdout)?.[1], 'the inspector URL on stdout', 20_000);
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto(url);
    await page.waitForSelector('#services tr[data-service="earlier"][data-state="stopped"]', WAIT);

    await until(() => connection.isConnected && server.stats().clients >= 2, 'the inspector on Callosum');
    sup.add('live', [TICKER], { ready: { line: 'tick 1' } });
    await sup.start();
    await page.waitForSelector('#services tr[data-service="live"][data-state="up"]', WAIT);
    const pid = (await page.locator('#services tr[data-service="live"] td').allInnerTexts())[3];
    assert.is(pid, String(sup.status()[0]!.pid));
    sup.submit([fixture('wait-for-file.sh'), gate], { ref: 'first' });
    sup.submit([fixture('wait-for-file.sh'), gate, 'second'], { ref: 'second' });
    await page.waitForSelector('#queues tr[data-command="wait-for-file.sh"]:has(td:text-is("first"))', WAIT);
    assert.is((await page.locator('#queues tr[data-command="wait-for-file.sh"] td').allInnerTexts())[2], '1');
  } finally {
    fs.writeFileSync(gate, '');
    await sup.stop().catch(() => {});
    await browser.close();
    cli.kill('SIGTERM');
    await cli;
    await connection.stop();
    await server.stop();
  }
});

test("brainstem inspect refuses another user's journal before it listens or serves anything", async () => {
  const journal = tempJournal();
  fs.mkdirSync(journal, { mode: 0o700 });
  fs.chownSync(journal, 65534, 65534);
  const result = await execa('node', ['--import', 'tsx', 'src/cli/main.ts', 'inspect', '--journal', journal], { reject: false, timeout: 20_000 });
  assert.is(result.exitCode, 1);
  assert.match(result.stderr, /belongs to uid 65534, not to you/);
  assert.not.match(result.stdout, /http:/);
  assert.not.ok(fs.existsSync(path.join(journal, 'health')), 'nothing made inside it');
});

test('brainstem inspect refuses a bad port with a usage error', async () => {
  const result = await execa('node', ['--import', 'tsx', 'src/cli/main.ts', 'inspect', '--port', 'eighty'], { reject: false });
  assert.is(result.exitCode, 2);
  assert.match(result.stderr, /--port must be a whole number/);
});

test.run();
