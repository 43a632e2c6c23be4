import path from 'node:path';
import { createBus } from '../../bus/create-bus.js';
import { CallosumError } from '../../callosum/errors.js';
import { CallosumServer } from '../../callosum/server.js';
import { findConfig, loadConfig, type Config } from '../../config/load.js';
import { ConfigError } from '../../errors.js';
import { killAllGroups } from '../../host/containment.js';
import { setSignalGuard } from '../../host/guard.js';
import { startInspector, type Inspector } from '../../inspect/server.js';
import { resolveJournal } from '../../journal/paths.js';
import { closeCallosumLinks } from '../../process/callosum-link.js';
import { Supervisor } from '../../supervisor/supervisor.js';
import { parseCommand, UsageError, type Command, type Io } from '../command.js';
import { onStopSignal } from '../signals.js';
import { narrate } from '../up/narrate.js';
import { PrefixedOutput } from '../up/output.js';

const usage = `Usage: brainstem up [--config FILE] [--inspect] [--port P] [--journal DIR]

Runs the services of brainstem.json (else a Procfile) in the current directory
under a supervisor, in the foreground: started in dependency order, restarted
with backoff, every line they print on stdout as "HH:MM:SS name | text"
("!" instead of "|" for stderr), brainstem's own lines under "brainstem".
A .env beside the file is added to every service's environment.
Ctrl-C or SIGTERM stops the services in reverse order and exits 0; a second
one kills everything at once (exit 130). When every service has stopped or
given up, it exits (1 if any gave up). It serves Callosum on the journal
unless a server answers there already; from another terminal,
"brainstem restart NAME" and "brainstem submit -- CMD" talk to it.

Options:
  -c, --config FILE  brainstem.json (JSON when it ends in .json) or a Procfile
  --inspect          also serve the inspector page; its URL is printed
  --port P           the inspector's port on 127.0.0.1 (default: any free port)
  --journal DIR      journal root (default: the file's "journal", relative to
                     it, else $JOURNAL_PATH, else ./journal)
  -h, --help         show this help`;

export const up: Command = {
  name: 'up',
  summary: 'run the services of brainstem.json or a Procfile, supervised, until Ctrl-C',
  usage,
  async run(argv, io) {
    const { values } = parseCommand(
      argv,
      { usage, options: { config: { type: 'string', short: 'c' }, inspect: { type: 'boolean' }, port: { type: 'string' } }, positionals: { max: 0 } },
      io,
    );
    if (values.port !== undefined && !values.inspect) throw new UsageError('--port is the inspector\'s: give --inspect too', usage);
    const port = parsePort(values.port);

    let config: Config;
    try {
      config = loadConfig(findConfig(process.cwd(), values.config));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const line of error.message.split('\n')) io.stderr.write(`brainstem up: ${line}\n`);
      io.stderr.write(`brainstem up: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}; nothing was started\n`);
      return 2;
    }
    const journal = resolveJournal(values.journal ?? config.journal ?? io.env.JOURNAL_PATH);
    return runServices(config, journal, values.inspect ? { port: port ?? 0 } : undefined, io);
  },
};

async function runServices(config: Config, journal: string, inspect: { port: number } | undefined, io: Io): Promise<number> {
  const names = config.services.map((service) => service.name);
  const out = new PrefixedOutput(io.stdout, Boolean(io.stdout.isTTY) && !io.env.NO_COLOR, names);
  // `up` handles its own stop signals: an ordered stop on the first, SIGKILL to everything on the second.
  setSignalGuard(false);
  let signals = 0;
  let stopRequested!: (signal: NodeJS.Signals) => void;
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => (stopRequested = resolve));
  let forced = false;
  const offSignals = onStopSignal((signal) => {
    if (++signals === 1) return stopRequested(signal);
    forced = true;
    out.say(Date.now(), `${signal} again: killing every process now`);
    out.flush();
    killAllGroups();
    // The supervisor hears its processes die and stops; should anything still hold on, do not wait for it.
    setTimeout(() => process.exit(130), 3000).unref();
  });
  // A closed stdout (`brainstem up | head`) must not end the services: the journal still gets every line.
  (io.stdout as NodeJS.WriteStream).on?.('error', () => {});

  const bus = createBus();
  const stopNarrating = narrate(bus, out, new Map(config.services.map((service) => [service.name, service.options])));
  const supervisor = new Supervisor({ journal, bus });
  let server: CallosumServer | undefined;
  let inspector: Inspector | undefined;
  try {
    out.say(Date.now(), `${names.length} service${names.length === 1 ? '' : 's'} from ${config.file}${config.envFile ? ` (and ${config.envFile})` : ''}; journal ${journal}`);
    for (const { name, cmd, options } of dependencyOrder(config.services)) supervisor.add(name, cmd, options);
    server = await serveCallosum(journal);
    const socket = path.join(journal, 'health', 'callosum.sock');
    out.say(Date.now(), server ? `serving Callosum on ${socket}` : `joined the Callosum server on ${socket}`);
    if (inspect) {
      inspector = await startInspector({ bus, journal, port: inspect.port });
      out.say(Date.now(), `inspector: ${inspector.url}`);
    }

    const ended = everyServiceEnded(supervisor, bus);
    // A service that gives up leaves the others running: its failure is told as it happens, not thrown here.
    supervisor.start().catch(() => {});
    const outcome = await Promise.race([ended, stopSignal]);
    if (typeof outcome === 'string') out.say(Date.now(), `${outcome}: stopping every service in reverse order (again to kill at once)`);
    await supervisor.stop();
    const failed = supervisor.status().filter((row) => row.state === 'failed').map((row) => row.name);
    if (forced) return 130;
    if (typeof outcome === 'string') {
      out.say(Date.now(), 'every service stopped');
      return 0;
    }
    out.say(Date.now(), failed.length > 0 ? `every service has ended; ${failed.join(', ')} gave up: exiting with 1` : 'every service has ended: exiting with 0');
    return failed.length > 0 ? 1 : 0;
  } finally {
    stopNarrating();
    out.flush();
    await inspector?.close();
    // The last `stopped` messages go out before the server they go through closes.
    await closeCallosumLinks();
    await server?.stop();
    offSignals();
  }
}

/** The services with each one after those it names in `after` (the Supervisor takes an `after` name only once added), else in file order. */
function dependencyOrder(services: Config['services']): Config['services'] {
  const ordered: Config['services'] = [];
  const placed = new Set<string>();
  const place = (service: Config['services'][number]) => {
    if (placed.has(service.name)) return;
    placed.add(service.name);
    for (const name of service.options.after ?? []) place(services.find((each) => each.name === name)!);
    ordered.push(service);
  };
  services.forEach(place);
  return ordered;
}

/** Resolves once every service is `stopped` or `failed`. */
function everyServiceEnded(supervisor: Supervisor, bus: ReturnType<typeof createBus>): Promise<void> {
  return new Promise((resolve) => {
    // A `service` event is announced on entering its state, before the snapshot shows it: check after the turn.
    const off = bus.on('service', () =>
      setImmediate(() => {
        if (!supervisor.status().every((row) => row.state === 'stopped' || row.state === 'failed')) return;
        off();
        resolve();
      }),
    );
  });
}

/** Serves Callosum on the journal's socket, unless another server answers there (then its services join that one). */
async function serveCallosum(journal: string): Promise<CallosumServer | undefined> {
  const server = new CallosumServer({ journal });
  try {
    await server.start();
    return server;
  } catch (error) {
    if (error instanceof CallosumError && error.code === 'SERVER_RUNNING') return undefined;
    throw error;
  }
}

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(text)}`, usage);
  return Number(text);
}
