/**
 * Talking to a running `brainstem up` (or any Supervisor with `control`) over
 * Callosum's `supervisor` tract: send one message, then wait, bounded, for the
 * answer that shows a supervisor acted on it. A plain server with no
 * supervisor behind it broadcasts the message and nothing more, so only an
 * answer counts as success.
 */
import { CallosumConnection } from '../../callosum/connection.js';
import type { CallosumMessage } from '../../callosum/protocol.js';

export interface Conversation {
  readonly socketPath: string;
  /** Whether the connection ever reached a server. */
  readonly reached: boolean;
  send(event: string, fields: Record<string, unknown>): void;
  /** The first message from now on for which `match` returns a value; undefined after `timeoutMs` (none: no limit). */
  until<T>(match: (message: CallosumMessage) => T | undefined, timeoutMs?: number): Promise<T | undefined>;
  /** Calls `each` for every message until the returned function is called. */
  watch(each: (message: CallosumMessage) => void): () => void;
  close(): Promise<void>;
}

export function converse(journal: string): Conversation {
  const connection = new CallosumConnection({ journal });
  const listeners = new Set<(message: CallosumMessage) => void>();
  let reached = false;
  connection.start((message) => {
    reached = true;
    for (const listener of [...listeners]) listener(message);
  });
  // The connection never holds the process; a conversation does, until closed.
  const hold = setInterval(() => (reached ||= connection.isConnected), 20);
  return {
    socketPath: connection.socketPath,
    get reached() {
      return reached || connection.isConnected;
    },
    send(event, fields) {
      connection.emit('supervisor', event, fields as never);
    },
    until<T>(match: (message: CallosumMessage) => T | undefined, timeoutMs?: number) {
      return new Promise<T | undefined>((resolve) => {
        const finish = (value: T | undefined) => {
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(value);
        };
        const timer = timeoutMs === undefined ? undefined : setTimeout(() => finish(undefined), timeoutMs);
        const listener = (message: CallosumMessage) => {
          const value = match(message);
          if (value !== undefined) finish(value);
        };
        listeners.add(listener);
      });
    },
    watch(each) {
      listeners.add(each);
      return () => listeners.delete(each);
    },
    async close() {
      clearInterval(hold);
      listeners.clear();
      await connection.stop();
    },
  };
}

/** Why no answer came, for a person: no server at all, or a server with no supervisor (or no such thing) behind it. */
export function silence(conversation: Conversation, timeoutMs: number, what: string): string {
  if (!conversation.reached) return `no Callosum server answers on ${conversation.socketPath}; is brainstem up running with this journal?`;
  return `no supervisor answered ${what} within ${timeoutMs} ms on ${conversation.socketPath} (is brainstem up running there, with ${what.startsWith('for ') ? 'that service' : 'it'}?)`;
}
