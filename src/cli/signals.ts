/** Ctrl-C and friends, for the commands that run until they are told to stop. */

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Calls `handler` for each SIGINT, SIGTERM or SIGHUP until the returned function is called. */
export function onStopSignal(handler: (signal: NodeJS.Signals) => void): () => void {
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
  };
}

/** Resolves with the first stop signal; `dispose` stops listening. */
export function untilStopSignal(): { stopped: Promise<NodeJS.Signals>; dispose: () => void } {
  let dispose = () => {};
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    dispose = onStopSignal(resolve);
  });
  // Signal listeners do not keep Node alive, and unref'd sockets don't either: hold the process until stopped.
  const hold = setInterval(() => {}, 1 << 30);
  return {
    stopped,
    dispose: () => {
      clearInterval(hold);
      dispose();
    },
  };
}

/** A shell's exit code for a child's: 128 + the signal number when a signal ended it (brainstem's codes are minus the number). */
export function shellExitCode(exitCode: number): number {
  return exitCode < 0 ? 128 + -exitCode : exitCode & 0xff;
}
