/**
 * 2. The listener of the flood, in a process of its own:
 * `node --import tsx bench/hosts/callosum-listener.ts SOCKET_PATH`
 * is one client of the server that reads as fast as it can. It recognises
 * brainstem's `line` events by their `"event":"line"` and `"ref":"…"` text,
 * and the next ones of a flood by the same text up to their `"line":`
 * (JSON.parse would cost it about 2 µs a message, making the listener the
 * slowest part of the chain); it parses every other message. Prints
 * `ready`, then one JSON line per `logs`/`exit`: what arrived for that ref
 * (exec seen, line events, the exit's fields).
 */
import net from 'node:net';

const socketPath = process.argv[2]!;

type Seen = { exec: boolean; lines: number };
const seen = new Map<string, Seen>();
const of = (ref: string) => {
  let entry = seen.get(ref);
  if (!entry) seen.set(ref, (entry = { exec: false, lines: 0 }));
  return entry;
};

const EVENT_LINE = '"event":"line"';
const REF = '"ref":"';

const LINE = '"line":';
// The text of the last line event up to its `"line":`, and whose it was: a
// flood's next line events start the same way, so one comparison counts them.
let head = '';
let headEntry: Seen | undefined;

/** The message `text[from, to)`. */
const onMessage = (text: string, from: number, to: number) => {
  if (headEntry && to - from > head.length && text.slice(from, from + head.length) === head) {
    headEntry.lines++;
    return;
  }
  const event = text.indexOf(EVENT_LINE, from);
  if (event !== -1 && event < to) {
    const ref = text.indexOf(REF, from);
    if (ref !== -1 && ref < to) {
      const entry = of(text.slice(ref + REF.length, text.indexOf('"', ref + REF.length)));
      entry.lines++;
      const line = text.indexOf(LINE, from);
      if (line > event && line > ref && line < to) {
        head = text.slice(from, line + LINE.length);
        headEntry = entry;
      }
      return;
    }
  }
  const message = JSON.parse(text.slice(from, to)) as { tract?: string; event?: string; ref?: string; lines_shed?: number; exit_code?: number };
  if (message.tract !== 'logs' || typeof message.ref !== 'string') return;
  const entry = of(message.ref);
  if (message.event === 'line') entry.lines++;
  else if (message.event === 'exec') entry.exec = true;
  else if (message.event === 'exit') {
    seen.delete(message.ref);
    if (headEntry === entry) headEntry = undefined;
    process.stdout.write(`${JSON.stringify({ ref: message.ref, exec: entry.exec, lines: entry.lines, linesShed: message.lines_shed, exitCode: message.exit_code })}\n`);
  }
};

const client = net.connect(socketPath);
let rest = '';
client.on('data', (chunk: Buffer) => {
  // latin1 is exact here: the server sends pure ASCII.
  const text = rest + chunk.toString('latin1');
  let from = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', from)) {
    onMessage(text, from, at);
    from = at + 1;
  }
  rest = text.slice(from);
});
client.once('connect', () => process.stdout.write('ready\n'));
process.once('SIGTERM', () => {
  client.destroy();
  process.exit(0);
});
