import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CallosumError } from '../../src/callosum/errors.js';
import { defaultSocketPath, encodeMessage, MAX_SOCKET_PATH_BYTES, parseMessage, resolveSocketPath } from '../../src/callosum/protocol.js';

test('junk, binary, non-objects and messages without tract/event are ignored, never thrown', () => {
  const junk: (string | Uint8Array)[] = [
    '',
    '   ',
    'not json',
    '{"tract": "logs", "event": ',
    '[1, 2, 3]',
    '42',
    '"tract event"',
    'null',
    '{"tract": "logs"}',
    '{"event": "line"}',
    '{"tract": 1, "event": "line"}',
    new Uint8Array([0xff, 0xfe, 0x00, 0x80, 0x0a, 0xc3]),
    Buffer.alloc(1000, 0),
  ];
  for (const line of junk) assert.is(parseMessage(line), undefined, `should ignore ${String(line)}`);
});

test('a valid message parses from text or bytes, extra fields kept', () => {
  const line = '{"tract": "logs", "event": "line", "line": "h\\u00e9", "ts": 5}';
  for (const input of [line, Buffer.from(line)]) {
    assert.equal(parseMessage(input), { tract: 'logs', event: 'line', line: 'hé', ts: 5 });
  }
});

test('encoding is one ASCII line that Python json.loads reads back unchanged', () => {
  const message = { tract: 'logs', event: 'line', line: 'héllo ✓ 😀 \u007f', n: 1 };
  const encoded = encodeMessage(message);
  assert.ok(encoded.endsWith('\n'));
  assert.is(encoded.indexOf('\n'), encoded.length - 1);
  assert.ok(/^[\x00-\x7e]*$/.test(encoded), 'pure ASCII, as Python json.dumps writes');
  assert.equal(parseMessage(encoded.slice(0, -1)), message);
  // Twice in a row: no state leaks between calls.
  assert.is(encodeMessage(message), encoded);
});

test('default socket path: option, else JOURNAL_PATH, else ./journal', () => {
  const saved = process.env.JOURNAL_PATH;
  try {
    assert.is(defaultSocketPath('/tmp/j'), '/tmp/j/health/callosum.sock');
    process.env.JOURNAL_PATH = '/tmp/env-journal';
    assert.is(defaultSocketPath(), '/tmp/env-journal/health/callosum.sock');
    delete process.env.JOURNAL_PATH;
    assert.is(defaultSocketPath(), path.join(process.cwd(), 'journal', 'health', 'callosum.sock'));
  } finally {
    if (saved === undefined) delete process.env.JOURNAL_PATH;
    else process.env.JOURNAL_PATH = saved;
  }
});

test('a socket path too long for a Unix socket is a typed error naming the path', () => {
  const long = '/tmp/' + 'x'.repeat(MAX_SOCKET_PATH_BYTES) + '/callosum.sock';
  try {
    resolveSocketPath({ socketPath: long });
    assert.unreachable('should throw');
  } catch (error) {
    assert.instance(error, CallosumError);
    assert.is((error as CallosumError).code, 'SOCKET_PATH_TOO_LONG');
    assert.is((error as CallosumError).socketPath, long);
    assert.match((error as Error).message, 'longer than the 107');
  }
  const fits = '/' + 'x'.repeat(MAX_SOCKET_PATH_BYTES - 1);
  assert.is(resolveSocketPath({ socketPath: fits }), fits);
});

test.run();
