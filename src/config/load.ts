/**
 * Reads what `brainstem up` runs: a brainstem.json or a Procfile, plus the
 * `.env` beside it, into the `name, cmd, options` a Supervisor's `add` takes.
 * Anything wrong, in either file, is one ConfigError listing all of it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { SERVICE_DEFAULTS, type ServiceOptions } from '../supervisor/options.js';
import { parseDotenv } from './dotenv.js';
import { parseJson } from './json.js';
import { parseProcfile } from './procfile.js';
import type { ConfigFile, ServiceEntry } from './schema.js';
import { validateConfig } from './validate.js';

export interface ServiceSpec {
  name: string;
  cmd: string[];
  options: ServiceOptions;
}

export interface Config {
  /** The file read (absolute). */
  file: string;
  /** The file's `"journal"`, resolved against its directory; undefined when it names none (and always for a Procfile). */
  journal: string | undefined;
  /** The `.env` read beside the file, if there was one. */
  envFile: string | undefined;
  /** In file order. */
  services: ServiceSpec[];
}

/** The file `brainstem up` reads: `given` (relative to `cwd`), else brainstem.json, else a Procfile in `cwd`. */
export function findConfig(cwd: string, given?: string): string {
  if (given !== undefined) return path.resolve(cwd, given);
  for (const name of ['brainstem.json', 'Procfile']) {
    const file = path.join(cwd, name);
    if (fs.existsSync(file)) return file;
  }
  throw new ConfigError(cwd, [{ message: 'no brainstem.json or Procfile here (write one, or pass --config FILE)' }]);
}

/** Reads and checks `file`: JSON when it ends in `.json`, else a Procfile. Throws a ConfigError naming every problem. */
export function loadConfig(file: string): Config {
  file = path.resolve(file);
  const dir = path.dirname(file);
  const text = readText(file);
  const envFile = path.join(dir, '.env');
  const dotenv = fs.existsSync(envFile) ? parseDotenv(readText(envFile)) : { env: {}, problems: [] };
  const envProblems = dotenv.problems.map((problem): ConfigProblem => ({ ...problem, file: envFile }));
  const base = { file, envFile: fs.existsSync(envFile) ? envFile : undefined };

  if (!file.endsWith('.json')) {
    const { entries, problems } = parseProcfile(text);
    if (problems.length + envProblems.length > 0) throw new ConfigError(file, [...problems, ...envProblems]);
    const env = Object.keys(dotenv.env).length > 0 ? { env: dotenv.env } : {};
    return { ...base, journal: undefined, services: entries.map(({ name, command }) => ({ name, cmd: ['sh', '-c', command], options: { ...env } })) };
  }

  const parsed = parseJson(text);
  if ('problem' in parsed) throw new ConfigError(file, [parsed.problem, ...envProblems]);
  const problems = validateConfig(parsed.value, dir);
  if (problems.length + envProblems.length > 0) throw new ConfigError(file, [...problems, ...envProblems]);
  const config = parsed.value as ConfigFile;
  return {
    ...base,
    journal: config.journal === undefined ? undefined : path.resolve(dir, config.journal),
    services: Object.entries(config.services).map(([name, entry]) => ({ name, cmd: command(entry), options: serviceOptions(entry, dir, dotenv.env) })),
  };
}

function command(entry: ServiceEntry): string[] {
  return typeof entry.cmd === 'string' ? ['sh', '-c', entry.cmd] : [...entry.cmd];
}

/** A validated entry as Supervisor options: paths against the file's directory, `.env` under the service's own env, `null` as Infinity. */
function serviceOptions(entry: ServiceEntry, dir: string, dotenv: Record<string, string>): ServiceOptions {
  const { cmd: _cmd, env, cwd, maxRestarts, ready, ...rest } = entry;
  const options: ServiceOptions = { ...rest };
  const merged = { ...dotenv, ...env };
  if (Object.keys(merged).length > 0) options.env = merged;
  if (cwd !== undefined) options.cwd = path.resolve(dir, cwd);
  if (maxRestarts !== undefined) options.maxRestarts = { count: maxRestarts.count ?? Infinity, within: maxRestarts.within ?? SERVICE_DEFAULTS.maxRestarts.within };
  if (ready !== undefined) {
    if ('regex' in ready) options.ready = { line: new RegExp(ready.regex, ready.flags) };
    else if ('socket' in ready) options.ready = { socket: path.resolve(dir, ready.socket) };
    else options.ready = ready;
  }
  return options;
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [{ message: code === 'ENOENT' ? 'no such file' : `cannot read it: ${(error as Error).message}` }]);
  }
}
