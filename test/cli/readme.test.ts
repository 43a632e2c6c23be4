import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './bin.js';

const test = suite('README and docs/: a newcomer can follow them');

const source = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const front = source('README.md');
const pages = fs.readdirSync(path.join(ROOT, 'docs')).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`);
// The reference checks read the front page and every docs page together: what is documented somewhere counts.
const readme = [front, ...pages.map(source)].join('\n');

test('the front page has exactly the two set-up commands, and CI runs the test one', () => {
  assert.ok(front.includes('```sh\nnpm ci && npm run demo\n```'));
  assert.ok(front.includes('```sh\nnpm ci && npm test\n```'));
  const ci = source('.ci/run');
  assert.match(ci, /^npm ci$/m);
  assert.match(ci, /^npm test 2>&1/m);
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
  options.push('timeout', 'inspect', 'cancelSignal', 'onSpawn');
  assert.ok(options.length > 10);
  const missing = options.filter((option) => !readme.includes(`| \`${option}\``));
  assert.equal(missing, [], 'options without a row in the README');
});

test('documents every key of brainstem.json, as the shipped schema has them', () => {
  const schema = JSON.parse(source('schema/brainstem.schema.json')) as { properties: { services: { patternProperties: Record<string, { properties: Record<string, unknown> }> } } };
  const service = Object.values(schema.properties.services.patternProperties)[0]!;
  const keys = [...Object.keys(schema.properties), ...Object.keys(service.properties)];
  assert.ok(keys.length > 12, `${keys.length} keys`);
  const missing = keys.filter((key) => !readme.includes(`| \`${key}\` |`));
  assert.equal(missing, [], 'brainstem.json keys without a row in the docs');
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

test('every example is listed on the front page', () => {
  const examples = fs.readdirSync(path.join(ROOT, 'examples')).filter((file) => /\.ts$|\.json$|^Procfile$/.test(file));
  for (const file of examples) assert.ok(front.includes(`examples/${file}`), file);
});

test('the front page is short, links every docs page and shows the screenshot, `brainstem up` and a library example', () => {
  assert.ok(front.split('\n').length < 200, `${front.split('\n').length} lines`);
  for (const page of pages) assert.ok(front.includes(`](${page})`), `README links ${page}`);
  assert.ok(front.includes('](docs/inspector.png)'));
  assert.ok(front.includes('brainstem up'));
  assert.ok(front.includes("from 'brainstem'"));
  assert.ok(front.includes('@types/node'));
});

test('every relative link in README.md and docs/*.md points at a file that exists', () => {
  const broken: string[] = [];
  for (const file of ['README.md', ...pages]) {
    for (const [, target] of source(file).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      if (!fs.existsSync(path.join(ROOT, path.dirname(file), target!))) broken.push(`${file} -> ${target}`);
    }
  }
  assert.equal(broken, []);
});

test.run();
