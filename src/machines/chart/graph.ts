/**
 * Reads the edges of a state machine from its state nodes, so every chart is
 * generated from the machine that runs, never from a copy of it.
 */
import type { AnyStateMachine } from 'xstate';

export interface ChartState {
  key: string;
  final: boolean;
}

export interface ChartEdge {
  from: string;
  /** Same as `from` for a transition that only runs actions. */
  to: string;
  /** What the edge waits for: an event type, `after <delay>`, or '' for an eventless (`always`) edge. */
  trigger: string;
  /** The guard in words (`ended and escalated`), or ''. */
  guard: string;
  actions: string[];
}

export interface Chart {
  initial: string;
  states: ChartState[];
  edges: ChartEdge[];
}

/** Minimal shapes of xstate's StateNode and TransitionDefinition that a chart needs. */
type NodeLike = {
  key: string;
  type: string;
  states: Record<string, NodeLike>;
  always?: TransitionLike[];
  transitions: Map<string, TransitionLike[]>;
};
type TransitionLike = {
  target?: readonly { key: string }[];
  guard?: unknown;
  actions: readonly unknown[];
  delay?: string | number;
  eventType: string;
};

/** The top-level states of `machine` and every transition between them, in definition order. */
export function chartOf(machine: AnyStateMachine): Chart {
  const root = machine.root as unknown as NodeLike;
  const initial = (machine.root.initial?.target[0] as { key: string } | undefined)?.key ?? '';
  const states = Object.values(root.states).map((node) => ({ key: node.key, final: node.type === 'final' }));
  const edges: ChartEdge[] = [];
  for (const node of Object.values(root.states)) {
    for (const [eventType, transitions] of node.transitions) {
      for (const transition of transitions) edges.push(edge(node.key, transition, transition.delay !== undefined ? `after ${String(transition.delay)}` : eventType));
    }
    for (const transition of node.always ?? []) edges.push(edge(node.key, transition, ''));
  }
  return { initial, states, edges };
}

function edge(from: string, transition: TransitionLike, trigger: string): ChartEdge {
  return {
    from,
    to: transition.target?.[0]?.key ?? from,
    trigger,
    guard: describeGuard(transition.guard),
    actions: transition.actions.map(describeAction).filter((name) => name !== ''),
  };
}

/** A guard in words: its name, or `a and b` / `a or b` / `not a` for xstate's combinators. */
export function describeGuard(guard: unknown): string {
  if (guard === undefined || guard === null) return '';
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && 'type' in guard) return String((guard as { type: unknown }).type);
  if (typeof guard === 'function') {
    const combinator = guard as { check?: { name?: string }; guards?: unknown[]; name?: string };
    const parts = (combinator.guards ?? []).map(describeGuard);
    switch (combinator.check?.name) {
      case 'checkAnd':
        return parts.join(' and ');
      case 'checkOr':
        return parts.join(' or ');
      case 'checkNot':
        return `not ${parts.join(', ')}`;
    }
    return combinator.name || 'guard';
  }
  return 'guard';
}

function describeAction(action: unknown): string {
  if (typeof action === 'string') return action;
  if (typeof action === 'object' && action !== null && 'type' in action) return String((action as { type: unknown }).type);
  return '';
}

/** The label of an edge: `EVENT [guard] / action, action`. */
export function edgeLabel(edge: ChartEdge): string {
  const parts = [];
  if (edge.trigger) parts.push(edge.trigger);
  if (edge.guard) parts.push(`[${edge.guard}]`);
  if (edge.actions.length > 0) parts.push(`/ ${edge.actions.join(', ')}`);
  return parts.join(' ');
}
