import fs from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../../errors.js';
import { checkId } from '../../journal/names.js';
import { journalHealthDir } from '../../journal/paths.js';
import { COMMON_USAGE, parseCommand, UsageError, type Command, type Io } from '../command.js';
import { LogFollower, resolveLink } from '../logs/follow.js';
import { untilStopSignal } from '../signals.js';

const usage = `Usage: brainstem logs NAME [--follow]

Prints the current log of the process named NAME, through the journal's
symlink <journal>/health/NAME.log. With --follow, keeps printing new lines
and moves on to the next file when the symlink does (at midnight, or when a
new run of NAME starts), until Ctrl-C.

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
    const link = path.join(journalHealthDir(journal), `${name}.log`);
    return values.follow ? follow(link, name, io) : print(link, name, io);
  },
};

async function print(link: string, name: string, io: Io): Promise<number> {
  const file = resolveLink(link);
  if (file === undefined) {
    io.stderr.write(`brainstem logs: no log for ${name}: ${link} does not exist${fs.existsSync(path.dirname(link)) ? '' : ' (nor its journal)'}\n`);
    return 1;
  }
  const follower = new LogFollower({ link, write: (chunk) => io.stdout.write(chunk) });
  follower.check();
  follower.stop();
  return 0;
}

async function follow(link: string, name: string, io: Io): Promise<number> {
  const { stopped, dispose } = untilStopSignal();
  const follower = new LogFollower({
    link,
    write: (chunk) => io.stdout.write(chunk),
    onSwitch: (file) => io.stderr.write(`brainstem logs: ${name} now logs to ${file}\n`),
  });
  follower.start();
  if (follower.current === undefined) io.stderr.write(`brainstem logs: waiting for ${link}\n`);
  try {
    await stopped;
    follower.check();
    return 0;
  } finally {
    follower.stop();
    dispose();
  }
}
