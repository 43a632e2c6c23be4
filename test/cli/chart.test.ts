import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'node:fs';
import path from 'node:path';
import { PROCESS_STATES, processMachine, SERVICE_STATES, serviceMachine } from '../../src/index.js';
import { ROOT, runBin } from './bin.js';

const test = suite('cli: brainstem chart');

/** Every ```mermaid block of the README and the docs pages, by file. */
function mermaidBlocks(): { file: string; block: string }[] {
  const files = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  return files.flatMap((file) => [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => ({ file, block: m[1]! })));
}

test("the docs' mermaid charts (docs/lifecycle.md, docs/inspector.md) are exactly what `brainstem chart` prints for each machine", async () => {
  const blocks = mermaidBlocks();
  for (const [machine, initial] of [['process', 'spawning'], ['service', 'waiting']] as const) {
    const result = await runBin(['chart', '--machine', machine, '--format', 'mermaid']);
    assert.is(result.code, 0, result.stderr);
    const copies = blocks.filter(({ block }) => block.startsWith(`stateDiagram-v2\n  [*] --> ${initial}\n`));
    assert.ok(copies.length > 0, `a docs page shows the ${machine} chart`);
    // When this fails, the machine changed: paste the new output of `brainstem chart --machine <m>` into that page.
    for (const { file, block } of copies) assert.fixture(block, result.stdout, file);
  }
});

test('mermaid is the default and names every state, the initial one and the final ones', async () => {
  const result = await runBin(['chart']);
  assert.is(result.code, 0);
  assert.match(result.stdout, /^stateDiagram-v2\n  \[\*\] --> spawning\n/);
  for (const state of PROCESS_STATES) assert.match(result.stdout, new RegExp(`\\b${state}\\b`), state);
  for (const final of ['exited', 'killed', 'failed']) assert.match(result.stdout, new RegExp(`^  ${final} --> \\[\\*\\]$`, 'm'));
  assert.match(result.stdout, /^  spawning --> running : SPAWNED/m);
  assert.match(result.stdout, /^  terminating --> killed : \[ended and escalated\]$/m);
});

test('dot is a Graphviz digraph with the same edges', async () => {
  const result = await runBin(['chart', '--format', 'dot']);
  assert.is(result.code, 0);
  assert.match(result.stdout, /^digraph "process" \{\n/);
  assert.match(result.stdout, /"exited" \[shape=doublecircle/);
  assert.match(result.stdout, /"spawning" -> "failed" \[label="SPAWN_FAILED/);
  assert.ok(result.stdout.trimEnd().endsWith('}'));
});

test("json is the machine's definition", async () => {
  const result = await runBin(['chart', '--format', 'json']);
  assert.is(result.code, 0);
  const definition = JSON.parse(result.stdout) as { id: string; states: Record<string, { type: string; always?: { target: string[] }[] }> };
  assert.is(definition.id, processMachine.id);
  assert.equal(Object.keys(definition.states), Object.keys(processMachine.root.states));
  assert.is(definition.states.exited!.type, 'final');
  assert.ok(definition.states.running!.always!.some((transition) => transition.target.includes('#process.exited')), 'eventless edges are included');
});

test('--machine service draws serviceMachine from its own definition, in every format', async () => {
  const mermaid = await runBin(['chart', '--machine', 'service']);
  assert.is(mermaid.code, 0, mermaid.stderr);
  assert.match(mermaid.stdout, /^stateDiagram-v2\n  \[\*\] --> waiting\n/);
  for (const state of SERVICE_STATES) assert.match(mermaid.stdout, new RegExp(`\\b${state}\\b`), state);
  assert.match(mermaid.stdout, /^  backoff --> starting : after backoffDelay/m);
  assert.match(mermaid.stdout, /^  up --> failed : xstate\.done\.actor\.process \[gaveUp\]/m);
  const dot = await runBin(['chart', '--machine', 'service', '--format', 'dot']);
  assert.match(dot.stdout, /^digraph "service" \{\n/);
  const json = JSON.parse((await runBin(['chart', '--machine', 'service', '--format', 'json'])).stdout) as { id: string; states: Record<string, unknown> };
  assert.is(json.id, serviceMachine.id);
  assert.equal(Object.keys(json.states), Object.keys(serviceMachine.root.states));
  // The default is still the process machine.
  assert.equal((await runBin(['chart', '--machine', 'process'])).stdout, (await runBin(['chart'])).stdout);
});

test('an unknown machine is a usage error', async () => {
  const bad = await runBin(['chart', '--machine', 'toaster']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--machine must be one of process, service, got "toaster"/);
  const inherited = await runBin(['chart', '--machine', 'constructor']);
  assert.is(inherited.code, 2, 'no name from the object prototype');
});

test('an unknown format or an extra argument is a usage error', async () => {
  const bad = await runBin(['chart', '--format', 'svg']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--format must be one of mermaid, dot, json, got "svg"/);
  const extra = await runBin(['chart', 'now']);
  assert.is(extra.code, 2);
  assert.match(extra.stderr, /unexpected argument "now"/);
});

test.run();
