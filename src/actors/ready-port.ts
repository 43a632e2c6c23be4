import { connectOnce } from './ready-connect.js';
import { probeMachine } from './ready-probe.js';

export interface ReadyPortInput {
  port: number;
  /** @default '127.0.0.1' */
  host?: string;
}

/** Readiness as a TCP port that accepts a connection; retried at a bounded interval until it does. */
export const readyPort = probeMachine<ReadyPortInput>('readyPort', (input, signal) => connectOnce({ port: input.port, host: input.host ?? '127.0.0.1' }, signal));
