import fs from 'node:fs';

/** What a log holds: its number of lines and the text of the last one (after the `] ` of its prefix). */
export function readLogSummary(file: string): { lines: number; last: string } {
  const data = fs.readFileSync(file);
  let lines = 0;
  for (let at = data.indexOf(10); at !== -1; at = data.indexOf(10, at + 1)) lines++;
  const end = data.length - 1;
  const start = data.lastIndexOf(10, end - 1) + 1;
  const text = data.toString('utf8', start, end);
  return { lines, last: text.slice(text.indexOf('] ') + 2) };
}

/** Throws unless `file` holds exactly `count` lines, the last being `line <count>`. */
export function verifyFloodLog(file: string, count: number): void {
  const { lines, last } = readLogSummary(file);
  if (lines !== count || last !== `line ${count}`) {
    throw new Error(`bench: incomplete log ${file}: ${lines} lines, last "${last.slice(0, 80)}"; expected ${count} lines ending "line ${count}"`);
  }
}
