import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CallosumError } from '../../src/callosum/errors.js';
import { defaultSocketPath, encodeEach, encodeMessage, MAX_SOCKET_PATH_BYTES, parseMessage, resolveSocketPath } from '../../src/callosum/protocol.js';

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

test('encodeEach: every value, plain or needing escapes, short or long, anywhere in the batch, encodes as encodeMessage would', () => {
  const message = { tract: 'logs', event: 'line', ref: 'r1', pid: 7, ts: 5 };
  const plain = ['line 1', '', 'x'.repeat(64), 'y'.repeat(65), 'a b c ~ { } [ ] : ,'];
  const awkward = ['say "hi"', 'back\\slash', 'tab\there', 'del\u007f', 'caf\u00e9', '\u{1f600}', 'z'.repeat(70) + '"', 'w'.repeat(80) + '\u00e9'];
  for (const odd of awkward) {
    for (const position of [0, 2, plain.length]) {
      const values = [...plain];
      values.splice(position, 0, odd);
      const encoded = encodeEach(message, 'line', values);
      const text = typeof encoded === 'string' ? encoded : encoded.toString('latin1');
      assert.ok(/^[\x00-\x7e]*$/.test(text), `ASCII only for ${JSON.stringify(odd)}`);
      assert.is(text, values.map((line) => encodeMessage({ ...message, line })).join(''));
    }
  }
  assert.ok(Buffer.isBuffer(encodeEach(message, 'line', plain)), 'a plain batch is written straight into a Buffer');
});

test.run();
