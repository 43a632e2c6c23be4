import { assign, fromPromise, sendParent, setup } from 'xstate';

/** ms between failed probes: 50, doubling per failure, never more than this. */
export const PROBE_MAX_INTERVAL = 1000;
const PROBE_FIRST_INTERVAL = 50;

/**
 * A readiness probe as a machine: `probing` runs one `attempt` (a promise
 * honouring its abort signal); success sends READY to the parent (the
 * service) and ends, failure waits a bounded, growing interval (an xstate
 * delay, so a test clock drives it) and tries again. The probe gives up only
 * when its service stops it.
 */
export function probeMachine<Input extends object>(id: string, attempt: (input: Input, signal: AbortSignal) => Promise<void>) {
  return setup({
    types: { input: {} as Input, context: {} as { input: Input; failures: number } },
    actors: { attempt: fromPromise<void, Input>(({ input, signal }) => attempt(input, signal)) },
    delays: {
      retry: ({ context }) => Math.min(PROBE_FIRST_INTERVAL * 2 ** Math.min(context.failures - 1, 10), PROBE_MAX_INTERVAL),
    },
    actions: { notifyReady: sendParent({ type: 'READY' }) },
  }).createMachine({
    id,
    context: ({ input }) => ({ input, failures: 0 }),
    initial: 'probing',
    states: {
      probing: {
        // `as never`: TypeScript cannot relate the generic Input of the config to the one of setup.
        invoke: { src: 'attempt', input: ({ context }: { context: { input: Input } }) => context.input, onDone: 'ready', onError: 'waiting' } as never,
      },
      waiting: {
        entry: assign({ failures: ({ context }) => context.failures + 1 }),
        after: { retry: 'probing' },
      },
      ready: { type: 'final', entry: 'notifyReady' },
    },
  });
}
