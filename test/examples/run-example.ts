/** Runs an example as a user would, a real child process, with its journal in a temp dir. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ExampleResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `command` defaults to `node --import tsx examples/<name>.ts`; the child is killed if it outlives `limitMs`. */
export function runExample(name: string, journal: string, command: string[] = [process.execPath, '--import', 'tsx', `examples/${name}.ts`], limitMs = 60_000): Promise<ExampleResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { cwd: ROOT, env: { ...process.env, JOURNAL_PATH: journal }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // A safety net against a hung example, not a timing assertion.
    const limit = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(limit);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every `pid N` an example printed. */
export function printedPids(output: string): number[] {
  return [...output.matchAll(/pid (\d+)/g)].map((match) => Number(match[1]));
}
