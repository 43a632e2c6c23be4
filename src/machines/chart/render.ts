/** A chart as Mermaid, Graphviz dot, or the machine's own definition as JSON. */
import type { AnyStateMachine } from 'xstate';
import { chartOf, describeGuard, edgeLabel } from './graph.js';

export const CHART_FORMATS = ['mermaid', 'dot', 'json'] as const;
export type ChartFormat = (typeof CHART_FORMATS)[number];

export function renderChart(machine: AnyStateMachine, format: ChartFormat): string {
  switch (format) {
    case 'mermaid':
      return mermaid(machine);
    case 'dot':
      return dot(machine);
    case 'json':
      return definitionJson(machine);
  }
}

/** A Mermaid `stateDiagram-v2`. */
export function mermaid(machine: AnyStateMachine): string {
  const chart = chartOf(machine);
  const lines = ['stateDiagram-v2', `  [*] --> ${chart.initial}`];
  for (const edge of chart.edges) {
    const label = edgeLabel(edge);
    // Mermaid ends a label at ':'; xstate's delayed events contain none, but keep it safe.
    lines.push(`  ${edge.from} --> ${edge.to}${label ? ` : ${label.replaceAll(':', ' ')}` : ''}`);
  }
  for (const state of chart.states) if (state.final) lines.push(`  ${state.key} --> [*]`);
  return `${lines.join('\n')}\n`;
}

/** A Graphviz digraph; final states are double circles. */
export function dot(machine: AnyStateMachine): string {
  const chart = chartOf(machine);
  const quote = (text: string) => JSON.stringify(text);
  const lines = [`digraph ${quote(machine.id)} {`, '  rankdir=LR;', '  node [shape=box, style=rounded];', '  __start [shape=point, label=""];'];
  for (const state of chart.states) lines.push(`  ${quote(state.key)}${state.final ? ' [shape=doublecircle, style=""]' : ''};`);
  lines.push(`  __start -> ${quote(chart.initial)};`);
  for (const edge of chart.edges) lines.push(`  ${quote(edge.from)} -> ${quote(edge.to)} [label=${quote(edgeLabel(edge))}];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/**
 * The machine's definition (xstate's `machine.definition`) as JSON, with each
 * state's eventless `always` transitions added (the definition leaves them
 * out) and guard combinators written as words.
 */
export function definitionJson(machine: AnyStateMachine): string {
  const definition = structuredCloneJson(machine.definition);
  const states = definition.states as Record<string, Record<string, unknown>>;
  for (const [key, node] of Object.entries(machine.root.states)) {
    const always = (node as unknown as { always?: { toJSON(): unknown }[] }).always ?? [];
    if (states[key] && always.length > 0) states[key].always = always.map((transition) => structuredCloneJson(transition.toJSON()));
  }
  return `${JSON.stringify(definition, null, 2)}\n`;
}

/** A JSON round trip in which a guard function becomes its description. */
function structuredCloneJson(value: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value, (key, inner: unknown) => (key === 'guard' && typeof inner === 'function' ? describeGuard(inner) : inner))) as Record<string, unknown>;
}
