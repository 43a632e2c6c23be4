import net from 'node:net';

/** ms one connect attempt may take before it counts as failed. */
const CONNECT_BOUND = 1000;

/**
 * Resolves once a stream connection to `options` is accepted (then closes
 * it), rejects on refusal, on the bound, or on `signal`. The socket is
 * unref'd: a probe never keeps its host alive.
 */
export function connectOnce(options: net.NetConnectOpts, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('aborted'));
    const socket = net.connect(options);
    socket.unref();
    const finish = (error?: Error) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const onAbort = () => finish(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.setTimeout(CONNECT_BOUND, () => finish(new Error(`no answer within ${CONNECT_BOUND} ms`)));
    socket.once('connect', () => finish());
    socket.once('error', (error) => finish(error));
  });
}
