import { createActor, type Actor } from 'xstate';
import { callosumBridge } from '../actors/callosum-bridge.js';
import type { Bus } from '../bus/create-bus.js';
import { CallosumConnection } from '../callosum/connection.js';
import { defaultSocketPath } from '../callosum/protocol.js';

/**
 * The runtime's links to Callosum: one connection per journal socket, shared
 * by every process (not one per child), and one bridge actor per bus and
 * connection. Connections start lazily, wait for a server that is not there
 * yet, and never keep the host alive.
 */
const shared = new Map<string, CallosumConnection>();
const bridges = new Map<CallosumConnection, Map<Bus, Actor<typeof callosumBridge>>>();
const unusable = new Set<string>();

/**
 * Makes sure `bus` is forwarded to Callosum: through `connection`, or the
 * journal's shared one; `false` for none. Returns the connection in use.
 */
export function linkCallosum(bus: Bus, journal: string, connection: CallosumConnection | false | undefined): CallosumConnection | undefined {
  if (connection === false) return undefined;
  const target = connection ?? sharedConnection(journal);
  if (!target) return undefined;
  let byBus = bridges.get(target);
  if (!byBus) bridges.set(target, (byBus = new Map()));
  if (!byBus.has(bus)) byBus.set(bus, createActor(callosumBridge, { input: { bus, connection: target } }).start());
  return target;
}

function sharedConnection(journal: string): CallosumConnection | undefined {
  const socketPath = defaultSocketPath(journal);
  let connection = shared.get(socketPath);
  if (connection || unusable.has(socketPath)) return connection;
  try {
    connection = new CallosumConnection({ socketPath });
  } catch (error) {
    // A journal too deep for a Unix socket path: processes still run and log, only Callosum is off.
    unusable.add(socketPath);
    console.error(`[brainstem] Callosum is off for ${journal}: ${(error as Error).message}`);
    return undefined;
  }
  connection.start();
  shared.set(socketPath, connection);
  return connection;
}

/** Stops every bridge and shared connection, delivering what they can; for hosts that want to flush before exiting. */
export async function closeCallosumLinks(): Promise<void> {
  for (const byBus of bridges.values()) for (const bridge of byBus.values()) bridge.stop();
  bridges.clear();
  const connections = [...shared.values()];
  shared.clear();
  await Promise.all(connections.map((connection) => connection.stop()));
}
