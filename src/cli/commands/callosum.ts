import { CallosumConnection } from '../../callosum/connection.js';
import { CallosumError } from '../../callosum/errors.js';
import { encodeMessage, type CallosumMessage } from '../../callosum/protocol.js';
import { CallosumServer, SLOW_CONSUMER_REASON } from '../../callosum/server.js';
import { parseSendArgs } from '../callosum/fields.js';
import { PrettyPrinter, wantsColour } from '../callosum/pretty.js';
import { COMMON_USAGE, parseCommand, UsageError, type Command, type Io } from '../command.js';
import { untilStopSignal } from '../signals.js';

const usage = `Usage: brainstem callosum serve
       brainstem callosum listen [--tract T] [--event E] [--pretty]
       brainstem callosum send TRACT EVENT [key=value | key:=json ...]
       brainstem callosum send '{"tract": T, "event": E, ...}'

Callosum is the agent's message bus: newline-delimited JSON over the Unix
socket <journal>/health/callosum.sock, broadcast to every connected client.
brainstem publishes every process it runs on the "logs" tract (exec, line,
exit) and every state change on the "lifecycle" tract.

  serve    run the server in the foreground until Ctrl-C
  listen   print every message, one JSON object per line
  send     send one message (key=value is a string, key:=json any JSON value)

Options:
${COMMON_USAGE}`;

const serveUsage = `Usage: brainstem callosum serve

Runs the Callosum server on <journal>/health/callosum.sock in the foreground
and says where it listens; Ctrl-C (or SIGTERM) stops it and removes the socket.

Options:
${COMMON_USAGE}`;

const listenUsage = `Usage: brainstem callosum listen [--tract T] [--event E] [--pretty]

Prints every message broadcast on the journal's Callosum, one JSON object per
line, until Ctrl-C. Reconnects when the server comes back, and says on stderr
when the connection is lost: a listener that falls too far behind is
disconnected by the server (messages are missing then) rather than silently
left without an exec or exit.

Options:
  --tract T       only messages of tract T (repeatable)
  --event E       only messages of event E (repeatable)
  --pretty        one aligned line per message (time, tract, event, fields), coloured on a terminal,
                  control characters from the wire shown escaped (\\x1b)
${COMMON_USAGE}`;

const sendUsage = `Usage: brainstem callosum send TRACT EVENT [key=value | key:=json ...]
       brainstem callosum send '{"tract": T, "event": E, ...}'

Sends one message to the journal's Callosum server; the server adds "ts".
key=value sends value as a string, key:=json sends any JSON value (key:=42,
key:=true, key:='["a","b"]'). Exits 1 when no server takes the message.

Options:
${COMMON_USAGE}`;

const SUBCOMMANDS: Record<string, (argv: string[], io: Io) => Promise<number>> = { serve, listen, send };

export const callosum: Command = {
  name: 'callosum',
  summary: "serve, listen to or send on Callosum, the agent's local message bus",
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === undefined) throw new UsageError('missing subcommand: serve, listen or send', usage);
    const handler = SUBCOMMANDS[sub];
    if (handler) return handler(rest, io);
    if (sub.startsWith('-')) {
      // An option before the subcommand: --help, or the same strict refusal of unknown flags as everywhere.
      parseCommand(argv, { usage, options: {} }, io);
      throw new UsageError('missing subcommand: serve, listen or send', usage);
    }
    throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}: expected serve, listen or send`, usage);
  },
};

async function serve(argv: string[], io: Io): Promise<number> {
  const { journal } = parseCommand(argv, { usage: serveUsage, options: {}, positionals: { max: 0 } }, io);
  const server = new CallosumServer({ journal, keepAlive: true });
  try {
    await server.start();
  } catch (error) {
    if (!(error instanceof CallosumError)) throw error;
    io.stderr.write(`brainstem callosum: ${error.message}\n`);
    return 1;
  }
  const { stopped, dispose } = untilStopSignal();
  io.stderr.write(`brainstem callosum: listening on ${server.socketPath} (Ctrl-C to stop)\n`);
  try {
    const signal = await stopped;
    await server.stop();
    const { broadcast, ignored, dropped, disconnected } = server.stats();
    io.stderr.write(
      `brainstem callosum: stopped on ${signal} after broadcasting ${broadcast} messages (${ignored} ignored lines, ${dropped} dropped for slow clients, ${disconnected} slow clients disconnected)\n`,
    );
    return 0;
  } finally {
    dispose();
  }
}

async function listen(argv: string[], io: Io): Promise<number> {
  const { values, journal } = parseCommand(
    argv,
    {
      usage: listenUsage,
      options: { tract: { type: 'string', multiple: true }, event: { type: 'string', multiple: true }, pretty: { type: 'boolean' } },
      positionals: { max: 0 },
    },
    io,
  );
  const tracts = new Set(values.tract ?? []);
  const events = new Set(values.event ?? []);
  const pretty = values.pretty ? new PrettyPrinter(wantsColour(io.stdout, io.env)) : undefined;
  const wanted = (message: CallosumMessage) => (tracts.size === 0 || tracts.has(message.tract)) && (events.size === 0 || events.has(message.event));

  // Say when the server comes and goes: a listener that hears nothing, or misses something, should know why.
  const say = (text: string) => io.stderr.write(`brainstem callosum: ${text}\n`);
  let everConnected = false;
  let toldSlow = false;
  const connection = new CallosumConnection({
    journal,
    onStatus(connected) {
      if (connected) {
        say(`${everConnected ? 'reconnected to' : 'connected to'} ${connection.socketPath}`);
        everConnected = true;
      } else if (toldSlow) {
        toldSlow = false;
      } else {
        say(`lost the connection to ${connection.socketPath} (the server stopped, or disconnected this listener for falling behind: messages may be missing); reconnecting`);
      }
    },
  });
  const { stopped, dispose } = untilStopSignal();
  connection.start((message) => {
    if (message.tract === 'callosum' && message.event === 'disconnected' && message.reason === SLOW_CONSUMER_REASON) {
      say(`the server disconnected this listener: it fell too far behind, and ${Number(message.dropped) || 'some'} messages for it were dropped; reconnecting`);
      toldSlow = true;
    }
    if (wanted(message)) io.stdout.write(pretty ? `${pretty.format(message)}\n` : encodeMessage(message));
  });
  const waiting = setTimeout(() => {
    if (!everConnected) say(`waiting for a server on ${connection.socketPath}`);
  }, 200);
  try {
    await stopped;
    return 0;
  } finally {
    clearTimeout(waiting);
    dispose();
    await connection.stop({ timeoutMs: 0 });
  }
}

async function send(argv: string[], io: Io): Promise<number> {
  const { positionals, journal } = parseCommand(argv, { usage: sendUsage, options: {}, positionals: { min: 1 } }, io);
  let message;
  try {
    message = parseSendArgs(positionals);
  } catch (error) {
    throw new UsageError((error as Error).message, sendUsage);
  }
  const connection = new CallosumConnection({ journal });
  connection.start();
  const queued = connection.emit(message.tract, message.event, message.fields);
  await connection.stop({ timeoutMs: 2000 });
  if (!queued || connection.stats().sent === 0) {
    io.stderr.write(`brainstem callosum: no Callosum server took the message on ${connection.socketPath} (start one with: brainstem callosum serve)\n`);
    return 1;
  }
  return 0;
}
