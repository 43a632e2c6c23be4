/**
 * What a peer sent that the server has not read yet, read before its socket
 * is destroyed.
 *
 * A write to a peer that has closed fails (EPIPE), and Node then destroys
 * the socket with whatever was still unread: that is where a sender's last
 * kept messages (its exit) were lost while the server was not reading it
 * (pacing). The write's callback runs before the destroy, so the bytes are
 * still there: Node's own buffer first, then the kernel's receive queue,
 * which holds everything a closed peer sent.
 */
import fs from 'node:fs';
import type { Socket } from 'node:net';

/** Bytes read from the socket directly in one go. */
const CHUNK = 64 * 1024;
/** At most this many chunks: a peer that keeps writing cannot keep the caller here. */
const MAX_CHUNKS = 256;

/**
 * Hands `socket`'s unread bytes on, in order: what Node buffered goes to the
 * socket's own 'data' listeners (`read()` emits it), what the kernel holds
 * to `push`, a fresh Buffer per read.
 */
export function readUnread(socket: Socket, push: (chunk: Buffer) => void): void {
  try {
    while (socket.read() !== null);
  } catch {
    // Nothing buffered that Node will hand out.
  }
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return;
  for (let i = 0; i < MAX_CHUNKS; i++) {
    const chunk = Buffer.allocUnsafe(CHUNK);
    let bytes: number;
    try {
      bytes = fs.readSync(fd, chunk, 0, CHUNK, null);
    } catch {
      return; // EAGAIN: nothing more; ECONNRESET: everything was read
    }
    if (bytes === 0) return;
    push(chunk.subarray(0, bytes));
  }
}

/**
 * What Node had read from a socket but not yet handed out when it was
 * destroyed: a paused socket keeps reading into its buffer, and a read error
 * (ECONNRESET, a peer that closed with our data unread) then destroys it with
 * those bytes still buffered. Call from the 'error' listener; hands them to
 * `push` in order.
 */
export function salvageBuffered(socket: Socket, push: (chunk: Buffer) => void): void {
  const state = (socket as unknown as { _readableState?: { length: number; buffer: unknown; bufferIndex?: number } })._readableState;
  if (!state || state.length === 0) return;
  const buffer = state.buffer as { head?: { data: Buffer; next: unknown } } | Buffer[];
  if (Array.isArray(buffer)) {
    for (let i = state.bufferIndex ?? 0; i < buffer.length; i++) if (Buffer.isBuffer(buffer[i])) push(buffer[i]!);
  } else {
    for (let node = buffer?.head; node; node = node.next as typeof node) if (Buffer.isBuffer(node.data)) push(node.data);
  }
  state.length = 0;
}
