import { fromCallback } from 'xstate';
import type { Bus } from '../bus/create-bus.js';

export interface ReadyLineInput {
  bus: Pick<Bus, 'on'>;
  /** The run whose output is watched. */
  ref: string;
  /** Contained in a line (a string) or matching it (a RegExp). */
  line: string | RegExp;
}

/**
 * Readiness as a line of output: sends READY once a line of the run `ref`, on
 * stdout or stderr, contains the text or matches the pattern. It holds no
 * timer, so it never keeps the host alive; stopping it unsubscribes.
 */
export const readyLine = fromCallback<{ type: string }, ReadyLineInput>(({ input, sendBack }) => {
  // A global or sticky pattern keeps `lastIndex` between tests: match with a copy that does not.
  const pattern = typeof input.line === 'string' ? undefined : new RegExp(input.line.source, input.line.flags.replace(/[gy]/g, ''));
  const text = typeof input.line === 'string' ? input.line : undefined;
  let off: (() => void) | undefined = input.bus.on('line', (event) => {
    if (event.ref !== input.ref || !off) return;
    if (text !== undefined ? event.line.includes(text) : pattern!.test(event.line)) {
      off();
      off = undefined;
      sendBack({ type: 'READY' });
    }
  });
  return () => off?.();
});
