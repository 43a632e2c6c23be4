import { ValidationError } from '../errors.js';

/** Service name → the services it starts after. */
export type DependencyGraph = ReadonlyMap<string, readonly string[]>;

/**
 * The services in an order where each comes after everything it names in
 * `after`. A name nobody added, or a cycle, is a ValidationError naming them.
 */
export function topologicalOrder(graph: DependencyGraph): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw new ValidationError(`services depend on each other in a cycle: ${cycle.join(' → ')} (remove one of these "after" entries)`, `${path.at(-1)}.after`);
    }
    state.set(name, 'visiting');
    for (const dependency of graph.get(name) ?? []) {
      if (!graph.has(dependency)) throw new ValidationError(`service ${name} starts after "${dependency}", but no service has that name`, `${name}.after`);
      visit(dependency, [...path, name]);
    }
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of graph.keys()) visit(name, []);
  return order;
}

/** Every service that (directly or through others) starts after `name`. */
export function dependentsOf(graph: DependencyGraph, name: string): Set<string> {
  const found = new Set<string>();
  const walk = (target: string) => {
    for (const [each, after] of graph) {
      if (after.includes(target) && !found.has(each)) {
        found.add(each);
        walk(each);
      }
    }
  };
  walk(name);
  return found;
}
