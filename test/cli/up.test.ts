import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CallosumServer } from '../../src/callosum/server.js';
import { alive, fixture, logTexts, scratchDir, until } from '../helpers.js';
import { runBin, startBin, stopBin, type BinProcess } from './bin.js';

const test = suite('cli: brainstem up');

const LINE = /^\d\d:\d\d:\d\d /;
let running: BinProcess | undefined;
test.after.each(async () => {
  if (running) await stopBin(running);
  running = undefined;
});

function write(dir: string, files: Record<string, string | object>): void {
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
}

/** The `start NAME PID` / `stop NAME` records the fixture appended, in order. */
function records(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
}

function recordedPids(file: string): number[] {
  return records(file).flatMap((line) => (line.startsWith('start ') ? [Number(line.split(' ')[2])] : []));
}

/** Whether `pid` still runs: a zombie waiting for init to reap it does not. */
function runs(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Output lines without their `HH:MM:SS ` time. */
function untimed(stdout: string): string[] {
  return stdout.split('\n').filter((line) => LINE.test(line)).map((line) => line.replace(LINE, ''));
}

test('brainstem.json with .env: dependency order visible in the output, prefixed lines, reverse-order stop on SIGTERM, exit 0, nothing left', async () => {
  const dir = scratchDir('up');
  const file = path.join(dir, 'order.txt');
  const serve = fixture('records_start_and_stop.sh');
  write(dir, {
    '.env': 'export MODEL=local\nGREETING="hi there"\nSHARED=from-dotenv\n',
    'brainstem.json': {
      journal: 'var/journal',
      services: {
        cortex: { cmd: [serve, file, 'cortex'], after: ['observer'], ready: { line: 'cortex ready' } },
        observer: { cmd: [serve, file, 'observer'], ready: { regex: '^OBSERVER READY$', flags: 'i' } },
        env: { cmd: 'echo "model=$MODEL greeting=$GREETING shared=$SHARED"; exec sleep 600', env: { SHARED: 'own' }, after: ['cortex'] },
      },
    },
  });
  running = startBin(['up'], { cwd: dir });
  await running.waitFor('stdout', 'env       | model=local greeting=hi there shared=own');
  const lines = untimed(running.stdout);
  const at = (text: string) => {
    const index = lines.indexOf(text);
    assert.ok(index !== -1, `missing ${JSON.stringify(text)} in\n${lines.join('\n')}`);
    return index;
  };
  // Names padded to the longest ("brainstem"); stderr marked with "!".
  assert.ok(at('observer  | observer ready') < at('brainstem | observer is up (ready)'));
  assert.ok(at('brainstem | observer is up (ready)') < at('cortex    | cortex ready'));
  assert.ok(at('cortex    | cortex ready') < at('brainstem | cortex is up (ready)'));
  assert.ok(at('brainstem | cortex is up (ready)') < at('env       | model=local greeting=hi there shared=own'));
  at('observer  ! observer warns');
  at(`brainstem | 3 services from ${path.join(dir, 'brainstem.json')} (and ${path.join(dir, '.env')}); journal ${path.join(dir, 'var/journal')}`);
  at('brainstem | cortex waits for observer to be up');
  at(`brainstem | serving Callosum on ${path.join(dir, 'var/journal/health/callosum.sock')}`);
  assert.equal(records(file).map((line) => line.split(' ').slice(0, 2).join(' ')), ['start observer', 'start cortex']);

  running.child.kill('SIGTERM');
  const result = await running.done;
  assert.is(result.code, 0, result.stderr);
  // The dependent's process ended before its dependency was signalled.
  assert.equal(records(file).slice(2), ['stop cortex', 'stop observer']);
  const tail = untimed(result.stdout);
  assert.ok(tail.indexOf('brainstem | SIGTERM: stopping every service in reverse order (again to kill at once)') !== -1, result.stdout);
  assert.ok(tail.indexOf('brainstem | env stopping') < tail.indexOf('brainstem | cortex stopping'));
  assert.ok(tail.indexOf('brainstem | cortex stopping') < tail.indexOf('brainstem | observer stopping'));
  assert.is(tail.at(-1), 'brainstem | every service stopped');
  for (const pid of recordedPids(file)) await until(() => !runs(pid), `pid ${pid} to be gone`);
  // The journal named by the file, relative to it, holds every service's log.
  assert.equal(logTexts(path.join(dir, 'var/journal/health/cortex.log'), 'stdout'), ['cortex ready']);
  assert.equal(logTexts(path.join(dir, 'var/journal/health/env.log')), ['model=local greeting=hi there shared=own']);
  assert.not.ok(fs.existsSync(path.join(dir, 'var/journal/health/callosum.sock')), 'the Callosum server it started is gone');
});

test('a Procfile (the default when there is no brainstem.json) with its .env; SIGINT stops both, exit 0, --journal wins', async () => {
  const dir = scratchDir('up');
  const journal = path.join(dir, 'elsewhere');
  const file = path.join(dir, 'order.txt');
  write(dir, {
    Procfile: `# two services\nweb: ${fixture('records_start_and_stop.sh')} ${file} web\nworker: echo "worker sees $TOKEN"; exec ${fixture('records_start_and_stop.sh')} ${file} worker\n`,
    '.env': "TOKEN='a b $c'\n",
  });
  running = startBin(['up', '--journal', journal], { cwd: dir });
  await running.waitFor('stdout', /worker +\| worker ready/);
  await running.waitFor('stdout', /web +\| web ready/);
  assert.match(running.stdout, /^\d\d:\d\d:\d\d worker    \| worker sees a b \$c$/m);
  running.child.kill('SIGINT');
  const result = await running.done;
  assert.is(result.code, 0, result.stderr);
  // No `after` between them: they stop together, each recorded.
  assert.equal(records(file).filter((line) => line.startsWith('stop')).sort(), ['stop web', 'stop worker']);
  for (const pid of recordedPids(file)) await until(() => !runs(pid), `pid ${pid} to be gone`);
  assert.ok(fs.existsSync(path.join(journal, 'health', 'web.log')));
});

test('a second SIGINT kills at once: a service ignoring SIGTERM with a long grace is SIGKILLed, exit 130, nothing left', async () => {
  const dir = scratchDir('up');
  write(dir, { 'brainstem.json': { services: { stubborn: { cmd: [fixture('ignores_sigterm.sh')], terminateTimeout: 600000 } } } });
  running = startBin(['up', '--config', 'brainstem.json', '--journal', path.join(dir, 'journal')], { cwd: dir });
  await running.waitFor('stdout', 'stubborn  | ignoring SIGTERM');
  const pid = Number(/stubborn is up \(pid (\d+)\)/.exec(running.stdout)?.[1]);
  assert.ok(pid > 0, running.stdout);
  running.child.kill('SIGINT');
  await running.waitFor('stdout', 'brainstem | stubborn stopping');
  assert.ok(runs(pid), 'still running: it ignores SIGTERM');
  running.child.kill('SIGINT');
  const result = await running.done;
  assert.is(result.code, 130, result.stdout + result.stderr);
  assert.match(result.stdout, /brainstem \| SIGINT again: killing every process now/);
  await until(() => !runs(pid) && !alive(-pid), `stubborn's group ${pid} to be gone`);
});

test('a service that gives up leaves the others running; when every service has ended, up exits 1', async () => {
  const dir = scratchDir('up');
  const file = path.join(dir, 'order.txt');
  write(dir, {
    'brainstem.json': {
      services: {
        steady: { cmd: [fixture('records_start_and_stop.sh'), file, 'steady'] },
        flaky: { cmd: 'echo "flaky try"; exit 3', backoff: [50], maxRestarts: { count: 2, within: 60000 } },
      },
    },
  });
  running = startBin(['up', '--journal', path.join(dir, 'journal')], { cwd: dir });
  await running.waitFor('stdout', 'flaky gave up after 2 restarts in 60 s (the last run exited with code 3)');
  const lines = untimed(running.stdout);
  assert.equal(lines.filter((line) => line === 'flaky     | flaky try').length, 3, 'the first run and two restarts');
  assert.ok(lines.includes('brainstem | flaky exited with code 3, restarting in 0.05 s (restart 1)'), lines.join('\n'));
  assert.ok(lines.includes('brainstem | flaky exited with code 3, restarting in 0.05 s (restart 2)'), lines.join('\n'));
  const [steady] = recordedPids(file);
  assert.ok(runs(steady!), 'steady still runs');
  assert.is(running.child.exitCode, null, 'up still runs');
  running.child.kill('SIGTERM');
  assert.is((await running.done).code, 0);

  write(dir, {
    'brainstem.json': {
      services: {
        once: { cmd: 'echo done', restart: 'on-failure' },
        broken: { cmd: 'exit 1', restart: 'never', ready: { delay: 60000 } },
      },
    },
  });
  const result = await runBin(['up', '--journal', path.join(dir, 'journal')], { cwd: dir });
  assert.is(result.code, 1, result.stdout + result.stderr);
  const ended = untimed(result.stdout);
  assert.ok(ended.includes('brainstem | once exited with code 0; not restarted (restart: on-failure)'), ended.join('\n'));
  assert.ok(ended.includes('brainstem | broken exited with code 1 before it was up; not restarted (restart: never)'), ended.join('\n'));
  assert.is(ended.at(-1), 'brainstem | every service has ended; broken gave up: exiting with 1');
});

test('joins a Callosum server that answers on the journal, and leaves it running', async () => {
  const dir = scratchDir('up');
  const journal = path.join(dir, 'journal');
  fs.mkdirSync(journal, { mode: 0o700 });
  const server = new CallosumServer({ journal });
  await server.start();
  try {
    write(dir, { 'brainstem.json': { services: { once: { cmd: 'echo hello', restart: 'on-failure' } } } });
    const result = await runBin(['up', '--journal', journal], { cwd: dir });
    assert.is(result.code, 0, result.stderr);
    assert.match(result.stdout, `brainstem | joined the Callosum server on ${path.join(journal, 'health', 'callosum.sock')}`);
    assert.match(result.stdout, /once +\| hello/);
    assert.ok(server.listening);
    assert.ok(fs.existsSync(server.socketPath));
    assert.ok(server.stats().broadcast > 0, 'the run was published through it');
  } finally {
    await server.stop();
  }
});

test('a colour per service on a terminal, none with NO_COLOR or through a pipe', async () => {
  const dir = scratchDir('up');
  write(dir, { 'brainstem.json': { services: { alpha: { cmd: 'echo one', restart: 'on-failure' }, beta: { cmd: 'echo two >&2', restart: 'on-failure' } } } });
  const inTerminal = (env: Record<string, string>) =>
    new Promise<string>((resolve) => {
      // `script` gives the bin a pseudo-terminal, as a person's shell would.
      const child = spawn('script', ['-qec', `${process.execPath} ${path.join(process.cwd(), 'dist/cli/main.js')} up --journal ${path.join(dir, 'journal')}`, '/dev/null'], {
        cwd: dir,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      child.on('close', () => resolve(out));
    });
  const noColour = { ...process.env } as Record<string, string>;
  delete noColour.NO_COLOR;
  const coloured = await inTerminal({ NO_COLOR: '' });
  assert.match(coloured, /\x1b\[36m\d\d:\d\d:\d\d alpha +\x1b\[0m \x1b\[36m\|\x1b\[0m one/);
  assert.match(coloured, /\x1b\[33m\d\d:\d\d:\d\d beta +\x1b\[0m \x1b\[31m!\x1b\[0m two/);
  const plain = await inTerminal({ NO_COLOR: '1' });
  assert.not.match(plain, /\x1b\[/);
  assert.match(plain, /\d\d:\d\d:\d\d alpha +\| one/);
  const piped = await runBin(['up', '--journal', path.join(dir, 'journal')], { cwd: dir, env: { NO_COLOR: undefined } });
  assert.not.match(piped.stdout, /\x1b\[/);
});

test("brainstem's own lines escape control characters; a service's own text passes through", async () => {
  const dir = scratchDir('up');
  // A command that cannot start: its error (with the name in it) is brainstem's to print.
  write(dir, { 'brainstem.json': { services: { raw: { cmd: "printf 'bell\\007 esc\\033[2J\\n'", restart: 'never' }, missing: { cmd: ['no-such-tool-\u001b[31mred'], restart: 'never' } } } });
  const result = await runBin(['up', '--journal', path.join(dir, 'journal')], { cwd: dir });
  assert.is(result.code, 1, result.stderr);
  assert.ok(result.stdout.includes('raw       | bell\x07 esc\x1b[2J\n'), JSON.stringify(result.stdout));
  const own = result.stdout.split('\n').filter((line) => line.includes(' brainstem | '));
  assert.ok(own.some((line) => line.includes('missing could not start') && line.includes('no-such-tool-\\x1b[31mred')), own.join('\n'));
  for (const line of own) assert.not.match(line, /[\x00-\x08\x0b-\x1f\x7f]/);
});

test('every config error at once, exit 2, nothing started, nothing written', async () => {
  const dir = scratchDir('up');
  const journal = path.join(dir, 'journal');
  const cases: [string, string, string[]][] = [
    ['brainstem.json', JSON.stringify({ services: { cortex: { cmd: ['cortex'], after: ['obsever'], colour: 'red' }, observer: { cmd: 42 } } }), [
      'brainstem.json: services.cortex.colour: unknown key; expected "cmd", "env", "cwd", "restart", "backoff", "resetAfter", "maxRestarts", "tempfail", "ready", "readyTimeout", "after", "terminateTimeout"',
      'brainstem.json: services.observer.cmd: must be an array of strings or a shell line, got 42',
      'brainstem.json: services.cortex.after[0]: no service named "obsever" (did you mean "observer"?)',
      '3 problems; nothing was started',
    ]],
    ['cycle.json', JSON.stringify({ services: { a: { cmd: 'touch started-a', after: ['b'] }, b: { cmd: 'touch started-b', after: ['a'] } } }), [
      'cycle.json: services.a.after: a cycle: a → b → a (each waits for the next to be up)',
      '1 problem; nothing was started',
    ]],
    ['broken.json', '{\n  "services": {\n    "a": { "cmd": "touch started" },\n  }\n}\n', [
      "broken.json:4:3: invalid JSON: Expected double-quoted property name (line 4, column 3)",
      '1 problem; nothing was started',
    ]],
    ['Procfile.empty', '# nothing here yet\n', ['Procfile.empty: no services: the Procfile is empty (write one "name: command" line per service)', '1 problem; nothing was started']],
  ];
  for (const [name, content, expected] of cases) {
    write(dir, { [name]: content });
    // FORCE_COLOR (set by some test runners) next to NO_COLOR makes node warn on stderr.
    const result = await runBin(['up', '--config', name, '--journal', journal], { cwd: dir, env: { FORCE_COLOR: undefined } });
    assert.is(result.code, 2, `${name}: ${result.stderr}`);
    assert.is(result.stdout, '');
    assert.equal(result.stderr.trim().split('\n'), expected.map((line) => `brainstem up: ${line.includes(': ') && !line.startsWith('1 ') && !line.startsWith('3 ') ? path.join(dir, line) : line}`), name);
    assert.not.ok(fs.existsSync(journal), 'the journal was not even created');
    assert.equal(fs.readdirSync(dir).filter((file) => file.startsWith('started')), [], 'nothing ran');
  }
  const none = await runBin(['up', '--journal', journal], { cwd: scratchDir('up') });
  assert.is(none.code, 2);
  assert.match(none.stderr, /no brainstem.json or Procfile here \(write one, or pass --config FILE\)/);
  const usage = await runBin(['up', '--port', '80'], { cwd: dir });
  assert.is(usage.code, 2);
  assert.match(usage.stderr, /--port is the inspector's: give --inspect too/);
});

test('--inspect serves the inspector in the same process and prints its URL', async () => {
  const dir = scratchDir('up');
  write(dir, { Procfile: `svc: ${fixture('records_start_and_stop.sh')} ${path.join(dir, 'order.txt')} svc\n` });
  running = startBin(['up', '--inspect', '--journal', path.join(dir, 'journal')], { cwd: dir });
  const out = await running.waitFor('stdout', /brainstem \| inspector: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/);
  const url = /inspector: (\S+)/.exec(out)![1]!;
  const page = await fetch(url);
  assert.is(page.status, 200);
  assert.match(await page.text(), /<html/i);
  running.child.kill('SIGTERM');
  assert.is((await running.done).code, 0);
});

test.run();
