import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../src/index.js';
import { checkId, deriveName, nextRef } from '../../src/journal/names.js';

test('name: basename of cmd[0], or cmd[1] behind sol', () => {
  assert.is(deriveName(['/usr/bin/observer', '-v']), 'observer');
  assert.is(deriveName(['sol', 'indexer', '--rescan']), 'indexer');
  assert.is(deriveName(['sol']), 'sol');
  assert.is(deriveName(['./bin/run.sh']), 'run.sh');
});

test('a derived name is made safe for a file name', () => {
  assert.is(deriveName(['sol', 'describe:file.webm']), 'describe_file.webm');
  assert.is(deriveName(['sol', '../../etc']), '_._.._etc');
  assert.is(deriveName(['.hidden']), '_hidden');
  assert.is(deriveName(['sol', 'a b/c']), 'a_b_c');
});

test('explicit refs and names must match the safe pattern', () => {
  for (const ok of ['abc', 'A-1_2.x', '_x', '-x', '1730476800000']) assert.is(checkId('ref', ok), ok);
  for (const bad of ['', '.x', '..', 'a/b', 'a\\b', 'a b', 'x\0y', 'é']) {
    assert.throws(() => checkId('name', bad), (error: unknown) => error instanceof ValidationError && error.field === 'name');
  }
});

test('default refs are epoch ms and never handed out twice', () => {
  const refs = Array.from({ length: 1000 }, () => nextRef(5_000_000_000_000));
  assert.is(new Set(refs).size, 1000);
  assert.ok(Number(refs[0]) >= 5_000_000_000_000);
  const later = Number(nextRef(Date.now()));
  assert.ok(later > Number(refs.at(-1)));
});

test.run();
