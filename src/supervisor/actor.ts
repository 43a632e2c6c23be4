import { assign, enqueueActions, fromCallback, setup } from 'xstate';
import type { Bus } from '../bus/create-bus.js';
import type { ServiceState } from '../bus/events.js';
import { serviceMachine, type ServiceInput } from '../machines/service.js';

export interface SupervisorContext {
  bus: Bus;
  /** Service name → the services it first starts after. */
  after: Record<string, readonly string[]>;
  /** Each service's state, as its `service` events announced it. */
  states: Record<string, ServiceState>;
  /** Between a start() and a stop() of everything: waiting services are released as their dependencies come up. */
  started: boolean;
}

export type SupervisorEvent =
  | { type: 'ADD'; name: string; after: readonly string[]; input: ServiceInput }
  | { type: 'START' }
  | { type: 'HALT' }
  | { type: 'RESTART'; name: string }
  | { type: 'STOP'; name: string }
  | { type: 'SERVICE_CHANGED'; name: string; to: ServiceState };

/** Turns the bus's `service` events into SERVICE_CHANGED for the supervisor. */
const serviceEvents = fromCallback<{ type: string }, { bus: Bus }>(({ input, sendBack }) =>
  input.bus.on('service', (event) => sendBack({ type: 'SERVICE_CHANGED', name: event.service, to: event.to })),
);

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
      enqueue.assign({
        after: ({ context }) => {
          context.after[name] = after;
          return context.after;
        },
      });
      enqueue.spawnChild('service', { id: name, input });
    }),
    // In place: a copy per event would be quadratic garbage while hundreds of services start.
    recordState: assign({
      states: ({ context, event }) => {
        const { name, to } = event as Extract<SupervisorEvent, { type: 'SERVICE_CHANGED' }>;
        if (name in context.after) context.states[name] = to;
        return context.states;
      },
    }),
    // A new start() starts again what stopped or gave up.
    startEnded: enqueueActions(({ enqueue, context }) => {
      for (const [name, state] of Object.entries(context.states)) if (state === 'stopped' || state === 'failed') enqueue.sendTo(name, { type: 'START' });
    }),
    releaseWaiting: enqueueActions(({ enqueue, context, event }) => {
      if (!context.started) return;
      // Only a service coming up can release another (or a START, or a new service).
      if (event.type === 'SERVICE_CHANGED' && event.to !== 'up') return;
      for (const name in context.after) {
        if (context.states[name] === 'waiting' && context.after[name]!.every((each) => context.states[each] === 'up')) enqueue.sendTo(name, { type: 'START' });
      }
    }),
    forward: enqueueActions(({ enqueue, event }) => {
      const { name, type } = event as Extract<SupervisorEvent, { type: 'RESTART' | 'STOP' }>;
      enqueue.sendTo(name, { type });
    }),
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({ bus: input.bus, after: {}, states: {}, started: false }),
  invoke: { src: 'serviceEvents', input: ({ context }) => ({ bus: context.bus }) },
  on: {
    ADD: { actions: ['spawnService', 'releaseWaiting'] },
    START: { actions: [assign({ started: true }), 'startEnded', 'releaseWaiting'] },
    HALT: { actions: assign({ started: false }) },
    SERVICE_CHANGED: { actions: ['recordState', 'releaseWaiting'] },
    RESTART: { actions: 'forward' },
    STOP: { actions: 'forward' },
  },
});

export type SupervisorMachine = typeof supervisorMachine;
