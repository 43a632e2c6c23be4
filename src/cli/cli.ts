/**
 * `brainstem <command> …`: finds the command, runs it, and turns what went
 * wrong into a message and an exit code (2 for a usage error).
 */
import { SpawnError, ValidationError } from '../errors.js';
import { HelpRequested, UsageError, type Command, type Io } from './command.js';
import { commands } from './commands/index.js';
import { packageVersion } from './version.js';

export function mainUsage(list: readonly Command[] = commands): string {
  const width = Math.max(...list.map((command) => command.name.length));
  return [
    'Usage: brainstem <command> [options]',
    '',
    'Runs child processes with every line they print journaled, and shows what they do.',
    '',
    'Commands:',
    ...list.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Options:',
    '  -h, --help      show this help (or a command\'s: brainstem <command> --help)',
    '  -v, --version   print the version',
    '',
    'Every command takes --journal DIR (default: $JOURNAL_PATH, else ./journal).',
  ].join('\n');
}

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(`brainstem: missing command\n\n${mainUsage()}\n`);
    return 2;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(`${mainUsage()}\n`);
    return 0;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const command = commands.find((candidate) => candidate.name === first);
  if (!command) {
    io.stderr.write(`brainstem: unknown command ${JSON.stringify(first)}\n\n${mainUsage()}\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    return report(error, command, io);
  }
}

function report(error: unknown, command: Command, io: Io): number {
  const prefix = `brainstem ${command.name}:`;
  if (error instanceof HelpRequested) {
    io.stdout.write(`${error.usage}\n`);
    return 0;
  }
  if (error instanceof UsageError) {
    io.stderr.write(`${prefix} ${error.message}\n\n${error.usage}\n`);
    return 2;
  }
  if (error instanceof ValidationError) {
    io.stderr.write(`${prefix} ${error.message}\n\n${command.usage}\n`);
    return 2;
  }
  if (error instanceof SpawnError) {
    io.stderr.write(`${prefix} ${error.message}\n`);
    // As shells do: 127 when the command is not found, 126 when it cannot be executed.
    return error.code === 'ENOENT' ? 127 : 126;
  }
  io.stderr.write(`${prefix} ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
}
