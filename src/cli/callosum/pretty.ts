/**
 * `listen --pretty`: one aligned line per message, coloured on a terminal.
 * Everything from the wire is shown with its control characters escaped, and
 * the columns widen only up to a bound: one huge event name is printed whole
 * but does not push every later line to the right.
 */
import type { CallosumMessage } from '../../callosum/protocol.js';
import { escapeControls, hasControls } from '../escape.js';

const COLOURS = { dim: 2, red: 31, green: 32, yellow: 33, cyan: 36, magenta: 35 } as const;
type Colour = keyof typeof COLOURS;

/** The widest a column grows to fit a tract or event name. */
export const MAX_COLUMN = 24;

export class PrettyPrinter {
  private tractWidth = 8;
  private eventWidth = 10;

  constructor(private readonly colour: boolean) {}

  format(message: CallosumMessage): string {
    const { tract: rawTract, event: rawEvent, ts, ...fields } = message;
    const tract = escapeControls(rawTract);
    const event = escapeControls(rawEvent);
    this.tractWidth = Math.min(MAX_COLUMN, Math.max(this.tractWidth, tract.length));
    this.eventWidth = Math.min(MAX_COLUMN, Math.max(this.eventWidth, event.length));
    const time = typeof ts === 'number' ? clockTime(ts) : '--:--:--.---';
    const body = Object.entries(fields)
      .map(([key, value]) => `${this.paint('dim', `${escapeControls(key)}=`)}${formatValue(value)}`)
      .join(' ');
    return `${this.paint('dim', time)}  ${this.paint('cyan', tract.padEnd(this.tractWidth))}  ${this.paint(eventColour(rawEvent, fields), event.padEnd(this.eventWidth))}  ${body}`.trimEnd();
  }

  private paint(colour: Colour, text: string): string {
    return this.colour ? `\x1b[${COLOURS[colour]}m${text}\x1b[0m` : text;
  }
}

function eventColour(event: string, fields: Record<string, unknown>): Colour {
  if (event === 'exit') return fields.exit_code === 0 ? 'green' : 'red';
  if (event === 'exec') return 'magenta';
  if (fields.stream === 'stderr') return 'yellow';
  return 'dim';
}

/** Strings bare when they hold no space, quote or control character, else JSON; everything else JSON. Control characters escaped either way. */
function formatValue(value: unknown): string {
  if (typeof value === 'string' && /^[^\s"'=]+$/.test(value) && !hasControls(value)) return value;
  return escapeControls(JSON.stringify(value) ?? String(value));
}

/** HH:MM:SS.mmm, local time. */
function clockTime(ts: number): string {
  const date = new Date(ts);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** Colour when stdout is a terminal and the user did not ask for none (https://no-color.org). */
export function wantsColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
}
