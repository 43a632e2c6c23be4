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
}

export type PipeClosedEvent = { type: 'PIPE_CLOSED'; stream: Stream; error?: string };
export type ClosePipeEvent = { type: 'CLOSE' };

/**
 * Reads one of the child's pipes to its end. Each chunk becomes one batch of
 * lines sent to the log writer in one event; the pipe's end (or a forced
 * close, when a grandchild holds it open past the drain bound) flushes the
 * unterminated last line and reports `PIPE_CLOSED`.
 */
export const pipeReader = fromCallback<ClosePipeEvent, PipeReaderInput, PipeClosedEvent>(({ input, sendBack, receive, system }) => {
  const { pipe, stream, pid } = input;
  const splitter = new LineSplitter(input.lineLimit);
  const logWriter = system.get('logWriter') as AnyActorRef;
  let closed = false;

  const deliver = (lines: string[]) => {
    if (lines.length > 0) logWriter.send({ type: 'BATCH', stream, pid, lines } satisfies LogBatchEvent);
  };
  const finish = (error?: Error) => {
    if (closed) return;
    closed = true;
    pipe.off('data', onData);
    deliver(splitter.end());
    sendBack(error ? { type: 'PIPE_CLOSED', stream, error: error.message } : { type: 'PIPE_CLOSED', stream });
  };
  const onData = (chunk: Buffer) => deliver(splitter.push(chunk));
  const onEnd = () => finish();
  const onError = (error: Error) => finish(error);

  pipe.on('data', onData);
  pipe.once('end', onEnd);
  pipe.once('close', onEnd);
  pipe.once('error', onError);
  pipe.resume();

  receive(() => {
    // Forced close: take what is already buffered, then stop reading.
    for (let chunk = pipe.read() as Buffer | null; chunk !== null; chunk = pipe.read() as Buffer | null) onData(chunk);
    finish();
    pipe.destroy();
  });

  return () => {
    pipe.off('data', onData);
    pipe.off('end', onEnd);
    pipe.off('close', onEnd);
    pipe.off('error', onError);
    if (!pipe.destroyed) pipe.destroy();
  };
});
