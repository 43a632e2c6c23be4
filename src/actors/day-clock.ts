import { sendParent, setup } from 'xstate';
import { nextMidnight } from '../journal/day.js';

export interface DayClockInput {
  /** A pinned log never moves: the clock then never ticks. */
  pinned: boolean;
  now: () => number;
}

/**
 * Tells its parent `MIDNIGHT` at every local midnight. The wait is an xstate
 * delay computed with luxon (23- and 25-hour days included), so it runs on the
 * actor system's clock and a test clock drives it.
 */
export const dayClock = setup({
  types: {
    context: {} as DayClockInput,
    input: {} as DayClockInput,
  },
  delays: {
    untilMidnight: ({ context }) => Math.max(1, nextMidnight(context.now()) - context.now()),
  },
  guards: {
    pinned: ({ context }) => context.pinned,
  },
}).createMachine({
  id: 'dayClock',
  context: ({ input }) => input,
  initial: 'waiting',
  states: {
    waiting: {
      always: { guard: 'pinned', target: 'pinned' },
      after: {
        untilMidnight: { target: 'waiting', reenter: true, actions: sendParent({ type: 'MIDNIGHT' }) },
      },
    },
    pinned: { type: 'final' },
  },
});
