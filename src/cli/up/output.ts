/**
 * `brainstem up`'s stdout, as foreman and overmind print it: one line per
 * line a service or task printed, `HH:MM:SS name  | text`, the names padded
 * to the longest, a colour per name on a terminal, stderr marked with `!`
 * instead of `|`, and brainstem's own lines under the name `brainstem`.
 */
import { escapeControls } from '../escape.js';

/** The name brainstem's own status lines carry. */
export const SELF = 'brainstem';

// ANSI foreground colours, as overmind cycles them; red is kept for the stderr mark.
const PALETTE = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

export type Source = 'stdout' | 'stderr' | 'self';

export interface Writable {
  write(text: string): unknown;
}

export class PrefixedOutput {
  private width: number;
  private readonly colours = new Map<string, number>();
  // Lines gather until the current turn ends, then go out in one write: a flood is not a write per line.
  private pending = '';

  constructor(
    private readonly out: Writable,
    private readonly colour: boolean,
    names: readonly string[],
  ) {
    this.width = Math.max(SELF.length, ...names.map((name) => name.length));
    for (const name of names) this.colourOf(name);
  }

  /** Queues one line, in the order given. A task's longer name widens the column from then on. */
  line(at: number, name: string, source: Source, text: string): void {
    if (this.pending === '') setImmediate(() => this.flush());
    this.pending += this.format(at, name, source, text);
  }

  /** A brainstem status line: control characters in it are escaped (the child's own lines pass through as they are). */
  say(at: number, text: string): void {
    this.line(at, SELF, 'self', escapeControls(text));
  }

  /** Writes what is queued now. */
  flush(): void {
    if (this.pending === '') return;
    const chunk = this.pending;
    this.pending = '';
    this.out.write(chunk);
  }

  private format(at: number, name: string, source: Source, text: string): string {
    if (name.length > this.width) this.width = name.length;
    const mark = source === 'stderr' ? '!' : '|';
    const head = `${clock(at)} ${name.padEnd(this.width)}`;
    if (!this.colour) return `${head} ${mark} ${text}\n`;
    const code = source === 'self' ? 1 : this.colourOf(name);
    const styledMark = source === 'stderr' ? `\x1b[31m${mark}\x1b[0m` : `\x1b[${code}m${mark}\x1b[0m`;
    return `\x1b[${code}m${head}\x1b[0m ${styledMark} ${text}\n`;
  }

  private colourOf(name: string): number {
    let code = this.colours.get(name);
    if (code === undefined) this.colours.set(name, (code = PALETTE[this.colours.size % PALETTE.length]!));
    return code;
  }
}

/** `HH:MM:SS`, local time. */
export function clock(at: number): string {
  const date = new Date(at);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
}
