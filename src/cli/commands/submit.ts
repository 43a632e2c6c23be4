import { checkDay } from '../../journal/day.js';
import { checkId, nextRef } from '../../journal/names.js';
import type { CallosumMessage } from '../../callosum/protocol.js';
import { COMMON_USAGE, parseCommand, parseMs, UsageError, type Command } from '../command.js';
import { shellExitCode } from '../signals.js';
import { escapeControls } from '../escape.js';
import { converse, silence } from '../up/ask.js';

const usage = `Usage: brainstem submit [--ref R] [--day D] [--wait] [--timeout MS] -- CMD [ARG ...]

Queues CMD as a task with the supervisor serving the journal (brainstem up,
or any Supervisor with control): one task per command name runs at a time,
the others wait their turn. Sends "supervisor request" over Callosum, waits
for the supervisor to queue or start it, and prints the task's ref. Exits 1
when no answer comes (no server, or no supervisor behind it), or when the
supervisor refuses it (the queue for that command is full).

Options:
  --ref R         the task's ref (default: a new one, printed)
  --day D         pin the task's log to day D (YYYYMMDD)
  --wait          also wait for the task to end, printing its lines, and exit
                  as brainstem run would: its code, 128 + a signal, 127 when it
                  could not start
  --timeout MS    how long to wait for the supervisor's answer (default: 5000)
${COMMON_USAGE}`;

type Answer = { kind: 'queued'; position: number; running: unknown } | { kind: 'started'; pid: unknown } | { kind: 'refused'; reason: unknown };

export const submit: Command = {
  name: 'submit',
  summary: 'queue a task with a running brainstem up, over Callosum; --wait for its end',
  usage,
  async run(argv, io) {
    const dashes = argv.indexOf('--');
    if (dashes === -1) throw new UsageError("put the command after '--': brainstem submit [options] -- CMD [ARG ...]", usage);
    const { values, journal } = parseCommand(
      argv.slice(0, dashes),
      { usage, options: { ref: { type: 'string' }, day: { type: 'string' }, wait: { type: 'boolean' }, timeout: { type: 'string' } }, positionals: { max: 0 } },
      io,
    );
    const cmd = argv.slice(dashes + 1);
    if (cmd.length === 0) throw new UsageError('missing the command to submit (after --)', usage);
    const timeout = parseMs('--timeout', values.timeout, usage) ?? 5000;
    const ref = values.ref ?? nextRef();
    checkId('ref', ref);
    if (values.day !== undefined) checkDay(values.day);

    const conversation = converse(journal);
    try {
      // Listen for the end before asking: a quick task may be over before its answer is read.
      const ended = values.wait ? conversation.until((message) => (isOurs(message, 'stopped', ref) ? message : undefined)) : undefined;
      // Lines that arrive with the answer (one chunk of the socket) wait for it: the ref is printed first.
      let early: CallosumMessage[] | undefined = [];
      const stopLines = values.wait
        ? conversation.watch((message) => {
            if (!early) printLine(message, ref, io);
            else if (lineOf(message, ref)) early.push(message);
          })
        : undefined;
      conversation.send('request', { cmd, ref, ...(values.day !== undefined && { day: values.day }) });
      const answer = await conversation.until((message) => answerFor(message, ref), timeout);
      if (!answer) {
        io.stderr.write(`brainstem submit: ${escapeControls(silence(conversation, timeout, `the request for ref ${ref}`))}\n`);
        return 1;
      }
      if (answer.kind === 'refused') {
        const reason = typeof answer.reason === 'string' ? answer.reason : 'it will not run';
        io.stderr.write(`brainstem submit: the supervisor did not queue ref ${ref}: ${escapeControls(reason)}\n`);
        return 1;
      }
      io.stdout.write(`${ref}\n`);
      io.stderr.write(
        answer.kind === 'started'
          ? `brainstem submit: started (ref ${ref}${typeof answer.pid === 'number' ? `, pid ${answer.pid}` : ''})\n`
          : `brainstem submit: queued (ref ${ref}), ${answer.position} in line behind ${escapeControls(String(answer.running ?? 'nothing'))}\n`,
      );
      for (const message of early) printLine(message, ref, io);
      early = undefined;
      if (!ended) return 0;
      const stopped = (await ended)!;
      stopLines?.();
      const exitCode = typeof stopped.exit_code === 'number' ? stopped.exit_code : -1;
      if (stopped.pid === 0 && exitCode === -1) {
        io.stderr.write(`brainstem submit: ref ${ref} never ran (it could not start, or the supervisor stopped first)\n`);
        return 127;
      }
      io.stderr.write(`brainstem submit: ref ${ref} ${exitCode < 0 ? `ended by signal ${-exitCode}` : `exited with code ${exitCode}`}\n`);
      return shellExitCode(exitCode);
    } finally {
      await conversation.close();
    }
  },
};

function isOurs(message: CallosumMessage, event: string, ref: string): boolean {
  return message.tract === 'supervisor' && message.event === event && message.ref === ref;
}

/**
 * `started` for our ref, or a `queue` message holding it (as the primary ref, or joined to an identical
 * command); a `stopped` for it first, with pid 0, means the supervisor refused it (its queue is full).
 */
function answerFor(message: CallosumMessage, ref: string): Answer | undefined {
  if (isOurs(message, 'started', ref)) return { kind: 'started', pid: message.pid };
  if (isOurs(message, 'stopped', ref) && message.pid === 0) return { kind: 'refused', reason: message.reason };
  if (message.tract !== 'supervisor' || message.event !== 'queue' || !Array.isArray(message.queue)) return undefined;
  if (message.running === ref) return { kind: 'started', pid: undefined };
  const position = (message.queue as { refs?: unknown }[]).findIndex((entry) => Array.isArray(entry.refs) && entry.refs.includes(ref));
  return position === -1 ? undefined : { kind: 'queued', position: position + 1, running: message.running };
}

/** One of the task's own lines, or undefined for any other message. */
function lineOf(message: CallosumMessage, ref: string): { line: string; stderr: boolean } | undefined {
  if (message.tract !== 'logs' || message.event !== 'line' || message.ref !== ref || typeof message.line !== 'string') return undefined;
  return { line: message.line, stderr: message.stream === 'stderr' };
}

/** With --wait, the task's own lines, as `brainstem run` passes them through. */
function printLine(message: CallosumMessage, ref: string, io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): void {
  const line = lineOf(message, ref);
  if (line) (line.stderr ? io.stderr : io.stdout).write(`${line.line}\n`);
}
