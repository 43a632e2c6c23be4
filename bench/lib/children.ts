import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'children');

export interface Children {
  /** `flood COUNT`: prints `line 1` … `line COUNT`, one write(2) per 64 KiB. */
  flood: string;
  /** `burst LINE_BYTES RANDOM_BYTES SEED`: one unterminated line of `a`, then xorshift32 noise. */
  burst: string;
}

/**
 * Compiles the bench's children with `cc -O2` into `dir`. They are C so that
 * the child is never the bottleneck: `flood 1000000` takes about 0.1 s alone.
 */
export function compileChildren(dir: string): Children {
  const build = (name: string) => {
    const out = path.join(dir, name);
    try {
      execFileSync('cc', ['-O2', '-o', out, path.join(SOURCES, `${name}.c`)], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      throw new Error(`bench: cannot compile bench/children/${name}.c with cc (is a C compiler installed?): ${(error as Error).message}`);
    }
    fs.chmodSync(out, 0o755);
    return out;
  };
  return { flood: build('flood'), burst: build('burst') };
}
