import { createBus } from '../../bus/create-bus.js';
import { TimeoutError } from '../../errors.js';
import { closeCallosumLinks } from '../../process/callosum-link.js';
import { ManagedProcess } from '../../process/managed-process.js';
import { COMMON_USAGE, parseCommand, parseMs, UsageError, type Command, type Io } from '../command.js';
import { onStopSignal, shellExitCode } from '../signals.js';

const usage = `Usage: brainstem run [options] -- CMD [ARG ...]

Runs CMD as a managed process: its output goes to your terminal and, line by
line, to its journal log; its life goes to Callosum when a server listens.
Exits with CMD's exit code (128 + the signal number when a signal ended it).
Ctrl-C ends CMD's whole process group (SIGTERM; a second Ctrl-C sends SIGKILL).

Options:
  --ref R         correlation id (default: the current epoch ms)
  --name N        process name (default: CMD's basename, or ARG for 'sol ARG')
  --day D         pin the log to day D (YYYYMMDD); it then never rolls at midnight
  --timeout MS    terminate CMD after MS milliseconds
${COMMON_USAGE}`;

export const run: Command = {
  name: 'run',
  summary: 'run a command with its output journaled; exit with its code',
  usage,
  async run(argv, io) {
    const dashes = argv.indexOf('--');
    const head = dashes === -1 ? argv : argv.slice(0, dashes);
    const { values, positionals, journal } = withDashHint(dashes === -1, () =>
      parseCommand(head, { usage, options: { ref: { type: 'string' }, name: { type: 'string' }, day: { type: 'string' }, timeout: { type: 'string' } } }, io),
    );
    if (dashes !== -1 && positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} before '--'`, usage);
    const cmd = dashes === -1 ? positionals : argv.slice(dashes + 1);
    if (cmd.length === 0) throw new UsageError('missing the command to run (after --)', usage);
    const timeout = parseMs('--timeout', values.timeout, usage);

    const bus = createBus();
    bus.on('line', (event) => (event.stream === 'stdout' ? io.stdout : io.stderr).write(`${event.line}\n`));

    let managed: ManagedProcess | undefined;
    let stopRequested = false;
    let signalled = false;
    const stop = () => {
      if (!managed) return;
      if (!stopRequested) {
        stopRequested = true;
        void managed.terminate();
      } else if (managed.pid !== null) {
        // A second Ctrl-C: the user will not wait for the grace period.
        killGroup(managed.pid);
      }
    };
    const offSignals = onStopSignal(() => {
      signalled = true;
      if (!managed) stopRequested = true;
      else stop();
    });

    try {
      managed = await ManagedProcess.spawn(cmd, { ref: values.ref, name: values.name, day: values.day, journal, bus });
      say(io, `${managed.name} started: pid ${managed.pid}, ref ${managed.ref}, log ${managed.logPath}`);
      if (stopRequested) {
        stopRequested = false;
        stop();
      }
      const exitCode = await waitOrTerminate(managed, timeout, io);
      await managed.cleanup();
      say(io, `${managed.name} ${describeEnd(exitCode, managed.state)}, log ${managed.logPath}`);
      return shellExitCode(exitCode);
    } finally {
      // After a signal, stay subscribed: the host guard re-raises it (exit 130) once nobody listens, and the exit code is ours to give.
      if (!signalled) offSignals();
      // Spawn forwarded the run to the journal's Callosum socket; deliver its exit before we go.
      await closeCallosumLinks();
    }
  },
};

/** Without '--', CMD's own flags look like ours: say how to pass them. */
function withDashHint<T>(noDashes: boolean, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (noDashes && error instanceof UsageError && error.message.startsWith('Unknown option')) {
      throw new UsageError(`${error.message.split('.')[0]}. Put the command after '--': brainstem run [options] -- CMD [ARG ...]`, usage);
    }
    throw error;
  }
}

async function waitOrTerminate(managed: ManagedProcess, timeout: number | undefined, io: Io): Promise<number> {
  try {
    return await managed.wait(timeout === undefined ? {} : { timeout });
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    say(io, `${managed.name} still running after --timeout ${timeout} ms: terminating it`);
    return managed.terminate();
  }
}

function describeEnd(exitCode: number, state: string): string {
  if (state === 'killed') return `was killed (SIGKILL after the grace period), exit code ${exitCode}`;
  return exitCode < 0 ? `ended by signal ${-exitCode}, exit code ${exitCode}` : `exited with code ${exitCode}`;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function say(io: Io, message: string): void {
  io.stderr.write(`brainstem: ${message}\n`);
}
