/** The `send` command line: `TRACT EVENT [key=value | key:=json ...]`, or one JSON object. */
import type { CallosumFields } from '../../callosum/connection.js';
import type { CallosumMessage } from '../../callosum/protocol.js';

export type ParsedSend = { tract: string; event: string; fields: CallosumFields };

/** Throws an Error whose message says which argument is wrong. */
export function parseSendArgs(args: readonly string[]): ParsedSend {
  if (args.length === 1 && args[0]!.trimStart().startsWith('{')) return fromJsonObject(args[0]!);
  const [tract, event, ...pairs] = args;
  if (tract === undefined || event === undefined) throw new Error('expected TRACT EVENT [key=value ...] or one JSON object');
  if (tract === '' || event === '') throw new Error('TRACT and EVENT cannot be empty');
  const fields: CallosumFields = {};
  for (const pair of pairs) {
    const raw = /^([^=:]+):=(.*)$/s.exec(pair);
    const plain = /^([^=]+)=(.*)$/s.exec(pair);
    const [key, value] = raw ? [raw[1]!, parseJson(raw[2]!, pair)] : plain ? [plain[1]!, plain[2]!] : [undefined, undefined];
    if (key === undefined) throw new Error(`expected key=value or key:=json, got ${JSON.stringify(pair)}`);
    if (key === 'tract' || key === 'event') throw new Error(`${key} is given by position, not as a field (${JSON.stringify(pair)})`);
    fields[key] = value;
  }
  return { tract, event, fields };
}

function fromJsonObject(text: string): ParsedSend {
  const value = parseJson(text, 'the message');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('the message must be a JSON object');
  const { tract, event, ...fields } = value as CallosumMessage;
  if (typeof tract !== 'string' || typeof event !== 'string' || tract === '' || event === '') {
    throw new Error('the JSON message needs string "tract" and "event" fields');
  }
  return { tract, event, fields };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}
