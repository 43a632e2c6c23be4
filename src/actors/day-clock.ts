import { fromCallback } from 'xstate';
import { nextMidnight } from '../journal/day.js';

export interface DayClockInput {
  /** A pinned log never moves: the clock then never ticks. */
  pinned: boolean;
  now: () => number;
}

export type MidnightEvent = { type: 'MIDNIGHT' };

/**
 * Tells its parent `MIDNIGHT` at every local midnight. The wait is computed
 * with luxon (23- and 25-hour days included) and scheduled on the actor
 * system's scheduler, the one xstate's delays use, so it runs on the system's
 * clock and a test clock drives it; stopping the actor cancels it. A callback
 * rather than a machine of its own: every process has one, and a machine
 * costs each spawn its own snapshot and microsteps for one timer.
 */
export const dayClock = fromCallback<{ type: 'TICK' }, DayClockInput, MidnightEvent>(({ input, self, system, sendBack, receive }) => {
  if (input.pinned) return;
  const arm = () => system.scheduler.schedule(self, self, { type: 'TICK' }, Math.max(1, nextMidnight(input.now()) - input.now()), 'midnight');
  receive(() => {
    sendBack({ type: 'MIDNIGHT' });
    arm();
  });
  arm();
});
