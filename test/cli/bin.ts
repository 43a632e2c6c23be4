/** Drives the built `brainstem` bin (dist/cli/main.js) as a real child process. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../helpers.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'dist/cli/main.js');

export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running bin whose output is collected as it comes. */
export interface BinProcess {
  child: ChildProcessWithoutNullStreams;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when the bin has exited and its pipes are drained. */
  done: Promise<BinResult>;
  /** Polls until `stdout`/`stderr` matches. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp | string, what?: string): Promise<string>;
}

export function startBin(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): BinProcess {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const child = spawn(process.execPath, [BIN, ...args], { env, cwd: options.cwd ?? ROOT, stdio: 'pipe' });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<BinResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done,
    async waitFor(stream, pattern, what) {
      const matches = () => {
        const text = stream === 'stdout' ? stdout : stderr;
        return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
      };
      await until(() => matches() || child.exitCode !== null, what ?? `${stream} to show ${String(pattern)}`, 20_000);
      if (!matches()) throw new Error(`bin exited (${child.exitCode}) before ${stream} showed ${String(pattern)}\nstdout: ${stdout}\nstderr: ${stderr}`);
      return stream === 'stdout' ? stdout : stderr;
    },
  };
}

/** Runs the bin to its end. */
export function runBin(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<BinResult> {
  return startBin(args, options).done;
}

/** Stops a bin a test left running (a failed assertion), so nothing outlives the test. */
export async function stopBin(bin: BinProcess): Promise<void> {
  if (bin.child.exitCode === null && bin.child.signalCode === null) {
    bin.child.kill('SIGKILL');
    await bin.done;
  }
}
