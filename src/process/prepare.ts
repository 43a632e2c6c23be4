import { getDefaultBus, type Bus } from '../bus/create-bus.js';
import type { CallosumConnection } from '../callosum/connection.js';
import { realClock, type Clock } from '../clock.js';
import type { JournalError } from '../errors.js';
import { DailyLog } from '../journal/daily-log.js';
import { deriveName, nextRef } from '../journal/names.js';
import { resolveJournal } from '../journal/paths.js';
import { DEFAULT_LINE_LIMIT } from '../lines/line-splitter.js';
import type { ProcessInput } from '../machines/process.js';
import { linkCallosum } from './callosum-link.js';
import { linkEventLog } from './event-log-link.js';
import { checkCmd, checkSpawnOptions, DEFAULT_DRAIN_TIMEOUT, DEFAULT_TERMINATE_TIMEOUT, type SpawnOptions } from './options.js';

/** Everything a process machine needs, with its log open and the runtime's links in place. */
export interface PreparedProcess {
  input: ProcessInput;
  ref: string;
  name: string;
  cmd: readonly string[];
  journal: string;
  bus: Bus;
  clock: Clock;
  log: DailyLog;
  callosum: CallosumConnection | undefined;
}

/**
 * Checks `cmd` and `opts`, opens the process's log and links the bus to
 * Callosum: the part of a spawn that comes before the machine. Shared by
 * `ManagedProcess.spawn` and the services a Supervisor runs, so both refuse
 * the same bad input and journal the same way. Throws `ValidationError` or
 * `JournalError` before anything is spawned.
 */
export function prepareProcess(cmd: readonly string[], opts: SpawnOptions = {}): PreparedProcess {
  const args = checkCmd(cmd);
  checkSpawnOptions(opts);
  const clock = opts.clock ?? realClock;
  const bus = opts.bus ?? getDefaultBus();
  const now = () => clock.now();
  const name = opts.name ?? deriveName(args);
  const journal = resolveJournal(opts.journal);
  const { ref, log } = openLog(journal, name, opts, now, bus);
  const callosum = linkCallosum(bus, journal, opts.callosum);
  linkEventLog(bus, journal, opts.eventLog);
  bus.emit('log', { ref, name, kind: 'opened', path: log.path });
  const input: ProcessInput = {
    ref,
    name,
    cmd: args,
    env: opts.env,
    cwd: opts.cwd,
    bus,
    log,
    now,
    startTime: now(),
    lineLimit: opts.lineLimit ?? DEFAULT_LINE_LIMIT,
    // A flood that outruns a live Callosum server is held back rather than shed.
    ...(callosum && { pace: () => callosum.backpressure() }),
    terminateTimeout: opts.terminateTimeout ?? DEFAULT_TERMINATE_TIMEOUT,
    drainTimeout: opts.drainTimeout ?? DEFAULT_DRAIN_TIMEOUT,
    ...(opts.endGroupOnExit && { endGroupOnExit: true }),
  };
  return { input, ref, name, cmd: args, journal, bus, clock, log, callosum };
}

/** Opens the process's log; a default ref whose file another process already took moves to the next free millisecond. */
function openLog(journal: string, name: string, opts: SpawnOptions, now: () => number, bus: Bus): { ref: string; log: DailyLog } {
  for (let ref = opts.ref ?? nextRef(now()); ; ref = nextRef(now())) {
    try {
      // A `<name>.log` link that would replace a regular file (another run's log) is a `log` error; this run still logs.
      const onLinkError = (error: JournalError) => bus.emit('log', { ref, name, kind: 'error', path: error.path, error: error.message });
      return { ref, log: new DailyLog({ journal, ref, name, day: opts.day, now, fresh: opts.ref === undefined, onLinkError }) };
    } catch (error) {
      if (opts.ref !== undefined || (error as JournalError).code !== 'EEXIST') throw error;
    }
  }
}
