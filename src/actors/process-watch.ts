import { fromCallback } from 'xstate';
import type { Bus } from '../bus/create-bus.js';

export interface ProcessWatchInput {
  bus: Pick<Bus, 'on'>;
  ref: string;
}

export type ProcessRunningEvent = { type: 'PROCESS_RUNNING'; pid: number };

/** Tells a service when its current run's process is running, and its pid (the run's own machine announces it on the bus). */
export const processWatch = fromCallback<{ type: string }, ProcessWatchInput>(({ input, sendBack }) =>
  input.bus.on('transition', (event) => {
    if (event.ref === input.ref && event.to === 'running' && event.pid !== undefined) sendBack({ type: 'PROCESS_RUNNING', pid: event.pid });
  }),
);
