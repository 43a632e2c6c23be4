import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, runBin } from './bin.js';

const test = suite('cli: brainstem');
const COMMANDS = ['run', 'callosum', 'logs', 'chart'];

test('--help lists every command and exits 0', async () => {
  const result = await runBin(['--help']);
  assert.is(result.code, 0);
  assert.match(result.stdout, /^Usage: brainstem <command>/);
  for (const name of COMMANDS) assert.match(result.stdout, new RegExp(`^  ${name} +\\S`, 'm'), `lists ${name}`);
});

test('--version prints the package version', async () => {
  const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const result = await runBin(['--version']);
  assert.is(result.code, 0);
  assert.is(result.stdout, `${version}\n`);
});

test('no command and an unknown command are usage errors (exit 2) that show the usage', async () => {
  const none = await runBin([]);
  assert.is(none.code, 2);
  assert.match(none.stderr, /missing command/);
  assert.match(none.stderr, /Usage: brainstem <command>/);
  const unknown = await runBin(['frobnicate']);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
});

test('every command has --help (exit 0, its own usage on stdout)', async () => {
  for (const name of COMMANDS) {
    const result = await runBin([name, '--help']);
    assert.is(result.code, 0, `${name} --help exits 0`);
    assert.match(result.stdout, new RegExp(`^Usage: brainstem ${name}`), `${name} --help shows its usage`);
    assert.match(result.stdout, /--journal DIR/, `${name} takes --journal`);
  }
});

test('an unknown flag on any command is a usage error: what was wrong, then the usage, exit 2', async () => {
  for (const name of COMMANDS) {
    const result = await runBin([name, '--no-such-flag']);
    assert.is(result.code, 2, `${name} exits 2`);
    assert.match(result.stderr, /Unknown option '--no-such-flag'/, `${name} says what was wrong`);
    assert.match(result.stderr, new RegExp(`Usage: brainstem ${name}`), `${name} shows its usage`);
  }
});

test.run();
