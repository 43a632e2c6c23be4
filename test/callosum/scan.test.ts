import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMessage } from '../../src/callosum/protocol.js';
import { FORWARD, MessageScanner, scanMessage, SLOW, STAMP } from '../../src/callosum/scan.js';

/** The line as the server sees it: its UTF-8 bytes as latin1 characters. */
const wire = (line: string) => Buffer.from(line, 'utf8').toString('latin1');
const scan = (line: string) => scanMessage(wire(line), 0, wire(line).length);

test('compact ASCII messages are settled without parsing: with ts forwarded, without stamped', () => {
  assert.is(scan('{"tract":"logs","event":"line","ref":"1","pid":12,"line":"a \\"b\\" \\u00e9","ts":1764150000000}'), FORWARD);
  assert.is(scan('{"tract":"logs","event":"exit","cmd":["a",{"b":[1,-2.5e3,true,false,null]}],"exit_code":null}'), STAMP);
  assert.is(scan('{ "tract" : "x" , "event" : "y" }'), STAMP);
});

test('anything the scan is not sure of is left to the parser', () => {
  const unsure = [
    '',
    '{}',
    '[]',
    '{"tract":"logs"}',
    '{"event":"line"}',
    '{"tract":1,"event":"line"}',
    '{"tract":"logs","event":"line","tract":null}',
    '{"tr\\u0061ct":"logs","event":"line"}',
    '{"tract":"logs","event":"line","line":"h\u00e9"}',
    '{"tract":"logs","event":"line"}\r',
    ' {"tract":"logs","event":"line"}',
    '{"tract":"logs","event":"line",}',
    '{"tract":"logs","event":"line","n":01}',
    '{"tract":"logs","event":"line","n":1.}',
    '{"tract":"logs","event":"line","n":-}',
    '{"tract":"logs","event":"line","n":tru}',
    '{"tract":"logs","event":"line","s":"\\x"}',
    '{"tract":"logs","event":"line","s":"a\tb"}',
    '{"tract":"logs","event":"line"}{"tract":"logs","event":"line"}',
    `{"tract":"logs","event":"line","deep":${'['.repeat(40)}${']'.repeat(40)}}`,
  ];
  for (const line of unsure) assert.is(scan(line), SLOW, line);
});

test('a range inside a larger text is scanned on its own', () => {
  const text = 'junk{"tract":"a","event":"b","ts":1}\n{"tract"';
  assert.is(scanMessage(text, 4, text.indexOf('\n')), FORWARD);
  assert.is(scanMessage(text, 0, text.indexOf('\n')), SLOW);
});

test('a scanner reuses the head of the last message it settled, and the tail still decides', () => {
  const scanner = new MessageScanner();
  const head = '{"tract":"logs","event":"line","ref":"r1","ts":5,"line":';
  const lines = [`${head}"a"}`, `${head}"b"}`, `${head}"c","tract":7}`, `${head}"dé"}`, `${head}"e",}`, `${head}"f","n":[1,{"x":null}]}`, '{"tract":"x","event":"y","z":1}', `${head}"g"}`];
  const verdicts = lines.map((line) => scanner.scan(wire(line), 0, wire(line).length));
  assert.equal(verdicts, [FORWARD, FORWARD, SLOW, SLOW, SLOW, FORWARD, STAMP, FORWARD]);
});

// Differential check against JSON.parse: a certain verdict must never disagree with the parser.
function random(seed: number) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

test('never certain about a line JSON.parse would read differently (200,000 random and mutated lines)', () => {
  const rand = random(20261126);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const value = (depth: number): string => {
    const kind = Math.floor(rand() * (depth > 3 ? 5 : 7));
    if (kind === 0) return JSON.stringify(pick(['', 'a', 'line 1', 'q"uote', 'back\\slash', 'tab\t', 'é', '\u0000']));
    if (kind === 1) return pick(['0', '-1', '12.5', '1e9', '-0.0E-3', '7']);
    if (kind === 2) return pick(['true', 'false', 'null']);
    if (kind === 3) return '"tract"';
    if (kind === 4) return JSON.stringify('x'.repeat(Math.floor(rand() * 5)));
    if (kind === 5) return `[${Array.from({ length: Math.floor(rand() * 3) }, () => value(depth + 1)).join(',')}]`;
    return `{${Array.from({ length: Math.floor(rand() * 3) }, () => `${JSON.stringify(pick(['a', 'ts', 'tract']))}:${value(depth + 1)}`).join(',')}}`;
  };
  const keys = ['tract', 'event', 'ts', 'ref', 'line', 'tr\\u0061ct'];
  const message = (): string => {
    const fields = Array.from({ length: 1 + Math.floor(rand() * 5) }, () => `"${pick(keys)}":${value(0)}`);
    if (rand() < 0.7) fields.unshift('"tract":"logs"', '"event":"line"');
    return `{${fields.sort(() => rand() - 0.5).join(pick([',', ', ', ' ,']))}}`;
  };
  const alphabet = '{}[]":,\\ 0-1e.tnfu\r\t\u00e9x';
  const mutate = (line: string): string => {
    const at = Math.floor(rand() * (line.length + 1));
    const op = Math.floor(rand() * 3);
    if (op === 0) return line.slice(0, at) + line.slice(at + 1);
    if (op === 1) return line.slice(0, at) + pick([...alphabet]) + line.slice(at);
    return line.slice(0, at) + pick([...alphabet]) + line.slice(at + 1);
  };

  let certain = 0;
  const scanner = new MessageScanner();
  let previous = message();
  for (let i = 0; i < 200_000; i++) {
    // Half the lines share a head with the one before, as a flood's do, to exercise the scanner's shortcut.
    let line = rand() < 0.5 ? previous.slice(0, Math.floor(rand() * previous.length)) + value(0) + pick(['}', ',"ts":1}', '', ',"tract":1}']) : message();
    for (let m = Math.floor(rand() * 3); m > 0; m--) line = mutate(line);
    previous = line;
    const text = wire(line);
    const verdict = scanner.scan(text, 0, text.length);
    assert.is(scanMessage(text, 0, text.length), verdict, `the shortcut and a whole scan disagree: ${line}`);
    if (verdict === SLOW) continue;
    const bytes = Buffer.from(line, 'utf8');
    certain++;
    const parsed = parseMessage(bytes);
    assert.ok(parsed, `scan certain, parser refuses: ${line}`);
    assert.is('ts' in parsed!, verdict === FORWARD, `ts disagrees: ${line}`);
    assert.ok(/^\{[\x00-\x7f]*\}$/.test(line), `certain about a line that is not ASCII: ${line}`);
  }
  assert.ok(certain > 10_000, `the scan settled ${certain} lines`);
});

test.run();
