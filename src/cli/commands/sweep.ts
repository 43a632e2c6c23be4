import { sweepOrphans } from '../../eventlog/sweep.js';
import { COMMON_USAGE, parseCommand, parseMs, type Command } from '../command.js';
import { escapeControls } from '../escape.js';

const usage = `Usage: brainstem sweep [--grace MS]

Ends what dead runtimes left behind, as the journal's event log (yesterday's
and today's) tells it: a process recorded as not ended whose runtime is gone,
and which still runs with the recorded kernel start time, as you. Its process
group gets SIGTERM, then SIGKILL after the grace. A reused pid, another
user's process and a live runtime's children are never touched. Each ended
process is recorded in today's log as killed, with "swept": true.

Options:
  --grace MS      ms from SIGTERM to SIGKILL (default 5000)
${COMMON_USAGE}`;

export const sweep: Command = {
  name: 'sweep',
  summary: 'end the processes that dead runtimes left behind (from the event log)',
  usage,
  async run(argv, io) {
    const { values, journal } = parseCommand(argv, { usage, options: { grace: { type: 'string' } }, positionals: { max: 0 } }, io);
    const grace = parseMs('--grace', values.grace, usage);
    const swept = await sweepOrphans({ journal, grace });
    for (const { ref, name, pid, pgid } of swept) io.stdout.write(escapeControls(`ended ${name} (ref ${ref}, pid ${pid}, process group ${pgid})`) + '\n');
    io.stdout.write(swept.length === 0 ? 'nothing to sweep: no process left behind by a dead runtime\n' : `swept ${swept.length} process group${swept.length === 1 ? '' : 's'}\n`);
    return 0;
  },
};
