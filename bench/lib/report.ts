/** One line of the bench table: a brainstem figure, the same-run baseline it is compared with, and its goal. */
export interface Row {
  /** Which scenario (1–6 of issue #6). */
  bench: string;
  metric: string;
  unit: string;
  /** Median over the repetitions. */
  brainstem: number;
  /** The same figure for the baseline, measured in the same run; null when the figure is a count or a check. */
  baseline: number | null;
  /** What the baseline is. */
  baselineLabel: string;
  /** brainstem / baseline. */
  ratio: number | null;
  goal: string;
  met: boolean;
  /** Every repetition, for the JSON. */
  samples?: number[];
  baselineSamples?: number[];
}

export interface Report {
  machine: { cores: number; cpu: string; node: string; platform: string; loadBefore: number[]; loadAfter: number[] };
  command: string;
  repetitions: number;
  startedAt: string;
  seconds: number;
  rows: Row[];
}

const round = (value: number) => {
  const abs = Math.abs(value);
  if (abs >= 100_000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
};

/** The table as Markdown, for the terminal and the README alike. */
export function formatTable(rows: readonly Row[]): string {
  const head = ['#', 'measure', 'brainstem', 'baseline (same run)', 'ratio', 'goal', 'met'];
  const body = rows.map((row) => [
    row.bench,
    row.metric,
    `${round(row.brainstem)} ${row.unit}`,
    row.baseline === null ? row.baselineLabel : `${round(row.baseline)} ${row.unit} (${row.baselineLabel})`,
    row.ratio === null ? '–' : `${row.ratio.toFixed(2)}x`,
    row.goal,
    row.met ? 'yes' : '**no**',
  ]);
  const widths = head.map((cell, i) => Math.max(cell.length, ...body.map((line) => line[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
