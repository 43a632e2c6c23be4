import type { Socket } from 'node:net';

/**
 * Writes encoded messages in order: adjacent strings joined, Buffers (runs
 * forwarded or encoded as they are) never copied, all corked so they leave
 * in one writev. Strings go out as latin1: the wire is pure ASCII, and V8
 * copies one-byte strings out without encoding them. `done` is called once
 * the last part is written (with the error, if the write failed).
 */
export function writeParts(socket: Socket, parts: readonly (string | Buffer)[], done?: (error?: Error | null) => void): void {
  const chunks: (string | Buffer)[] = [];
  let text = '';
  for (const part of parts) {
    if (typeof part === 'string') text += part;
    else {
      if (text) chunks.push(text);
      text = '';
      chunks.push(part);
    }
  }
  if (text) chunks.push(text);
  if (chunks.length === 0) {
    if (done) queueMicrotask(() => done());
    return;
  }
  socket.cork();
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i]!;
    const callback = i === chunks.length - 1 ? done : undefined;
    if (typeof chunk === 'string') socket.write(chunk, 'latin1', callback);
    else socket.write(chunk, callback);
  }
  socket.uncork();
}
