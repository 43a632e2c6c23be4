import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './bin.js';

const test = suite('README: a newcomer can follow it');

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const source = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

test('has exactly the two set-up commands', () => {
  assert.ok(readme.includes('npm ci && npm run demo'));
  assert.ok(readme.includes('npm ci && npm test'));
  const pkg = JSON.parse(source('package.json')) as { scripts: Record<string, string> };
  assert.ok(pkg.scripts.demo && pkg.scripts.test, 'both scripts exist');
});

test('names every export of src/index.ts', () => {
  const names = new Set<string>();
  for (const [, list] of source('src/index.ts').matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const item of list!.split(',')) {
      const name = item.trim().replace(/^type /, '').split(/\s+as\s+/).pop()!.trim();
      if (name) names.add(name);
    }
  }
  assert.ok(names.size > 20, `parsed ${names.size} exports`);
  const missing = [...names].filter((name) => !new RegExp(`\`[^\`]*\\b${name}\\b[^\`]*\``).test(readme));
  assert.equal(missing, [], 'exports the README does not mention');
});

test('documents every SpawnOptions and RunTaskOptions option', () => {
  const options = [...source('src/process/options.ts').split('export interface SpawnOptions {')[1]!.split('\n}')[0]!.matchAll(/^  (\w+)\?:/gm)].map((match) => match[1]!);
  options.push('timeout', 'inspect');
  assert.ok(options.length > 10);
  const missing = options.filter((option) => !readme.includes(`| \`${option}\``));
  assert.equal(missing, [], 'options without a row in the README');
});

test('documents every bus event and the Callosum logs tract events with their fields', () => {
  for (const event of ['transition', 'line', 'log']) assert.ok(readme.includes(`| \`${event}\` |`), event);
  assert.ok(readme.includes('| `exec` | the process is running | `ref, name, pid, cmd, log_path` |'));
  assert.ok(readme.includes('| `line` | one per logged line | `ref, name, pid, stream, line` |'));
  assert.ok(readme.includes('| `exit` | the process has ended (exited or killed) | `ref, name, pid, exit_code, duration_ms, cmd, log_path, lines_shed` |'));
});

test('maps the seed names to brainstem names', () => {
  for (const python of ['ManagedProcess.spawn', 'run_task', 'DailyLogWriter', 'CallosumConnection', '_atomic_symlink', '_format_log_line']) {
    assert.ok(readme.includes(`\`${python}`), python);
  }
});

test('every example the README lists exists, and every example is listed', () => {
  const examples = fs.readdirSync(path.join(ROOT, 'examples')).filter((file) => file.endsWith('.ts'));
  for (const file of examples) assert.ok(readme.includes(`examples/${file}`), file);
});

test.run();
