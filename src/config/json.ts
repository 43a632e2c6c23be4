/** JSON.parse with the line and column of what is wrong (Node 20 gives a position for some errors only). */
import type { ConfigProblem } from '../errors.js';

export function parseJson(text: string): { value: unknown } | { problem: ConfigProblem } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    const message = (error as Error).message;
    const offset = errorOffset(text);
    const { line, column } = lineAndColumn(text, offset);
    const reason = message.replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+$/, '');
    return { problem: { line, column, message: `invalid JSON: ${reason} (line ${line}, column ${column})` } };
  }
}

/**
 * Where parsing first fails: the shortest prefix whose error is not "the text
 * ended too soon" ends just past it. Every shorter prefix only ends too soon,
 * so a binary search finds it.
 */
function errorOffset(text: string): number {
  const fails = (length: number): boolean => {
    try {
      JSON.parse(text.slice(0, length));
      return false;
    } catch (error) {
      const message = (error as Error).message;
      if (message.startsWith('Unexpected end of JSON input')) return false;
      const at = /at position (\d+)/.exec(message);
      return !at || Number(at[1]) < length;
    }
  };
  if (!fails(text.length)) return text.length;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (fails(middle)) high = middle;
    else low = middle + 1;
  }
  return Math.max(0, low - 1);
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}
