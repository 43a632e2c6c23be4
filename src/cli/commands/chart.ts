import type { AnyStateMachine } from 'xstate';
import { CHART_FORMATS, renderChart, type ChartFormat } from '../../machines/chart/render.js';
import { processMachine } from '../../machines/process.js';
import { serviceMachine } from '../../machines/service.js';
import { COMMON_USAGE, parseCommand, UsageError, type Command } from '../command.js';

/** The machines a chart can be drawn of, by the name `--machine` takes. */
const MACHINES: Record<string, AnyStateMachine> = { process: processMachine, service: serviceMachine };

const usage = `Usage: brainstem chart [--machine process|service] [--format mermaid|dot|json]

Prints the lifecycle state chart of every child process (or, with --machine
service, of every supervised service), generated from brainstem's own
machine (so it is never out of date).

Options:
  --machine M     process (default) or service
  --format F      mermaid (default), dot (Graphviz) or json (the machine's definition)
${COMMON_USAGE}`;

export const chart: Command = {
  name: 'chart',
  summary: 'print the process (or service) lifecycle state chart (mermaid, dot or json)',
  usage,
  async run(argv, io) {
    const { values } = parseCommand(argv, { usage, options: { format: { type: 'string', short: 'f' }, machine: { type: 'string', short: 'm' } }, positionals: { max: 0 } }, io);
    const format = values.format ?? 'mermaid';
    if (!(CHART_FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`--format must be one of ${CHART_FORMATS.join(', ')}, got ${JSON.stringify(format)}`, usage);
    }
    const name = values.machine ?? 'process';
    const machine = Object.hasOwn(MACHINES, name) ? MACHINES[name] : undefined;
    if (!machine) throw new UsageError(`--machine must be one of ${Object.keys(MACHINES).join(', ')}, got ${JSON.stringify(name)}`, usage);
    io.stdout.write(renderChart(machine, format as ChartFormat));
    return 0;
  },
};
