/** `listen --pretty`: one aligned line per message, coloured on a terminal. */
import type { CallosumMessage } from '../../callosum/protocol.js';

const COLOURS = { dim: 2, red: 31, green: 32, yellow: 33, cyan: 36, magenta: 35 } as const;
type Colour = keyof typeof COLOURS;

export class PrettyPrinter {
  private tractWidth = 8;
  private eventWidth = 10;

  constructor(private readonly colour: boolean) {}

  format(message: CallosumMessage): string {
    const { tract, event, ts, ...fields } = message;
    this.tractWidth = Math.max(this.tractWidth, tract.length);
    this.eventWidth = Math.max(this.eventWidth, event.length);
    const time = typeof ts === 'number' ? clockTime(ts) : '--:--:--.---';
    const body = Object.entries(fields)
      .map(([key, value]) => `${this.paint('dim', `${key}=`)}${formatValue(value)}`)
      .join(' ');
    return `${this.paint('dim', time)}  ${this.paint('cyan', tract.padEnd(this.tractWidth))}  ${this.paint(eventColour(event, fields), event.padEnd(this.eventWidth))}  ${body}`.trimEnd();
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

/** Strings bare when they hold no space or quote, else JSON; everything else JSON. */
function formatValue(value: unknown): string {
  if (typeof value === 'string' && /^[^\s"'=]+$/.test(value)) return value;
  return JSON.stringify(value) ?? String(value);
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
