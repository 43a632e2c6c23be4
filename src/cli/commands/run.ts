import { createBus } from '../../bus/create-bus.js';
import { TimeoutError } from '../../errors.js';
import { cgroupBase, containment } from '../../host/containment.js';
import { registerShutdown } from '../../host/guard.js';
import { closeCallosumLinks } from '../../process/callosum-link.js';
import { ManagedProcess } from '../../process/managed-process.js';
import { COMMON_USAGE, parseCommand, parseMs, UsageError, type Command } from '../command.js';
import { escapeControls } from '../escape.js';
import { onStopSignal, shellExitCode } from '../signals.js';

const usage = `Usage: brainstem run [options] -- CMD [ARG ...]

Runs CMD as a managed process: its output goes to your terminal and, line by
line, to its journal log; its life goes to Callosum when a server listens.
Exits with CMD's exit code (128 + the signal number when a signal ended it).
Ctrl-C is passed on to CMD's whole process group (or cgroup) as SIGINT, and
SIGTERM or SIGHUP as themselves; a second one sends SIGKILL. With stdout or
stderr closed early (\`| head\`), CMD's output is still journaled to the end.

Options:
  --ref R         correlation id (default: the current epoch ms)
  --name N        process name (default: CMD's basename, or ARG for 'sol ARG')
  --day D         pin the log to day D (YYYYMMDD); it then never rolls at midnight
  --timeout MS    terminate CMD after MS milliseconds
  --verbose       also say which containment holds CMD's descendants
${COMMON_USAGE}`;

export const run: Command = {
  name: 'run',
  summary: 'run a command with its output journaled; exit with its code',
  usage,
  async run(argv, io) {
    const dashes = argv.indexOf('--');
    const head = dashes === -1 ? argv : argv.slice(0, dashes);
    const options = { ref: { type: 'string' }, name: { type: 'string' }, day: { type: 'string' }, timeout: { type: 'string' }, verbose: { type: 'boolean' } } as const;
    const { values, positionals, journal } = withDashHint(dashes === -1, () => parseCommand(joinDashValues(head, options), { usage, options }, io));
    if (dashes !== -1 && positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} before '--'`, usage);
    const cmd = dashes === -1 ? positionals : argv.slice(dashes + 1);
    if (cmd.length === 0) throw new UsageError('missing the command to run (after --)', usage);
    const timeout = parseMs('--timeout', values.timeout, usage);

    const out = untilClosed(io.stdout);
    const err = untilClosed(io.stderr);
    const bus = createBus();
    // CMD's own bytes, passed through untouched; once a reader has gone (`| head`) they go only to the journal.
    bus.on('line', (event) => (event.stream === 'stdout' ? out : err)(`${event.line}\n`));
    bus.on('log', (event) => {
      if (event.kind === 'error') say(err, `journal error: ${event.error ?? 'unknown'} (${event.path}); the output still goes to the terminal and Callosum`);
    });
    if (values.verbose) say(err, describeContainment());

    let managed: ManagedProcess | undefined;
    let pending: NodeJS.Signals | undefined;
    let signalled = false;
    // The host guard runs this on Ctrl-C, SIGTERM or SIGHUP, and SIGKILLs CMD's group on a second one.
    const offShutdown = registerShutdown(async (signal) => {
      signalled = true;
      if (managed) await managed.terminate({ signal });
      else pending = signal;
    });
    // Listening ourselves keeps the guard from raising the signal again once CMD has ended: the exit code is CMD's.
    const offSignals = onStopSignal(() => {});

    try {
      managed = await ManagedProcess.spawn(cmd, { ref: values.ref, name: values.name, day: values.day, journal, bus });
      say(err, `${managed.name} started: pid ${managed.pid}, ref ${managed.ref}, log ${managed.logPath}`);
      if (pending) void managed.terminate({ signal: pending });
      const exitCode = await waitOrTerminate(managed, timeout, err);
      await managed.cleanup();
      say(err, `${managed.name} ${describeEnd(exitCode, managed.state)}, log ${managed.logPath}`);
      return shellExitCode(exitCode);
    } finally {
      offShutdown();
      // After a signal the guard may still be finishing; it re-raises the signal if nobody listens, and the exit code is ours to give.
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

/**
 * parseArgs refuses `--timeout -1` as "ambiguous"; joined as `--timeout=-1`
 * the value reaches the check that says what is wrong with it.
 */
function joinDashValues(argv: string[], options: Record<string, { type: 'string' | 'boolean' }>): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const next = argv[i + 1];
    if (flag.startsWith('--') && options[flag.slice(2)]?.type === 'string' && next !== undefined && /^-./.test(next)) {
      joined.push(`${flag}=${next}`);
      i++;
    } else joined.push(flag);
  }
  return joined;
}

async function waitOrTerminate(managed: ManagedProcess, timeout: number | undefined, err: Write): Promise<number> {
  try {
    return await managed.wait(timeout === undefined ? {} : { timeout });
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    say(err, `${managed.name} still running after --timeout ${timeout} ms: terminating it`);
    return managed.terminate();
  }
}

function describeContainment(): string {
  if (containment() === 'cgroup') return `containment: cgroup (each command in a cgroup of its own under ${cgroupBase()}; nothing it starts escapes)`;
  return 'containment: process-group (cgroups cannot be created here; a descendant that calls setsid escapes)';
}

function describeEnd(exitCode: number, state: string): string {
  if (state === 'killed') return `was killed (SIGKILL after the grace period), exit code ${exitCode}`;
  return exitCode < 0 ? `ended by signal ${-exitCode}, exit code ${exitCode}` : `exited with code ${exitCode}`;
}

type Write = (text: string) => void;

const closed = new WeakMap<NodeJS.WritableStream, { closed: boolean }>();

/** Writes to `stream` until its reader goes away (EPIPE), then drops what comes, quietly. */
function untilClosed(stream: NodeJS.WritableStream): Write {
  let state = closed.get(stream);
  if (!state) {
    const fresh = { closed: false };
    stream.on('error', () => (fresh.closed = true));
    closed.set(stream, (state = fresh));
  }
  const known = state;
  return (text) => {
    if (!known.closed && !(stream as { destroyed?: boolean }).destroyed) stream.write(text);
  };
}

function say(err: Write, message: string): void {
  err(`brainstem: ${escapeControls(message)}\n`);
}
