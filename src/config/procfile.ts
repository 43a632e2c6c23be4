/** A Procfile: `name: command` lines, `#` comments; each command runs under `sh -c`, as foreman and honcho run them. */
import type { ConfigProblem } from '../errors.js';
import { SERVICE_NAME_PATTERN } from './schema.js';

export interface ProcfileEntry {
  name: string;
  command: string;
  line: number;
}

export function parseProcfile(text: string): { entries: ProcfileEntry[]; problems: ConfigProblem[] } {
  const entries: ProcfileEntry[] = [];
  const problems: ConfigProblem[] = [];
  const namePattern = new RegExp(SERVICE_NAME_PATTERN);
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const match = /^([^:\s]+)\s*:(.*)$/.exec(trimmed);
    if (!match) {
      problems.push({ line, message: `expected "name: command", got ${JSON.stringify(trimmed)}` });
      continue;
    }
    const name = match[1]!;
    const command = match[2]!.trim();
    const first = entries.find((entry) => entry.name === name);
    if (!namePattern.test(name)) problems.push({ line, message: `${JSON.stringify(name)} is not a valid service name (letters, digits, ".", "_" and "-", not starting with ".")` });
    else if (command === '') problems.push({ line, message: `${name} has no command` });
    else if (first) problems.push({ line, message: `${name} is defined twice (first on line ${first.line})` });
    else entries.push({ name, command, line });
  }
  if (entries.length === 0 && problems.length === 0) problems.push({ message: 'no services: the Procfile is empty (write one "name: command" line per service)' });
  return { entries, problems };
}
