import fs from 'node:fs';
import path from 'node:path';
import { type JournalError, ValidationError } from '../../errors.js';
import { checkId } from '../../journal/names.js';
import { COMMON_USAGE, parseCommand, UsageError, type Command, type Io } from '../command.js';
import { LogFollower } from '../logs/follow.js';
import { untilStopSignal } from '../signals.js';

const usage = `Usage: brainstem logs NAME [--follow]

Prints the current log of the process named NAME, through the journal's
symlink <journal>/health/NAME.log. With --follow, keeps printing new lines
and moves on to the next file when the symlink does (at midnight, or when a
new run of NAME starts) or when the file is replaced at its path (deleted or
renamed, then reopened by its run), as tail -F does, until Ctrl-C.

Options:
  -f, --follow    keep printing new lines
${COMMON_USAGE}`;

export const logs: Command = {
  name: 'logs',
  summary: "print a process's current log; --follow keeps printing, across midnight",
  usage,
  async run(argv, io) {
    const { values, positionals, journal } = parseCommand(argv, { usage, options: { follow: { type: 'boolean', short: 'f' } }, positionals: { min: 1, max: 1 } }, io);
    const name = positionals[0]!;
    try {
      checkId('name', name);
    } catch (error) {
      if (error instanceof ValidationError) throw new UsageError(error.message, usage);
      throw error;
    }
    return values.follow ? follow(journal, name, io) : print(journal, name, io);
  },
};

const linkOf = (name: string) => path.join('health', `${name}.log`);

async function print(journal: string, name: string, io: Io): Promise<number> {
  const link = path.join(journal, linkOf(name));
  let refused: JournalError | undefined;
  const out = toReader(io.stdout);
  const follower = new LogFollower({ journal, link: linkOf(name), write: out.write, onError: (error) => (refused ??= error) });
  follower.check();
  const found = follower.current !== undefined;
  follower.stop();
  if (refused) {
    io.stderr.write(`brainstem logs: ${refused.message}\n`);
    return 1;
  }
  if (!found) {
    io.stderr.write(`brainstem logs: no log for ${name}: ${link} does not exist${fs.existsSync(journal) ? '' : ' (nor its journal)'}\n`);
    return 1;
  }
  return 0;
}

async function follow(journal: string, name: string, io: Io): Promise<number> {
  const { stopped, dispose } = untilStopSignal();
  const out = toReader(io.stdout);
  const follower = new LogFollower({
    journal,
    link: linkOf(name),
    write: out.write,
    onSwitch: (file) => io.stderr.write(`brainstem logs: ${name} now logs to ${file}\n`),
    onError: (error) => io.stderr.write(`brainstem logs: ${error.message}\n`),
  });
  follower.start();
  if (follower.current === undefined) io.stderr.write(`brainstem logs: waiting for ${path.join(journal, linkOf(name))}\n`);
  try {
    // `logs -f NAME | head`: the reader leaving is as good as Ctrl-C.
    await Promise.race([stopped, out.gone]);
    follower.check();
    return 0;
  } finally {
    follower.stop();
    dispose();
  }
}

/**
 * Writes to `stream` while someone reads it. When the reader goes away (EPIPE,
 * as `brainstem logs NAME | head` does) the rest is dropped quietly and `gone`
 * resolves, instead of an unhandled 'error' crashing the command. The listener
 * stays: an EPIPE from a write still in flight comes after the command returns.
 */
function toReader(stream: NodeJS.WritableStream): { write: (chunk: Buffer) => void; gone: Promise<void> } {
  let closed = false;
  let leave = () => {};
  const gone = new Promise<void>((resolve) => (leave = resolve));
  const onError = () => {
    closed = true;
    leave();
  };
  stream.on('error', onError);
  return {
    write: (chunk) => {
      if (!closed) stream.write(chunk);
    },
    gone,
  };
}
