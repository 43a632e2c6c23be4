/**
 * A `.env` file: `KEY=VALUE` lines, an optional `export `, `#` comment
 * lines, values optionally in single quotes (taken as they are) or double
 * quotes (where \n, \t, \" and \\ are escapes).
 */
import type { ConfigProblem } from '../errors.js';

export function parseDotenv(text: string): { env: Record<string, string>; problems: ConfigProblem[] } {
  const env: Record<string, string> = {};
  const problems: ConfigProblem[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(trimmed);
    if (!match) {
      problems.push({ line, message: `expected KEY=VALUE, got ${JSON.stringify(trimmed)}` });
      continue;
    }
    const value = unquote(match[2]!);
    if (value === undefined) problems.push({ line, message: `${match[1]}: the value's quote is not closed` });
    else env[match[1]!] = value;
  }
  return { env, problems };
}

function unquote(value: string): string | undefined {
  const quote = value[0];
  if (quote !== '"' && quote !== "'") return value;
  if (value.length < 2 || !value.endsWith(quote)) return undefined;
  const inner = value.slice(1, -1);
  if (quote === "'") return inner;
  return inner.replace(/\\([nt"\\])/g, (_, escaped: string) => ({ n: '\n', t: '\t', '"': '"', '\\': '\\' })[escaped]!);
}
