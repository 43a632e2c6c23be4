/**
 * The services panel in a real headless Chromium, fed by a real Supervisor:
 * its services' states, restarts, pids, up since, next restart countdown and
 * who gave up; the service chart drawn from `serviceMachine`; the task
 * queues; and the history slider replaying services too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, startInspector, Supervisor, type Bus, type Inspector, type Stamped } from '../../src/index.js';
import { fixture, scratchDir, tempJournal, until } from '../helpers.js';
import { launchBrowser } from './helpers.js';

const WAIT = { timeout: 20_000 };
const TICKER = fileURLToPath(new URL('./fixtures/tick-forever.sh', import.meta.url));

type Context = {
  bus: Bus;
  journal: string;
  sup: Supervisor;
  inspector: Inspector;
  browser: Awaited<ReturnType<typeof launchBrowser>>;
  page: Page;
  pageErrors: string[];
  gate: string;
  gates: string[];
};

const services = suite<Context>('inspector services panel');
const row = (name: string, state?: string) => `#services tr[data-service="${name}"]${state ? `[data-state="${state}"]` : ''}`;
const cells = (page: Page, name: string) => page.locator(`${row(name)} td`).allInnerTexts();
/** Picks a service as a user would, until the page shows it picked (the table is redrawn every second for the countdown). */
const pick = (page: Page, name: string) =>
  until(async () => {
    await page.click(row(name));
    return (await page.locator('#service-chart-title').innerText()).startsWith(`${name} —`);
  }, `${name} picked`);
const COLUMNS = ['service', 'state', 'restarts', 'pid', 'up since', 'next restart', 'gave up'];
const cell = (texts: string[], column: string) => texts[COLUMNS.indexOf(column)];

services.before(async (ctx) => {
  ctx.bus = createBus();
  ctx.journal = tempJournal();
  ctx.gate = path.join(scratchDir('gate'), 'go');
  ctx.gates = [];
  ctx.inspector = await startInspector({ bus: ctx.bus, journal: ctx.journal });
  ctx.browser = await launchBrowser();
  ctx.page = ctx.browser.context.pages()[0] ?? (await ctx.browser.context.newPage());
  ctx.pageErrors = [];
  ctx.page.on('pageerror', (error) => ctx.pageErrors.push(String(error)));
  await ctx.page.goto(ctx.inspector.url);
  await ctx.page.waitForSelector('body[data-ready="true"]', WAIT);
  assert.ok(await ctx.page.locator('#supervision').isHidden(), 'no services panel before there is a service');

  ctx.sup = new Supervisor({ journal: ctx.journal, bus: ctx.bus, callosum: false, control: false, sweep: false });
  ctx.sup.add('steady', [TICKER], { ready: { line: 'tick 2' } });
  // Crashes at once, is restarted at once, crashes again, and then waits a minute.
  ctx.sup.add('crashy', ['sh', '-c', 'echo crashing; exit 1'], { backoff: [0, 60_000] });
  ctx.sup.add('quitter', ['sh', '-c', 'exit 3'], { backoff: [0], maxRestarts: { count: 1, within: 60_000 } });
  ctx.sup.add('after-steady', [TICKER], { after: ['steady'] });
  // It rejects when quitter gives up; the page is what this test reads.
  ctx.sup.start().catch(() => {});
});

services.after(async (ctx) => {
  for (const gate of [ctx.gate, ...ctx.gates]) fs.writeFileSync(gate, '');
  await ctx.sup?.stop().catch(() => {});
  await ctx.browser?.close();
  await ctx.inspector?.close();
});

services('the table shows each service as status() does: up with its pid, the countdown of a backoff, who gave up', async (ctx) => {
  const { page, sup } = ctx;
  await page.waitForSelector(row('steady', 'up'), WAIT);
  await page.waitForSelector(row('after-steady', 'up'), WAIT);
  await page.waitForSelector(row('crashy', 'backoff'), WAIT);
  await page.waitForSelector(row('quitter', 'failed'), WAIT);
  const status = new Map(sup.status().map((s) => [s.name, s]));

  const steady = await cells(page, 'steady');
  assert.is(cell(steady, 'pid'), String(status.get('steady')!.pid));
  assert.is(cell(steady, 'restarts'), '0');
  assert.match(cell(steady, 'up since')!, /^\d\d:\d\d:\d\d \(/);
  assert.is(cell(steady, 'gave up'), '');

  const crashy = await cells(page, 'crashy');
  assert.is(cell(crashy, 'restarts'), String(status.get('crashy')!.restarts));
  assert.is(cell(crashy, 'pid'), '', 'no process between runs');
  assert.match(cell(crashy, 'next restart')!, /^in \d+(\.\d)? s$/);
  const nextStartAt = status.get('crashy')!.nextStartAt!;
  const seconds = Number(/in (\S+) s/.exec(cell(crashy, 'next restart')!)![1]);
  assert.ok(seconds > 0 && seconds <= 60 && Math.abs(Date.now() + seconds * 1000 - nextStartAt) < 5000, `countdown ${seconds} s for ${nextStartAt - Date.now()} ms`);

  const quitter = await cells(page, 'quitter');
  assert.is(cell(quitter, 'gave up'), 'after 1 restart');
  assert.is(status.get('quitter')!.state, 'failed');
  assert.match(await page.locator('#summary').innerText(), /2 of 4 services up/);
});

services('the service chart is serviceMachine, the picked service on it with the path it took', async (ctx) => {
  const { page } = ctx;
  const nodes = await page.locator('#service-chart .node').evaluateAll((gs) => gs.map((g) => (g as unknown as { dataset: { state: string } }).dataset.state));
  assert.equal(nodes.sort(), ['backoff', 'failed', 'starting', 'stopped', 'stopping', 'up', 'waiting']);
  await pick(page, 'crashy');
  await page.waitForSelector('#service-chart .node.current[data-state="backoff"]', WAIT);
  await page.waitForSelector('#service-chart-title:has-text("crashy — backoff")', WAIT);
  for (const [from, to] of [['waiting', 'starting'], ['starting', 'up'], ['up', 'backoff'], ['backoff', 'starting']]) {
    assert.ok(await page.isVisible(`#service-chart .edge.path[data-from="${from}"][data-to="${to}"]`), `${from} → ${to} coloured`);
  }
  assert.is(await page.locator('#service-chart .edge.path[data-to="failed"]').count(), 0);
  // Picking a service shows its last process below, with the service's moves among its events.
  const crashyRef = ctx.sup.status().find((s) => s.name === 'crashy')!.ref!;
  await page.waitForSelector(`#processes tr.selected[data-ref="${crashyRef}"]`, WAIT);
  await page.waitForSelector('#events li[data-type="service"][data-to="backoff"]', WAIT);

  await pick(page, 'quitter');
  await page.waitForSelector('#service-chart .node.current[data-state="failed"]', WAIT);
});

services('task queues: one task per command runs, the rest wait, in order', async (ctx) => {
  const { page, sup, gate } = ctx;
  const refs = [1, 2, 3].map((i) => sup.submit([fixture('wait-for-file.sh'), gate], { ref: `task${i}` }) ?? sup.submit([fixture('wait-for-file.sh'), `${gate}`, String(i)], { ref: `task${i}` }));
  assert.equal(refs, ['task1', 'task2', 'task3']);
  const queueRow = '#queues tr[data-command="wait-for-file.sh"]';
  await page.waitForSelector(`${queueRow}:has(td:text-is("task1"))`, WAIT);
  const texts = await page.locator(`${queueRow} td`).allInnerTexts();
  assert.is(texts[1], 'task1');
  assert.is(texts[2], String(sup.queue().find((q) => q.command === 'wait-for-file.sh')!.queued.length));
  assert.ok(Number(texts[2]) >= 1);
  fs.writeFileSync(gate, '');
  await page.waitForSelector(`${queueRow}:has(td:text-is("0"))`, WAIT);
  await until(() => sup.queue().every((q) => q.running === null), 'every task done');
  await page.waitForFunction(() => (globalThis as any).document.querySelector('#queues tr[data-command="wait-for-file.sh"] td:nth-child(2)').textContent === '', undefined, WAIT);
});

services('the history slider replays services too', async (ctx) => {
  const { page, bus } = ctx;
  const history = bus.history();
  const firstUp = history.findIndex((e) => e.type === 'service' && e.service === 'crashy' && e.to === 'up');
  assert.ok(firstUp >= 0);
  await page.locator('#slider').fill(String(firstUp + 1));
  await page.waitForSelector('#position:has-text("replay")', WAIT);
  await page.waitForSelector(row('crashy', 'up'), WAIT);
  await pick(page, 'crashy');
  await page.waitForSelector('#service-chart .node.current[data-state="up"]', WAIT);
  assert.is(await page.locator('#service-chart .edge.path[data-to="backoff"]').count(), 0, 'nothing from after that moment');
  // INSPECTOR_REPLAY_SCREENSHOT=docs/inspector-replay.png refreshes the docs' picture of a replay.
  if (process.env.INSPECTOR_REPLAY_SCREENSHOT) await page.screenshot({ path: process.env.INSPECTOR_REPLAY_SCREENSHOT, fullPage: true });
  const quitterEvents = history.slice(0, firstUp + 1).filter((e) => e.type === 'service' && e.service === 'quitter') as Stamped<'service'>[];
  const quitterThen = quitterEvents.at(-1)?.to;
  if (quitterThen) await page.waitForSelector(row('quitter', quitterThen), WAIT);
  else assert.is(await page.locator(row('quitter')).count(), 0);
  await page.click('#live');
  await page.waitForSelector(row('crashy', 'backoff'), WAIT);
  await page.waitForSelector(row('quitter', 'failed'), WAIT);
});

services('no page error; a screenshot is saved', async (ctx) => {
  const { page, sup } = ctx;
  // Something waiting in a queue for the picture; the after hook lets it go.
  const later = path.join(path.dirname(ctx.gate), 'later');
  ctx.gates.push(later);
  sup.submit([fixture('wait-for-file.sh'), later], { ref: 'index-1' });
  sup.submit([fixture('wait-for-file.sh'), later, 'again'], { ref: 'index-2' });
  await page.waitForSelector('#queues tr[data-command="wait-for-file.sh"]:has(td:text-is("index-1"))', WAIT);
  await pick(page, 'crashy');
  await page.waitForSelector('#service-chart .node.current[data-state="backoff"]', WAIT);
  await page.waitForSelector('#log .line:has-text("crashing")', WAIT);
  assert.equal(ctx.pageErrors, []);
  // INSPECTOR_SCREENSHOT=docs/inspector.png refreshes the README's picture.
  const file = process.env.INSPECTOR_SCREENSHOT ?? path.join(scratchDir('shot'), 'inspector.png');
  await page.screenshot({ path: file, fullPage: true });
  assert.equal([...fs.readFileSync(file).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});

services.run();
