import { processMachine } from '../../machines/process.js';
import { CHART_FORMATS, renderChart, type ChartFormat } from '../chart/render.js';
import { COMMON_USAGE, parseCommand, UsageError, type Command } from '../command.js';

const usage = `Usage: brainstem chart [--format mermaid|dot|json]

Prints the lifecycle state chart of every child process, generated from
brainstem's own process machine (so it is never out of date).

Options:
  --format F      mermaid (default), dot (Graphviz) or json (the machine's definition)
${COMMON_USAGE}`;

export const chart: Command = {
  name: 'chart',
  summary: 'print the process lifecycle state chart (mermaid, dot or json)',
  usage,
  async run(argv, io) {
    const { values } = parseCommand(argv, { usage, options: { format: { type: 'string', short: 'f' } }, positionals: { max: 0 } }, io);
    const format = values.format ?? 'mermaid';
    if (!(CHART_FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`--format must be one of ${CHART_FORMATS.join(', ')}, got ${JSON.stringify(format)}`, usage);
    }
    io.stdout.write(renderChart(processMachine, format as ChartFormat));
    return 0;
  },
};
