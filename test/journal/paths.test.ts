import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveJournal, runTask, ValidationError } from '../../src/index.js';
import { scratchDir } from '../helpers.js';

/** Runs `body` with JOURNAL_PATH set to `value` (undefined: unset), then puts it back. */
async function withJournalPath<T>(value: string | undefined, body: () => T | Promise<T>): Promise<T> {
  const saved = process.env.JOURNAL_PATH;
  if (value === undefined) delete process.env.JOURNAL_PATH;
  else process.env.JOURNAL_PATH = value;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env.JOURNAL_PATH;
    else process.env.JOURNAL_PATH = saved;
  }
}

test('resolveJournal: the option, else JOURNAL_PATH, else ./journal, always absolute', async () => {
  const dir = scratchDir();
  await withJournalPath(dir, () => {
    assert.is(resolveJournal('rel'), path.resolve('rel'));
    assert.is(resolveJournal(), dir);
  });
  await withJournalPath(undefined, () => assert.is(resolveJournal(), path.resolve('journal')));
});

test('an empty journal path is refused, never read as the current directory', async () => {
  assert.throws(() => resolveJournal(''), (error: unknown) => error instanceof ValidationError && error.field === 'journal' && /empty/.test(error.message));
  await withJournalPath('', async () => {
    assert.throws(() => resolveJournal(), (error: unknown) => error instanceof ValidationError && error.field === 'JOURNAL_PATH');
    const refused = await runTask(['true'], { callosum: false }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(refused instanceof ValidationError && refused.field === 'JOURNAL_PATH', String(refused));
    // An explicit option wins over the empty variable.
    assert.is(resolveJournal('/tmp/j'), '/tmp/j');
  });
});

test.run();
