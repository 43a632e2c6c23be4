import { connectOnce } from './ready-connect.js';
import { probeMachine } from './ready-probe.js';

export interface ReadySocketInput {
  /** A Unix socket path. */
  socket: string;
}

/** Readiness as a Unix socket that accepts a connection; retried at a bounded interval until it does. */
export const readySocket = probeMachine<ReadySocketInput>('readySocket', (input, signal) => connectOnce({ path: input.socket }, signal));
