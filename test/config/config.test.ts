import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { findConfig, loadConfig } from '../../src/config/load.js';
import { schemaText } from '../../src/config/write-schema.js';
import { scratchDir } from '../helpers.js';
import { ROOT } from '../cli/bin.js';

const test = suite('config: brainstem.json, Procfile and .env');

function write(dir: string, files: Record<string, string | object>): void {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
}

/** The ConfigError's lines, with the directory taken out. */
function problems(file: string): string[] {
  try {
    loadConfig(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message.split('\n').map((line) => line.replaceAll(path.dirname(file), '<dir>'));
  }
  throw new Error(`${file} was accepted`);
}

test('a full brainstem.json becomes Supervisor options: paths against the file, .env under the service env, null count as Infinity, regex as a RegExp', () => {
  const dir = scratchDir('config');
  write(dir, {
    'work/.keep': '',
    '.env': '# shared\nexport MODEL=local\nGREETING="hello\\nworld"\nQUOTED=\'$HOME stays\'\nPLAIN = spaced value\n\nCORTEX_MODE=loud\n',
    'brainstem.json': {
      $schema: './node_modules/brainstem/schema/brainstem.schema.json',
      journal: 'var/journal',
      services: {
        observer: { cmd: ['observer', '-v'], ready: { regex: '^watch', flags: 'i' }, cwd: 'work', maxRestarts: { count: null } },
        cortex: {
          cmd: 'cortex --model "$MODEL"',
          env: { CORTEX_MODE: 'quiet' },
          after: ['observer'],
          restart: 'on-failure',
          backoff: [100, 200],
          resetAfter: 5000,
          maxRestarts: { count: 2, within: 1000 },
          tempfail: { code: 75, delay: 300 },
          ready: { socket: 'run/cortex.sock' },
          readyTimeout: 2000,
          terminateTimeout: 500,
        },
        web: { cmd: ['web'], ready: { port: 8080, host: 'localhost' } },
        slow: { cmd: ['slow'], ready: { delay: 10 } },
        plain: { cmd: ['plain'], ready: { line: 'ok' } },
      },
    },
  });
  const config = loadConfig(path.join(dir, 'brainstem.json'));
  assert.is(config.file, path.join(dir, 'brainstem.json'));
  assert.is(config.journal, path.join(dir, 'var/journal'));
  assert.is(config.envFile, path.join(dir, '.env'));
  assert.equal(config.services.map((service) => service.name), ['observer', 'cortex', 'web', 'slow', 'plain']);
  const [observer, cortex, web, slow, plain] = config.services;
  const dotenv = { MODEL: 'local', GREETING: 'hello\nworld', QUOTED: '$HOME stays', PLAIN: 'spaced value', CORTEX_MODE: 'loud' };
  assert.equal(observer!.cmd, ['observer', '-v']);
  assert.equal(observer!.options.env, dotenv);
  assert.is(observer!.options.cwd, path.join(dir, 'work'));
  assert.equal(observer!.options.maxRestarts, { count: Infinity, within: 60_000 });
  const ready = observer!.options.ready as { line: RegExp };
  assert.instance(ready.line, RegExp);
  assert.ok(ready.line.test('WATCHING now'));
  assert.equal(cortex!.cmd, ['sh', '-c', 'cortex --model "$MODEL"']);
  assert.equal(cortex!.options, {
    env: { ...dotenv, CORTEX_MODE: 'quiet' },
    after: ['observer'],
    restart: 'on-failure',
    backoff: [100, 200],
    resetAfter: 5000,
    maxRestarts: { count: 2, within: 1000 },
    tempfail: { code: 75, delay: 300 },
    ready: { socket: path.join(dir, 'run/cortex.sock') },
    readyTimeout: 2000,
    terminateTimeout: 500,
  });
  assert.equal(web!.options.ready, { port: 8080, host: 'localhost' });
  assert.equal(slow!.options.ready, { delay: 10 });
  assert.equal(plain!.options.ready, { line: 'ok' });
});

test('every problem of a brainstem.json at once, each with the file and the key path', () => {
  const dir = scratchDir('config');
  write(dir, {
    'brainstem.json': {
      jurnal: 'x',
      services: {
        cortex: { cmd: ['cortex'], after: ['obsever'], restart: 'sometimes', colour: 'red' },
        observer: { cmd: 42, ready: { port: 'http' }, maxRestarts: { count: -1 } },
        indexer: { cmd: '  ', after: ['indexer'], env: { DEPTH: 3 }, cwd: 'nowhere', ready: { regex: '(' } },
        a: { cmd: ['a'], after: ['b'] },
        b: { cmd: ['b'], after: ['a'] },
        'bad name': { cmd: ['x'] },
      },
    },
  });
  assert.equal(problems(path.join(dir, 'brainstem.json')), [
    '<dir>/brainstem.json: jurnal: unknown key (did you mean "journal"?); expected "$schema", "journal", "services"',
    '<dir>/brainstem.json: services.cortex.colour: unknown key; expected "cmd", "env", "cwd", "restart", "backoff", "resetAfter", "maxRestarts", "tempfail", "ready", "readyTimeout", "after", "terminateTimeout"',
    '<dir>/brainstem.json: services.cortex.restart: must be one of "always", "on-failure", "never", got "sometimes"',
    '<dir>/brainstem.json: services.observer.cmd: must be an array of strings or a shell line, got 42',
    '<dir>/brainstem.json: services.observer.maxRestarts.count: must be a whole number ≥ 0 or null, got -1',
    '<dir>/brainstem.json: services.observer.ready.port: must be a whole number from 1 to 65535, got "http"',
    '<dir>/brainstem.json: services.indexer.cmd: must not be blank',
    '<dir>/brainstem.json: services.indexer.env.DEPTH: must be a string, got 3',
    '<dir>/brainstem.json: services["bad name"]: not a valid service name (letters, digits, ".", "_" and "-", not starting with ".")',
    '<dir>/brainstem.json: services.cortex.after[0]: no service named "obsever" (did you mean "observer"?)',
    '<dir>/brainstem.json: services.indexer.after[0]: a service cannot wait for itself',
    '<dir>/brainstem.json: services.indexer.ready.regex: not a valid regular expression: Invalid regular expression: /(/: Unterminated group',
    '<dir>/brainstem.json: services.indexer.cwd: no directory <dir>/nowhere',
    '<dir>/brainstem.json: services.a.after: a cycle: a → b → a (each waits for the next to be up)',
  ]);
});

test('a longer cycle is named once, whichever service it is entered from', () => {
  const dir = scratchDir('config');
  write(dir, { 'brainstem.json': { services: { x: { cmd: ['x'] }, c: { cmd: ['c'], after: ['a'] }, a: { cmd: ['a'], after: ['b', 'x'] }, b: { cmd: ['b'], after: ['c'] } } } });
  assert.equal(problems(path.join(dir, 'brainstem.json')), ['<dir>/brainstem.json: services.c.after: a cycle: c → a → b → c (each waits for the next to be up)']);
});

test('wrong shapes: not an object, no services, a missing cmd, a ready of two kinds, a union value fitting no form', () => {
  const dir = scratchDir('config');
  const cases: [unknown, string[]][] = [
    [[], ['<dir>/c.json: must hold a JSON object with "services", got []']],
    [{}, ['<dir>/c.json: services: missing: an object of services by name']],
    [{ services: {} }, ['<dir>/c.json: services: no services: add at least one']],
    [{ services: { a: {} } }, ['<dir>/c.json: services.a.cmd: missing: an array of strings or a shell line']],
    [{ services: { a: { cmd: ['a', 1], ready: { line: 'x', delay: 5 } } } }, [
      '<dir>/c.json: services.a.cmd[1]: must be a string, got 1',
      '<dir>/c.json: services.a.ready: must be { "line" } | { "regex", "flags"? } | { "port", "host"? } | { "socket" } | { "delay" }, got {"line":"x","delay":5}',
    ]],
    [{ services: { a: { cmd: [], backoff: [], after: ['a', 'a'], ready: { regex: 'x', flags: 'gq' }, tempfail: { code: 0 } } } }, [
      '<dir>/c.json: services.a.cmd: must not be empty',
      '<dir>/c.json: services.a.backoff: must not be empty',
      '<dir>/c.json: services.a.tempfail.delay: missing: a whole number ≥ 0',
      '<dir>/c.json: services.a.tempfail.code: must be a whole number from 1 to 255, got 0',
      '<dir>/c.json: services.a.ready.flags: must be regular expression flags among "dimsuv", got "gq"',
      '<dir>/c.json: services.a.after: lists a name twice',
      '<dir>/c.json: services.a.after[0]: a service cannot wait for itself',
      '<dir>/c.json: services.a.after[1]: a service cannot wait for itself',
    ]],
  ];
  for (const [content, expected] of cases) {
    write(dir, { 'c.json': content as object });
    assert.equal(problems(path.join(dir, 'c.json')), expected, JSON.stringify(content));
  }
});

test('invalid JSON is reported with its line and column, also where Node gives no position', () => {
  const dir = scratchDir('config');
  const cases: [string, string][] = [
    ['{\n  "services": {\n    "a": { "cmd": ["a"] }\n    "b": {}\n  }\n}\n', '<dir>/c.json:4:5: invalid JSON: Expected \',\' or \'}\' after property value (line 4, column 5)'],
    ['{\n  "services": { "a": { "cmd": x } }\n}', '<dir>/c.json:2:31: invalid JSON: Unexpected token \'x\' (line 2, column 31)'],
    ['{\n  "services": {', '<dir>/c.json:2:16: invalid JSON: Expected property name or \'}\' (line 2, column 16)'],
    ['', '<dir>/c.json:1:1: invalid JSON: Unexpected end of JSON input (line 1, column 1)'],
  ];
  for (const [text, expected] of cases) {
    write(dir, { 'c.json': text });
    assert.equal(problems(path.join(dir, 'c.json')), [expected], text);
  }
});

test('a Procfile: name: command lines run by sh -c, comments and blank lines skipped, .env added', () => {
  const dir = scratchDir('config');
  write(dir, { Procfile: '# the agent\nobserver: observer -v\n\n  cortex:cortex --model "$MODEL" # not a comment for sh\nweb.v2: exec web\r\n', '.env': 'MODEL=local\n' });
  const config = loadConfig(path.join(dir, 'Procfile'));
  assert.is(config.journal, undefined);
  assert.equal(
    config.services.map(({ name, cmd, options }) => [name, cmd, options]),
    [
      ['observer', ['sh', '-c', 'observer -v'], { env: { MODEL: 'local' } }],
      ['cortex', ['sh', '-c', 'cortex --model "$MODEL" # not a comment for sh'], { env: { MODEL: 'local' } }],
      ['web.v2', ['sh', '-c', 'exec web'], { env: { MODEL: 'local' } }],
    ],
  );
});

test('Procfile problems with their line numbers; an empty Procfile is an error; .env problems name the .env', () => {
  const dir = scratchDir('config');
  write(dir, { Procfile: '# nothing yet\n\n   \n# still nothing\n' });
  assert.equal(problems(path.join(dir, 'Procfile')), ['<dir>/Procfile: no services: the Procfile is empty (write one "name: command" line per service)']);
  write(dir, { Procfile: '' });
  assert.equal(problems(path.join(dir, 'Procfile')), ['<dir>/Procfile: no services: the Procfile is empty (write one "name: command" line per service)']);
  write(dir, { Procfile: 'web: serve\njust a line\n.hidden: x\nworker:\nweb: again\n', '.env': 'OK=1\nexport\nNAME="unclosed\n=value\n' });
  assert.equal(problems(path.join(dir, 'Procfile')), [
    '<dir>/Procfile:2: expected "name: command", got "just a line"',
    '<dir>/Procfile:3: ".hidden" is not a valid service name (letters, digits, ".", "_" and "-", not starting with ".")',
    '<dir>/Procfile:4: worker has no command',
    '<dir>/Procfile:5: web is defined twice (first on line 1)',
    '<dir>/.env:2: expected KEY=VALUE, got "export"',
    '<dir>/.env:3: NAME: the value\'s quote is not closed',
    '<dir>/.env:4: expected KEY=VALUE, got "=value"',
  ]);
});

test('the default file is brainstem.json, else a Procfile; neither is an error; a missing --config file is an error', () => {
  const dir = scratchDir('config');
  assert.throws(() => findConfig(dir), (error: unknown) => error instanceof ConfigError && error.message === `${dir}: no brainstem.json or Procfile here (write one, or pass --config FILE)`);
  write(dir, { Procfile: 'a: true\n' });
  assert.is(findConfig(dir), path.join(dir, 'Procfile'));
  write(dir, { 'brainstem.json': { services: { a: { cmd: ['true'] } } } });
  assert.is(findConfig(dir), path.join(dir, 'brainstem.json'));
  assert.is(findConfig(dir, 'other/Procfile.dev'), path.join(dir, 'other/Procfile.dev'));
  assert.equal(problems(path.join(dir, 'missing.json')), ['<dir>/missing.json: no such file']);
});

test('schema/brainstem.schema.json is generated from the same TypeBox schema the validator uses', () => {
  const shipped = fs.readFileSync(path.join(ROOT, 'schema/brainstem.schema.json'), 'utf8');
  // When this fails, the schema changed: run `npm run schema` and commit the file.
  assert.fixture(shipped, schemaText());
  const schema = JSON.parse(shipped) as { $schema: string; properties: { services: { patternProperties: Record<string, { properties: Record<string, unknown>; additionalProperties: boolean }> } } };
  assert.is(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  const service = Object.values(schema.properties.services.patternProperties)[0]!;
  assert.is(service.additionalProperties, false);
  assert.equal(Object.keys(service.properties).sort(), ['after', 'backoff', 'cmd', 'cwd', 'env', 'maxRestarts', 'ready', 'readyTimeout', 'resetAfter', 'restart', 'tempfail', 'terminateTimeout']);
});

test.run();
