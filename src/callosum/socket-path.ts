/**
 * Taking a socket path for a server: listening on it, and making it free
 * first by removing a dead server's socket while refusing a live one's.
 */
import { lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import { CallosumError } from './errors.js';

/** How long to wait for an existing socket to answer before calling it live. */
const PROBE_TIMEOUT_MS = 1000;

export function listen(server: net.Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(socketPath, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Makes the path free to listen on: removes a dead server's socket, refuses a live one's. */
export async function claimSocketPath(socketPath: string): Promise<void> {
  let info;
  try {
    info = await lstat(socketPath);
  } catch {
    return;
  }
  if (!info.isSocket()) {
    throw new CallosumError('NOT_A_SOCKET', socketPath, `${socketPath} exists and is not a socket; move it away so the Callosum server can listen there.`);
  }
  const state = await probe(socketPath);
  if (typeof state !== 'string') {
    throw new CallosumError('LISTEN_FAILED', socketPath, `Cannot tell whether a Callosum server owns ${socketPath}: ${state.message}`, { cause: state });
  }
  if (state === 'live') {
    throw new CallosumError('SERVER_RUNNING', socketPath, `Another Callosum server is already listening on ${socketPath}; stop it first or use another socket path.`);
  }
  if (state === 'stale') {
    try {
      await unlink(socketPath);
    } catch {
      // Someone else removed it first.
    }
  }
}

type ProbeResult = 'live' | 'stale' | 'gone' | Error;

function probe(socketPath: string): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    const done = (state: ProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(state);
    };
    // An unresponsive listener (full backlog) is still alive: refuse rather than steal its path.
    const timer = setTimeout(() => done('live'), PROBE_TIMEOUT_MS);
    socket.once('connect', () => done('live'));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(error.code === 'ECONNREFUSED' ? 'stale' : error.code === 'ENOENT' ? 'gone' : error),
    );
  });
}
