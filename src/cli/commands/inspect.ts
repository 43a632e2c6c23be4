import { spawn } from 'node:child_process';
import { CallosumConnection } from '../../callosum/connection.js';
import { callosumFedBus } from '../../inspect/callosum-feed.js';
import { scanHealthLogs } from '../../inspect/journal-scan.js';
import { readJournalReplay } from '../../inspect/replay.js';
import { checkJournal } from '../../journal/safe.js';
import { startInspector } from '../../inspect/server.js';
import { COMMON_USAGE, parseCommand, UsageError, type Command, type Io } from '../command.js';
import { untilStopSignal } from '../signals.js';

const usage = `Usage: brainstem inspect [--port P] [--open] [--journal DIR]

Serves a live inspector page on http://127.0.0.1:P/?token=T for every process of the
journal: a table of processes, each one's place on the lifecycle chart, its
bus events and its log tail, and a history slider to replay them. It replays
the journal's event log for today from its first record (so its history
reaches back past its start and across runtime restarts), then listens on
Callosum (<journal>/health/callosum.sock, the lifecycle and logs tracts).
Runs until Ctrl-C. Only this machine can open the page (it listens on
127.0.0.1), and only with the printed URL: it carries a token, as Jupyter's.

Options:
  --port P        port on 127.0.0.1 (default: 0, any free port)
  --open          open the page in the desktop's browser (xdg-open)
${COMMON_USAGE}`;

export const inspect: Command = {
  name: 'inspect',
  summary: 'serve a live page of every process: state chart, events, log tail, history',
  usage,
  async run(argv, io) {
    const { values, journal } = parseCommand(argv, { usage, options: { port: { type: 'string', short: 'p' }, open: { type: 'boolean' } }, positionals: { max: 0 } }, io);
    const port = parsePort(values.port);

    checkJournal(journal);
    // The page's replay needs the lines too: keep more of them than a runtime's own bus does.
    const { bus, onMessage } = callosumFedBus({ lineHistoryLimit: 10_000 });
    const connection = new CallosumConnection({ journal });
    const { stopped, dispose } = untilStopSignal();
    try {
      // Listening before the event log is read, so nothing falls between the two; what both carry is shown once.
      connection.start(onMessage);
      const replay = await readJournalReplay(journal);
      // A day without an event log: who ran is known from the log names only.
      const earlier = replay.events.length > 0 ? [] : await scanHealthLogs(journal, { tailLines: 0 });
      const inspector = await startInspector({ bus, journal, port, earlier, replay, keepAlive: true });
      io.stdout.write(`brainstem inspector: ${inspector.url}\n`);
      const known = replay.events.length > 0 ? `${replay.events.length} event${replay.events.length === 1 ? '' : 's'} from today's event log` : `${earlier.length} process${earlier.length === 1 ? '' : 'es'} from today's logs`;
      io.stderr.write(`listening on ${connection.socketPath}; ${known}; Ctrl-C to stop\n`);
      if (values.open) openInBrowser(inspector.url, io);
      await stopped;
      await inspector.close();
      return 0;
    } finally {
      dispose();
      await connection.stop();
    }
  },
};

function parsePort(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(text)}`, usage);
  return Number(text);
}

/** Best effort: a machine without a desktop still has the URL printed. */
function openInBrowser(url: string, io: Io): void {
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
  child.on('error', (error) => io.stderr.write(`could not open a browser (${opener}: ${error.message}); open ${url} yourself\n`));
  child.unref();
}
