import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, runTask } from '../../src/index.js';
import { fixture, logTexts, numbered, REPO, tempDir } from './helpers.js';

const test = suite('many runs of one name race on the <name>.log symlinks: never dangling, every log complete');

type Run = { tag: string; logPath: string; exitCode: number };

/** A separate process resolving both symlinks in a tight loop for as long as `work` runs. */
async function whileReaderLooks(dir: string, journal: string, work: () => Promise<Run[]>) {
  const day = new Date();
  const stamp = `${day.getFullYear()}${String(day.getMonth() + 1).padStart(2, '0')}${String(day.getDate()).padStart(2, '0')}`;
  const stop = path.join(dir, 'stop');
  const links = [path.join(journal, 'health', 'same.log'), path.join(journal, stamp, 'health', 'same.log')];
  const reader = promisify(execFile)(process.execPath, [fixture('resolves_links_until_stopped.mjs'), stop, ...links]);
  try {
    const runs = await work();
    return { runs, links };
  } finally {
    fs.writeFileSync(stop, '');
    const { stdout } = await reader;
    const seen = JSON.parse(stdout) as { checks: number; dangling: number; examples: string[] };
    assert.ok(seen.checks > 0, 'the reader looked at the links while the runs went');
    assert.is(seen.dangling, 0, `dangling links seen: ${seen.examples.join('; ')}`);
  }
}

function assertComplete(runs: Run[], links: string[]) {
  const files = new Set<string>();
  for (const run of runs) {
    assert.is(run.exitCode, 0, run.tag);
    const texts = logTexts(run.logPath);
    const expected = numbered(`${run.tag} `, 1, 100);
    const differs = texts.findIndex((text, i) => text !== expected[i]);
    assert.ok(texts.length === 100 && differs === -1, `${run.tag}'s log ${run.logPath}: ${texts.length} lines, first difference at ${differs}: ${JSON.stringify(texts[differs])}; shared with ${runs.filter((r) => r.logPath === run.logPath).map((r) => r.tag).join(', ')}`);
    files.add(run.logPath);
  }
  assert.is(files.size, runs.length, 'every run had its own file');
  for (const link of links) assert.ok(files.has(fs.realpathSync(link)), `${link} points at one of the runs' logs`);
}

test('60 concurrent runs of one name in one process', async () => {
  const { dir, journal, remove } = tempDir('same-name');
  try {
    const bus = createBus({ lineHistoryLimit: 1 });
    const { runs, links } = await whileReaderLooks(dir, journal, () =>
      Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          runTask([fixture('prints_numbered_lines.sh'), `in-${i}`, '100'], { journal, bus, name: 'same' }).then((r) => ({ tag: `in-${i}`, logPath: r.logPath, exitCode: r.exitCode })),
        ),
      ),
    );
    assertComplete(runs, links);
  } finally {
    remove();
  }
});

test('60 concurrent runs of one name across three processes and this one', async () => {
  const { dir, journal, remove } = tempDir('same-name-procs');
  const host = (tag: string) =>
    new Promise<Run[]>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', fixture('runs_same_name_concurrently.ts'), journal, '15', tag], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Run[]) : reject(new Error(`host ${tag} exited ${code}`))));
    });
  try {
    const bus = createBus({ lineHistoryLimit: 1 });
    const { runs, links } = await whileReaderLooks(dir, journal, async () => {
      const hosts = Promise.all(['a', 'b', 'c'].map(host));
      const here = Promise.all(
        Array.from({ length: 15 }, (_, i) =>
          runTask([fixture('prints_numbered_lines.sh'), `here-${i}`, '100'], { journal, bus, name: 'same' }).then((r) => ({ tag: `here-${i}`, logPath: r.logPath, exitCode: r.exitCode })),
        ),
      );
      return [...(await hosts).flat(), ...(await here)];
    });
    assert.is(runs.length, 60);
    assertComplete(runs, links);
    const leftovers = fs.readdirSync(path.dirname(links[0]!)).filter((entry) => entry.includes('.tmp'));
    assert.equal(leftovers, [], 'no temporary links left behind');
  } finally {
    remove();
  }
});

test.run();
