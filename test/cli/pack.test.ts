import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { logTexts } from '../helpers.js';
import { ROOT } from './bin.js';

const test = suite('cli: npm pack, installed as a dependency');

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'brainstem-pack-'));
const project = path.join(scratch, 'agent');
let tarball = '';

test.after(() => fs.rmSync(scratch, { recursive: true, force: true }));

test('npm pack ships dist (code, types, bin), the README, docs/ and examples/, nothing of test/, bench/ or src/', () => {
  // `npm test` has just built dist (pretest); prepack would build the same again.
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: ROOT, encoding: 'utf8' });
  const [info] = JSON.parse(out) as [{ filename: string; files: { path: string }[] }];
  tarball = path.join(scratch, info.filename);
  const files = info.files.map((file) => file.path);
  for (const wanted of ['README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'docs/api.md', 'docs/inspector.png', 'examples/demo.ts']) assert.ok(files.includes(wanted), `ships ${wanted}`);
  // examples/ ships its sources only (no journal a run left there).
  const strays = files.filter((file) => /^(test|bench|src|journal|\.ci)\//.test(file) || (file.startsWith('examples/') && !/^examples\/([^/]+\.(ts|json)|Procfile|\.env)$/.test(file)) || file.endsWith('.tgz'));
  for (const wanted of ['schema/brainstem.schema.json', 'examples/brainstem.json', 'examples/Procfile', 'docs/cli.md']) assert.ok(files.includes(wanted), `ships ${wanted}`);
  assert.equal(strays, []);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; bin: Record<string, string>; scripts: Record<string, string> };
  assert.is(pkg.engines.node, '>=20');
  assert.is(pkg.bin.brainstem, 'dist/cli/main.js');
  assert.ok(pkg.scripts.prepack?.includes('build'), 'prepack builds dist');
  assert.ok(fs.readFileSync(path.join(ROOT, 'dist/cli/main.js'), 'utf8').startsWith('#!/usr/bin/env node\n'));
});

test('a scratch project installs the tarball, imports brainstem as ESM, runs a task, and calls the bin', () => {
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'scratch-agent', version: '1.0.0', private: true, type: 'module' }));
  const install = spawnSync('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, encoding: 'utf8' });
  assert.is(install.status, 0, install.stderr);

  const journal = path.join(project, 'journal');
  fs.writeFileSync(
    path.join(project, 'agent.mjs'),
    `import { runTask, createBus, project, processMachine } from 'brainstem';
const bus = createBus();
const result = await runTask(['sh', '-c', 'echo packed and running'], { journal: process.argv[2], bus, callosum: false });
const [view] = project(bus.history()).values();
console.log(JSON.stringify({ success: result.success, exitCode: result.exitCode, logPath: result.logPath, state: view.state, machine: processMachine.id }));
`,
  );
  const agent = spawnSync(process.execPath, ['agent.mjs', journal], { cwd: project, encoding: 'utf8' });
  assert.is(agent.status, 0, agent.stderr);
  const result = JSON.parse(agent.stdout) as { success: boolean; exitCode: number; logPath: string; state: string; machine: string };
  assert.equal([result.success, result.exitCode, result.state, result.machine], [true, 0, 'exited', 'process']);
  assert.equal(logTexts(result.logPath), ['packed and running']);

  const bin = path.join(project, 'node_modules', '.bin', 'brainstem');
  const version = spawnSync(bin, ['--version'], { cwd: project, encoding: 'utf8' });
  assert.is(version.status, 0, version.stderr);
  assert.is(version.stdout.trim(), (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  const run = spawnSync(bin, ['run', '--journal', journal, '--', 'echo', 'from the bin'], { cwd: project, encoding: 'utf8' });
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stdout, 'from the bin\n');
  const logs = spawnSync(bin, ['logs', 'echo', '--journal', journal], { cwd: project, encoding: 'utf8' });
  assert.match(logs.stdout, /\[echo:stdout\] from the bin\n$/);
  assert.ok(fs.existsSync(path.join(project, 'node_modules', 'brainstem', 'dist', 'index.d.ts')), 'types are installed');
});

test('the installed README and docs link only to files the installed package has', () => {
  const installed = path.join(project, 'node_modules', 'brainstem');
  const docs = fs.readdirSync(path.join(installed, 'docs')).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`);
  assert.ok(docs.length > 5, `${docs.length} docs pages installed`);
  const broken: string[] = [];
  let links = 0;
  for (const file of ['README.md', ...docs]) {
    for (const [, target] of fs.readFileSync(path.join(installed, file), 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      links++;
      if (!fs.existsSync(path.join(installed, path.dirname(file), target!))) broken.push(`${file} -> ${target}`);
    }
  }
  assert.ok(links > 10, `${links} relative links checked`);
  assert.equal(broken, []);
  assert.match(fs.readFileSync(path.join(installed, 'README.md'), 'utf8'), /@types\/node/);
});

test.run();
