/**
 * The inspector page in a real headless Chromium, watching real children.
 * One browser for the whole file; every wait is for a condition on the page.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, ManagedProcess, project, SpawnError, startInspector, type Bus, type Inspector, type Stamped } from '../../src/index.js';
import { fixture, scratchDir, tempJournal } from '../helpers.js';
import { launchBrowser } from './helpers.js';

const WAIT = { timeout: 15_000 };
const TICKER = fileURLToPath(new URL('./fixtures/tick-forever.sh', import.meta.url));
const PRINT_MARKUP = fileURLToPath(new URL('./fixtures/print-markup.sh', import.meta.url));

type Context = {
  bus: Bus;
  journal: string;
  inspector: Inspector;
  browser: { context: BrowserContext; close: () => Promise<void> };
  page: Page;
  requests: string[];
  pageErrors: string[];
  children: ManagedProcess[];
  worker?: ManagedProcess;
};

const page = suite<Context>('inspector page');

page.before(async (ctx) => {
  ctx.bus = createBus();
  ctx.journal = tempJournal();
  ctx.inspector = await startInspector({ bus: ctx.bus });
  ctx.browser = await launchBrowser();
  ctx.page = ctx.browser.context.pages()[0] ?? (await ctx.browser.context.newPage());
  ctx.requests = [];
  ctx.pageErrors = [];
  ctx.children = [];
  ctx.browser.context.on('request', (request) => ctx.requests.push(request.url()));
  ctx.page.on('pageerror', (error) => ctx.pageErrors.push(String(error)));
  await ctx.page.goto(ctx.inspector.url);
  await ctx.page.waitForSelector('body[data-ready="true"]', WAIT);
  await ctx.page.waitForSelector('#connection[data-status="live"]', WAIT);
});

page.after(async (ctx) => {
  for (const child of ctx.children) await child.terminate({ timeout: 2000 }).catch(() => {});
  await ctx.browser?.close();
  await ctx.inspector?.close();
});

const spawn = async (ctx: Context, cmd: string[], name: string) => {
  const child = await ManagedProcess.spawn(cmd, { bus: ctx.bus, journal: ctx.journal, name, callosum: false });
  ctx.children.push(child);
  return child;
};
const row = (ref: string, state?: string) => `#processes tr[data-ref="${ref}"]${state ? `[data-state="${state}"]` : ''}`;
const current = (state: string) => `#chart .node.current[data-state="${state}"]`;

page('the table and the highlighted state follow a process live', async (ctx) => {
  const gate = path.join(scratchDir('gate'), 'go');
  const worker = await spawn(ctx, [fixture('wait-for-file.sh'), gate], 'worker');
  await ctx.page.click(row(worker.ref, 'running'), WAIT);
  await ctx.page.waitForSelector(current('running'), WAIT);
  await ctx.page.waitForSelector('#log .line:has-text("before")', WAIT);
  const cells = await ctx.page.locator(`${row(worker.ref)} td`).allInnerTexts();
  assert.is(cells[0], 'worker');
  assert.is(cells[1], worker.ref);
  assert.is(cells[2], String(worker.pid));
  assert.is(cells[3], 'running');
  assert.is(cells[6], worker.logPath);

  fs.writeFileSync(gate, '');
  await worker.wait();
  await ctx.page.waitForSelector(row(worker.ref, 'exited'), WAIT);
  await ctx.page.waitForSelector(current('exited'), WAIT);
  await ctx.page.waitForSelector('#log .line:has-text("after")', WAIT);
  assert.is((await ctx.page.locator(`${row(worker.ref)} td`).allInnerTexts())[4], '0');
  // The path it took is coloured, the edges it did not take are not.
  assert.ok(await ctx.page.isVisible('#chart .edge.path[data-from="spawning"][data-to="running"]'));
  assert.ok(await ctx.page.isVisible('#chart .edge.path[data-from="running"][data-to="exited"]'));
  assert.is(await ctx.page.locator('#chart .edge.path[data-from="spawning"][data-to="failed"]').count(), 0);
  assert.ok(await ctx.page.isVisible('#chart .node.visited[data-state="running"]'));
  const events = await ctx.page.locator('#events li[data-type="transition"]').evaluateAll((items) => items.map((li) => (li as unknown as { dataset: { to?: string } }).dataset.to));
  assert.equal(events, ['spawning', 'running', 'exited']);
  ctx.worker = worker;
});

page('the history slider replays the table and the chart as they were', async (ctx) => {
  const worker = ctx.worker!;
  const history = ctx.bus.history();
  const runningAt = history.findIndex((e) => e.type === 'transition' && e.ref === worker.ref && e.to === 'running');
  assert.ok(runningAt >= 0);
  // Show the history up to and including the `running` transition.
  await ctx.page.locator('#slider').fill(String(runningAt + 1));
  await ctx.page.waitForSelector(row(worker.ref, 'running'), WAIT);
  await ctx.page.waitForSelector(current('running'), WAIT);
  await ctx.page.waitForSelector('#position:has-text("replay")', WAIT);
  assert.is(await ctx.page.locator('#log .line:has-text("after")').count(), 0, 'no line from after that moment');
  assert.is(await ctx.page.locator('#chart .edge.path[data-to="exited"]').count(), 0);

  await ctx.page.locator('#slider').fill('0');
  await ctx.page.waitForSelector('#processes tbody tr', { state: 'detached', ...WAIT });

  await ctx.page.click('#live');
  await ctx.page.waitForSelector(row(worker.ref, 'exited'), WAIT);
  await ctx.page.waitForSelector(current('exited'), WAIT);
});

page("the page's replay agrees with project() at every point of the history", async (ctx) => {
  const history = ctx.bus.history();
  const fromPage = await ctx.page.evaluate(() => {
    const { state, viewAt } = (globalThis as any).inspector;
    const seqs = state.events.map((e: { seq: number }) => e.seq);
    const tables = [];
    for (let count = 0; count <= state.events.length; count++) {
      tables.push(viewAt(state.events, count).rows.map(({ ref, name, pid, state: s, exitCode, logPath }: any) => ({ ref, name, pid, state: s, exitCode, logPath })));
    }
    return { seqs, tables };
  });
  assert.equal(fromPage.seqs, history.map((e) => e.seq), 'the page holds the bus history');
  fromPage.tables.forEach((table, count) => {
    assert.equal(table, [...project(history.slice(0, count)).values()], `after ${count} events`);
  });
});

page('child output is shown as text, never run as markup', async (ctx) => {
  const markup = await spawn(ctx, [PRINT_MARKUP], 'markup');
  await markup.wait();
  await ctx.page.click(row(markup.ref, 'exited'), WAIT);
  await ctx.page.waitForSelector('#log .line.stream-stderr', WAIT);
  const texts = await ctx.page.locator('#log .line .text').allInnerTexts();
  assert.equal(texts.sort(), ['&lt;b&gt; & "quotes"', '<img src=x onerror="window.__pwned = 2">', '<script>window.__pwned = 1</script>'].sort());
  assert.is(await ctx.page.evaluate(() => (globalThis as any).__pwned), undefined);
  assert.is(await ctx.page.locator('#log script, #log img, main script, main img').count(), 0);
});

page('a page that goes away mid-stream does not disturb the server or the other page', async (ctx) => {
  const leaving = await ctx.browser.context.newPage();
  await leaving.goto(ctx.inspector.url);
  await leaving.waitForSelector('#connection[data-status="live"]', WAIT);
  const flood = await spawn(ctx, [fixture('flood.mjs'), '30000'], 'flood');
  await leaving.waitForSelector(row(flood.ref), WAIT);
  await leaving.close();
  await flood.wait();
  await ctx.page.waitForSelector(row(flood.ref, 'exited'), WAIT);
  await ctx.page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#processes tbody tr').length === 3, undefined, WAIT);
  const after = await ctx.browser.context.newPage();
  await after.goto(ctx.inspector.url);
  await after.waitForSelector(row(flood.ref, 'exited'), WAIT);
  await after.close();
});

page('a terminated process and a stubborn one end as exited -15 and killed -9', async (ctx) => {
  const sleeper = await spawn(ctx, ['sleep', '30'], 'sleeper');
  const stubborn = await ManagedProcess.spawn([fixture('ignore-sigterm.sh')], { bus: ctx.bus, journal: ctx.journal, name: 'stubborn', callosum: false, terminateTimeout: 300 });
  ctx.children.push(stubborn);
  await ctx.page.waitForSelector(row(stubborn.ref, 'running'), WAIT);
  await Promise.all([sleeper.terminate(), stubborn.terminate()]);
  await ctx.page.waitForSelector(row(sleeper.ref, 'exited'), WAIT);
  await ctx.page.click(row(stubborn.ref, 'killed'), WAIT);
  await ctx.page.waitForSelector(current('killed'), WAIT);
  assert.ok(await ctx.page.isVisible('#chart .edge.path[data-from="terminating"][data-to="killed"]'));
  assert.is((await ctx.page.locator(`${row(sleeper.ref)} td`).allInnerTexts())[4], '-15');
  assert.is((await ctx.page.locator(`${row(stubborn.ref)} td`).allInnerTexts())[4], '-9');
});

page('a command that cannot start shows as failed, with its reason', async (ctx) => {
  const error = await ManagedProcess.spawn(['/nonexistent/agent-tool'], { bus: ctx.bus, journal: ctx.journal, name: 'missing', callosum: false }).catch((e: unknown) => e);
  assert.instance(error, SpawnError);
  const failed = ctx.bus.history().find((e) => e.type === 'transition' && e.name === 'missing' && e.to === 'failed') as Stamped<'transition'>;
  await ctx.page.click(row(failed.ref, 'failed'), WAIT);
  await ctx.page.waitForSelector(current('failed'), WAIT);
  await ctx.page.waitForSelector('#events li[data-to="failed"]:has-text("ENOENT")', WAIT);
});

page('every request stayed on the inspector; a screenshot is saved', async (ctx) => {
  // Something still running in the picture, and the killed one selected.
  const ticker = await spawn(ctx, [TICKER], 'ticker');
  await ctx.page.waitForSelector(`${row(ticker.ref, 'running')}`, WAIT);
  const stubborn = ctx.bus.history().find((e) => e.type === 'transition' && e.name === 'stubborn') as Stamped<'transition'>;
  await ctx.page.click(row(stubborn.ref, 'killed'), WAIT);
  await ctx.page.waitForSelector(current('killed'), WAIT);
  const origin = `${new URL(ctx.inspector.url).origin}/`;
  const outside = ctx.requests.filter((url) => !url.startsWith(origin) && !url.startsWith('data:'));
  // Only the first request needed the token in its URL; the cookie carried it for the rest.
  assert.ok(ctx.requests.filter((url) => url.includes('token=')).every((url) => url === ctx.inspector.url));
  assert.equal(outside, []);
  assert.equal(ctx.pageErrors, []);
  // The services test takes the README's picture; this one is the process page alone.
  const file = process.env.INSPECTOR_PROCESS_SCREENSHOT ?? path.join(scratchDir('shot'), 'inspector.png');
  await ctx.page.screenshot({ path: file });
  assert.equal([...fs.readFileSync(file).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});

page.run();
