/**
 * Every `brainstem` command, in the order `brainstem --help` lists them.
 * To add one: write `commands/<name>.ts` exporting a `Command` (see
 * ../command.ts), then import it here and add it to the list.
 */
import type { Command } from '../command.js';
import { callosum } from './callosum.js';
import { chart } from './chart.js';
import { logs } from './logs.js';
import { inspect } from './inspect.js';
import { run } from './run.js';
import { up } from './up.js';
import { restart } from './restart.js';
import { submit } from './submit.js';
import { ps } from './ps.js';
import { events } from './events.js';
import { sweep } from './sweep.js';

export const commands: readonly Command[] = [run, up, restart, submit, callosum, logs, chart, inspect, ps, events, sweep];
