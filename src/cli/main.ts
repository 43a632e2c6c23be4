#!/usr/bin/env node
import { main } from './cli.js';

// exitCode, not process.exit(): output still being written to a pipe gets flushed.
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
