import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LineSplitter } from '../../src/lines/line-splitter.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

/** Feeds `chunks` to a fresh splitter and returns the batches, then the lines left at close. */
function split(chunks: (string | Buffer)[], limit?: number): { batches: string[][]; all: string[] } {
  const splitter = new LineSplitter(limit);
  const batches = chunks.map((chunk) => splitter.push(typeof chunk === 'string' ? bytes(chunk) : chunk));
  batches.push(splitter.end());
  return { batches, all: batches.flat() };
}

test('each chunk becomes one batch of its complete lines', () => {
  const { batches } = split(['a\nb\nc', 'd\ne\n']);
  assert.equal(batches, [['a', 'b'], ['cd', 'e'], []]);
});

test('lines end at \\n, \\r\\n and a lone \\r', () => {
  assert.equal(split(['one\ntwo\r\nthree\rfour\n']).all, ['one', 'two', 'three', 'four']);
});

test('a \\r\\n split across two reads is one terminator', () => {
  assert.equal(split(['a\r', '\nb\r', '\n']).all, ['a', 'b']);
  assert.equal(split(['a\r', 'b']).all, ['a', 'b']);
});

test('empty lines are kept', () => {
  assert.equal(split(['\n\na\n\r\n']).all, ['', '', 'a', '']);
});

test('output that ends without a terminator is a line at close', () => {
  assert.equal(split(['tail without newline']).all, ['tail without newline']);
  assert.equal(split(['x\n']).all, ['x']);
});

test('a character split across chunks survives', () => {
  const euro = bytes('€ and 𝄞\n');
  const pieces = [euro.subarray(0, 1), euro.subarray(1, 2), euro.subarray(2, 7), euro.subarray(7)];
  assert.equal(split(pieces).all, ['€ and 𝄞']);
});

test('invalid UTF-8 becomes U+FFFD and reading goes on', () => {
  const junk = Buffer.from([0x62, 0xff, 0xfe, 0x0a, 0xc3, 0x28, 0x0a]);
  assert.equal(split([junk, 'after\n']).all, ['b\ufffd\ufffd', '\ufffd(', 'after']);
});

test('a line longer than the limit becomes several lines with no byte lost', () => {
  const line = 'x'.repeat(25);
  const { all } = split([line + '\n'], 10);
  assert.equal(all, ['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
});

test('an overlong line arriving in many chunks is emitted as it grows (memory stays bounded)', () => {
  const splitter = new LineSplitter(8);
  const out: string[] = [];
  for (let i = 0; i < 100; i++) out.push(...splitter.push(bytes('abcd')));
  // 400 bytes of one line: 50 full pieces must already be out before the line ends.
  assert.ok(out.length >= 49, `only ${out.length} pieces emitted before close`);
  out.push(...splitter.end());
  assert.is(out.join(''), 'abcd'.repeat(100));
  assert.ok(out.every((piece) => Buffer.byteLength(piece) <= 8));
});

test('cutting never splits a well-formed character', () => {
  const line = 'aé€𝄞'.repeat(50);
  const { all } = split([line + '\n'], 7);
  assert.is(all.join(''), line);
  for (const piece of all) {
    assert.ok(Buffer.byteLength(piece) <= 7, `piece of ${Buffer.byteLength(piece)} bytes`);
    assert.not.ok(piece.includes('\ufffd'), 'a character was cut in two');
  }
});

test('multi-byte text, CR and LF mixed in one chunk, with a limit', () => {
  const { all } = split(['héllo\r\nwörld\rüber-long-line\n'], 6);
  assert.equal(all, ['héllo', 'wörld', 'über-', 'long-l', 'ine']);
});

test('pure ASCII and mixed content give the same lines', () => {
  const text = Array.from({ length: 500 }, (_, i) => `line ${i} ${'z'.repeat(i % 37)}`).join('\n') + '\n';
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += 997) chunks.push(text.slice(i, i + 997));
  assert.equal(split(chunks).all, text.slice(0, -1).split('\n'));
});

test('refuses a limit too small to hold a character', () => {
  assert.throws(() => new LineSplitter(2), /line limit/);
});

test.run();
