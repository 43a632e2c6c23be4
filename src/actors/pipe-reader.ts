import type { Readable } from 'node:stream';
import { fromCallback, type AnyActorRef } from 'xstate';
import type { Stream } from '../bus/events.js';
import { LineSplitter } from '../lines/line-splitter.js';
import type { LogBatchEvent } from './log-writer.js';

export interface PipeReaderInput {
  stream: Stream;
  pipe: Readable;
  pid: number;
  lineLimit: number;
  /** Where each chunk's batch of lines goes. */
  logWriter: AnyActorRef;
  /** Called once, when the pipe has ended (or was closed by force) and its last line is delivered. */
  onClosed: () => void;
  /** Asked after each chunk: a promise means read no further until it settles (Callosum is behind; see CallosumConnection.backpressure). */
  pace?: () => Promise<void> | undefined;
}

/** Both pipes have ended (or were closed by force) and their last lines are delivered. */
export type PipesClosedEvent = { type: 'PIPES_CLOSED' };

export interface PipeReader {
  /** Forced close (a grandchild holds the pipe open past the drain bound): takes what is buffered, then stops reading. */
  close(): void;
  /** Lets go of the pipe: no more reading, no more events. */
  release(): void;
}

/**
 * Reads one of the child's pipes to its end. Each chunk becomes one batch of
 * lines sent to the log writer in one event; the pipe's end (or a forced
 * close) flushes the unterminated last line and reports `PIPE_CLOSED`.
 *
 * While `pace` asks it to wait, the pipe is not read: the child blocks on
 * its next write, as it would on a slow disk, and no line is lost.
 */
export function readPipe(input: PipeReaderInput): PipeReader {
  const { pipe, stream, pid, logWriter } = input;
  const splitter = new LineSplitter(input.lineLimit);
  let closed = false;

  const deliver = (lines: string[]) => {
    if (lines.length > 0) logWriter.send({ type: 'BATCH', stream, pid, lines } satisfies LogBatchEvent);
  };
  const finish = () => {
    if (closed) return;
    closed = true;
    pipe.off('data', onData);
    deliver(splitter.end());
    input.onClosed();
  };
  const onData = (chunk: Buffer) => {
    deliver(splitter.push(chunk));
    const wait = input.pace?.();
    if (wait) {
      pipe.pause();
      void wait.then(() => {
        if (!closed) pipe.resume();
      });
    }
  };
  // A pipe that fails (EIO) has ended as far as its lines go: what was read is delivered.
  const onEnd = () => finish();
  const onError = () => finish();

  // `on`, not `once`: finish() runs once anyway, and each once-wrapper would stay with every live child.
  pipe.on('data', onData);
  pipe.on('end', onEnd);
  pipe.on('close', onEnd);
  pipe.on('error', onError);
  pipe.resume();

  return {
    close() {
      if (closed) return;
      for (let chunk = pipe.read() as Buffer | null; chunk !== null; chunk = pipe.read() as Buffer | null) onData(chunk);
      finish();
      pipe.destroy();
    },
    release() {
      closed = true;
      pipe.off('data', onData);
      pipe.off('end', onEnd);
      pipe.off('close', onEnd);
      pipe.off('error', onError);
      if (!pipe.destroyed) pipe.destroy();
    },
  };
}

export interface PipeReaderActorInput {
  stdout: Readable;
  stderr: Readable;
  pid: number;
  lineLimit: number;
  pace?: () => Promise<void> | undefined;
  /** The process's log writer, which gets every chunk. */
  logWriter: AnyActorRef;
}

export type ClosePipesEvent = { type: 'CLOSE' };

/**
 * The pipe reader: reads the child's stdout and stderr to their ends, each
 * chunk one `BATCH` to the log writer, and reports `PIPES_CLOSED` once both
 * have ended (one event, not one per pipe: each is a step of the machine).
 * `CLOSE` (the drain bound expired: a grandchild holds a pipe open) takes
 * what is buffered and stops reading. One actor for both pipes: an actor per
 * pipe costs every live process a few KB more.
 */
export const pipeReader = fromCallback<ClosePipesEvent, PipeReaderActorInput, PipesClosedEvent>(({ input, sendBack, receive }) => {
  const logWriter = input.logWriter;
  let open = 2;
  const onClosed = () => {
    if (--open === 0) sendBack({ type: 'PIPES_CLOSED' });
  };
  const readers = (['stdout', 'stderr'] as const).map((stream) =>
    readPipe({ stream, pipe: input[stream], pid: input.pid, lineLimit: input.lineLimit, logWriter, onClosed, pace: input.pace }),
  );
  receive(() => {
    for (const reader of readers) reader.close();
  });
  return () => {
    for (const reader of readers) reader.release();
  };
});
