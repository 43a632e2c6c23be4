import type { AnyStateMachine } from 'xstate';
import { chartOf } from '../cli/chart/graph.js';

/** What the page draws: the states, and the transitions that move a process between them. */
export type PageChart = {
  initial: string;
  nodes: { id: string; final: boolean }[];
  edges: { from: string; to: string; label: string }[];
};

/**
 * The machine's chart as the page draws it, read from the machine's own
 * definition by the same reader as `brainstem chart`. Transitions that only
 * run actions (drawn by `brainstem chart` as loops) are left out: they never
 * move a process to another state.
 */
export function pageChartOf(machine: AnyStateMachine): PageChart {
  const chart = chartOf(machine);
  return {
    initial: chart.initial,
    nodes: chart.states.map((state) => ({ id: state.key, final: state.final })),
    edges: chart.edges
      .filter((edge) => edge.to !== edge.from)
      .map((edge) => ({ from: edge.from, to: edge.to, label: `${edge.trigger || 'always'}${edge.guard ? ` [${edge.guard}]` : ''}` })),
  };
}
