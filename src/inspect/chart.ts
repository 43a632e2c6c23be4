import type { AnyStateMachine } from 'xstate';
import { chartOf } from '../machines/chart/graph.js';

/** What the page draws: the states, and the transitions that move a process (or a service) between them. */
export type PageChart = {
  initial: string;
  nodes: { id: string; final: boolean }[];
  edges: { from: string; to: string; label: string }[];
};

/**
 * The machine's chart as the page draws it, read from the machine's own
 * definition by the same reader as `brainstem chart`. Transitions that only
 * run actions (drawn by `brainstem chart` as loops) are left out: they never
 * move a process to another state. Transitions between the same two states
 * are one edge (the bus says which states were passed, not which event moved
 * them) whose label names each trigger once, one per line; a guard is shown
 * where the edge has one way only, so the chart stays legible.
 */
export function pageChartOf(machine: AnyStateMachine): PageChart {
  const chart = chartOf(machine);
  const edges = new Map<string, { from: string; to: string; ways: { trigger: string; guard: string }[] }>();
  for (const edge of chart.edges) {
    if (edge.to === edge.from) continue;
    const key = `${edge.from}>${edge.to}`;
    const way = { trigger: triggerText(edge.trigger), guard: edge.guard };
    const known = edges.get(key);
    if (known) known.ways.push(way);
    else edges.set(key, { from: edge.from, to: edge.to, ways: [way] });
  }
  return {
    initial: chart.initial,
    nodes: chart.states.map((state) => ({ id: state.key, final: state.final })),
    edges: [...edges.values()].map(({ from, to, ways }) => ({ from, to, label: labelOf(ways) })),
  };
}

function labelOf(ways: { trigger: string; guard: string }[]): string {
  if (ways.length === 1) return `${ways[0]!.trigger}${ways[0]!.guard ? ` [${ways[0]!.guard}]` : ''}`;
  return [...new Set(ways.map((way) => way.trigger))].join('\n');
}

/** xstate's names for an invoked actor's end and for eventless edges, in words. */
function triggerText(trigger: string): string {
  if (trigger === '') return 'always';
  const done = /^xstate\.done\.actor\.(.+)$/.exec(trigger);
  return done ? `${done[1]} ended` : trigger;
}
