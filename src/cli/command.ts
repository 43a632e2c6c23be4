/**
 * What every `brainstem` command is made of, and the one way they parse
 * their arguments. A command is a file in `commands/` exporting a `Command`,
 * listed once in `commands/index.ts`.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolveJournal } from '../journal/paths.js';

/** Where a command reads and writes; the process's own streams when run as the bin. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface Command {
  /** The word after `brainstem`. */
  name: string;
  /** One line for `brainstem --help`. */
  summary: string;
  /** The full help text, printed by `--help` and after a usage error. */
  usage: string;
  /** Runs the command; resolves to the exit code. Throws `UsageError` for bad arguments (exit 2). */
  run(argv: string[], io: Io): Promise<number>;
}

/** The arguments were wrong: the message says what, the usage follows, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The help text of the command that refused them. */
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--help` was given: print `usage` and exit 0. */
export class HelpRequested extends Error {
  constructor(readonly usage: string) {
    super('help requested');
    this.name = 'HelpRequested';
  }
}

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** What parseArgs returns for an option spec: strings, booleans, or arrays of them for `multiple`. */
type Values<O extends OptionSpec> = {
  [K in keyof O]?: O[K] extends { type: 'string' } ? (O[K] extends { multiple: true } ? string[] : string) : O[K] extends { multiple: true } ? boolean[] : boolean;
};

/** The options every command takes. */
export const COMMON_OPTIONS = {
  journal: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export const COMMON_USAGE = `  --journal DIR   journal root (default: $JOURNAL_PATH, else ./journal)
  -h, --help      show this help`;

/**
 * Parses `argv` strictly (an unknown flag is a `UsageError`), adds the common
 * options, throws `HelpRequested` for `--help`, and resolves the journal.
 */
export function parseCommand<const O extends OptionSpec>(
  argv: string[],
  spec: { usage: string; options: O; positionals?: { min?: number; max?: number } },
  io: Io,
) {
  const options = { ...COMMON_OPTIONS, ...spec.options };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message, spec.usage);
  }
  const values = parsed.values as Values<O & typeof COMMON_OPTIONS>;
  if (values.help) throw new HelpRequested(spec.usage);
  const { positionals } = parsed;
  const { min = 0, max = Infinity } = spec.positionals ?? {};
  if (positionals.length < min) throw new UsageError(`missing argument${min - positionals.length > 1 ? 's' : ''}`, spec.usage);
  if (positionals.length > max) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[max])}`, spec.usage);
  return { values, positionals, journal: commandJournal(values.journal as string | undefined, io, spec.usage) };
}

/** `--journal`, else `JOURNAL_PATH` from the command's environment, else `./journal`; an empty one is a usage error (exit 2), never the current directory. */
function commandJournal(option: string | undefined, io: Io, usage: string): string {
  if (option === '') throw new UsageError('--journal is empty: give a directory (e.g. --journal ./journal); "" would be the current directory', usage);
  const env = option === undefined ? io.env.JOURNAL_PATH : undefined;
  if (env === '') throw new UsageError('JOURNAL_PATH is set but empty: unset it for ./journal, or give --journal DIR', usage);
  return resolveJournal(option ?? env ?? 'journal');
}

/** Parses a whole non-negative number of milliseconds, or says which flag was wrong. */
export function parseMs(flag: string, text: string | undefined, usage: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} must be a whole number of milliseconds, got ${JSON.stringify(text)}`, usage);
  return Number(text);
}
