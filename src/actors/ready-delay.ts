import { sendParent, setup } from 'xstate';

export interface ReadyDelayInput {
  /** ms the process must still be running for to count as up. */
  delay: number;
}

/** Readiness as time survived: sends READY after `delay` ms, an xstate delay on the runtime clock. Its service stops it when the process ends first. */
export const readyDelay = setup({
  types: { input: {} as ReadyDelayInput, context: {} as ReadyDelayInput },
  delays: { delay: ({ context }) => context.delay },
  actions: { notifyReady: sendParent({ type: 'READY' }) },
}).createMachine({
  id: 'readyDelay',
  context: ({ input }) => ({ delay: input.delay }),
  initial: 'counting',
  states: {
    counting: { after: { delay: 'ready' } },
    ready: { type: 'final', entry: 'notifyReady' },
  },
});
