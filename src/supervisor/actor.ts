import { assign, enqueueActions, fromCallback, setup, type AnyActorRef } from 'xstate';
import type { Bus } from '../bus/create-bus.js';
import type { ServiceState } from '../bus/events.js';
import { serviceMachine, type ServiceInput } from '../machines/service.js';

export interface SupervisorContext {
  bus: Bus;
  /** Service name → the services it first starts after. */
  after: Record<string, readonly string[]>;
  /** Between a start() and a stop() of everything: waiting services are released as their dependencies come up. */
  started: boolean;
  /** Stopped or failed services a new start() starts again, each once its dependencies are up. */
  pending: Set<string>;
}

export type SupervisorEvent =
  | { type: 'ADD'; name: string; after: readonly string[]; input: ServiceInput }
  | { type: 'START' }
  | { type: 'HALT' }
  | { type: 'RESTART'; name: string }
  | { type: 'STOP'; name: string }
  | { type: 'SERVICE_CHANGED'; name: string; to: ServiceState };

/**
 * Turns the bus's `service` events into SERVICE_CHANGED for the supervisor,
 * each once the service's transition is over and the bus has delivered the
 * event to everyone: reacting inside the emit (starting a dependent) would
 * deliver the dependent's `starting` to later listeners before its
 * dependency's `up`, and the service's snapshot would not show it yet.
 */
const serviceEvents = fromCallback<{ type: string }, { bus: Bus }>(({ input, sendBack }) =>
  input.bus.on('service', (event) => queueMicrotask(() => sendBack({ type: 'SERVICE_CHANGED', name: event.service, to: event.to }))),
);

/** A service's state, from its own actor: never a stale copy. */
function stateOf(self: AnyActorRef, name: string): ServiceState | undefined {
  return (self.getSnapshot().children[name] as AnyActorRef | undefined)?.getSnapshot().value as ServiceState | undefined;
}

/**
 * The supervisor as an actor: it owns one `serviceMachine` child per service
 * (id: the service's name) and starts each waiting one once every service it
 * starts after is `up`; services with no path between them start together.
 */
export const supervisorMachine = setup({
  types: { input: {} as { bus: Bus }, context: {} as SupervisorContext, events: {} as SupervisorEvent },
  actors: { service: serviceMachine, serviceEvents },
  actions: {
    spawnService: enqueueActions(({ enqueue, event }) => {
      const { name, after, input } = event as Extract<SupervisorEvent, { type: 'ADD' }>;
      // In place: a copy per service would be quadratic with hundreds of them.
      enqueue.assign({
        after: ({ context }) => {
          context.after[name] = after;
          return context.after;
        },
      });
      enqueue.spawnChild('service', { id: name, input });
    }),
    // A new start() starts again what stopped or gave up, in dependency order like the first time.
    markEnded: assign({
      pending: ({ context, self }) => {
        for (const name in context.after) {
          const state = stateOf(self, name);
          if (state === 'stopped' || state === 'failed') context.pending.add(name);
        }
        return context.pending;
      },
    }),
    releaseWaiting: enqueueActions(({ enqueue, context, event, self }) => {
      if (!context.started) return;
      // Only a service coming up can release another, besides a START and a service added (its first `waiting`).
      if (event.type === 'SERVICE_CHANGED' && event.to !== 'up' && event.to !== 'waiting') return;
      for (const name in context.after) {
        const ready = stateOf(self, name) === 'waiting' || context.pending.has(name);
        if (ready && context.after[name]!.every((each) => stateOf(self, each) === 'up')) {
          context.pending.delete(name);
          enqueue.sendTo(name, { type: 'START' });
        }
      }
    }),
    forward: enqueueActions(({ enqueue, event }) => {
      const { name, type } = event as Extract<SupervisorEvent, { type: 'RESTART' | 'STOP' }>;
      enqueue.sendTo(name, { type });
    }),
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({ bus: input.bus, after: {}, started: false, pending: new Set<string>() }),
  invoke: { src: 'serviceEvents', input: ({ context }) => ({ bus: context.bus }) },
  on: {
    ADD: { actions: 'spawnService' },
    START: { actions: [assign({ started: true }), 'markEnded', 'releaseWaiting'] },
    HALT: { actions: assign({ started: false, pending: () => new Set<string>() }) },
    SERVICE_CHANGED: { actions: 'releaseWaiting' },
    RESTART: { actions: 'forward' },
    STOP: { actions: 'forward' },
  },
});

export type SupervisorMachine = typeof supervisorMachine;
