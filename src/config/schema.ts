/**
 * brainstem.json, written once: these TypeBox types are the TypeScript type
 * of a parsed file, the JSON Schema shipped as schema/brainstem.schema.json
 * (editors complete and check a file through its "$schema"), and what the
 * validator checks against. The checks a schema cannot state (an `after` that
 * names no service, a cycle, a regex that does not compile, a cwd that is
 * not a directory) are in validate.ts.
 */
import { Type, type Static } from '@sinclair/typebox';

/** Section 2's name rule, shared by refs, process names and services. */
export const SERVICE_NAME_PATTERN = '^[A-Za-z0-9_-][A-Za-z0-9._-]*$';

const Ms = (description: string) => Type.Integer({ minimum: 0, description: `${description} (milliseconds)` });

const Cmd = Type.Union(
  [
    Type.Array(Type.String(), { minItems: 1, description: 'the program and its arguments, run as they are' }),
    Type.String({ minLength: 1, pattern: '\\S', description: 'a shell line, run by sh -c' }),
  ],
  { title: 'an array of strings or a shell line', description: 'the command: an array of strings (program and arguments), or a shell line run by sh -c' },
);

const Ready = Type.Union(
  [
    Type.Object({ line: Type.String({ minLength: 1, description: 'up once a line on stdout or stderr contains this text' }) }, { additionalProperties: false }),
    Type.Object(
      {
        regex: Type.String({ minLength: 1, description: 'up once a line on stdout or stderr matches this regular expression' }),
        flags: Type.Optional(Type.String({ pattern: '^[dimsuv]*$', description: 'regular expression flags, e.g. "i"' })),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        port: Type.Integer({ minimum: 1, maximum: 65535, description: 'up once a TCP connect to this port succeeds' }),
        host: Type.Optional(Type.String({ minLength: 1, description: 'the host to connect to (default 127.0.0.1)' })),
      },
      { additionalProperties: false },
    ),
    Type.Object({ socket: Type.String({ minLength: 1, description: 'up once a connect to this Unix socket succeeds (relative to the file)' }) }, { additionalProperties: false }),
    Type.Object({ delay: Ms('up once still running after this long') }, { additionalProperties: false }),
  ],
  {
    title: '{ "line" } | { "regex", "flags"? } | { "port", "host"? } | { "socket" } | { "delay" }',
    description: 'when the service counts as up: { "line" } | { "regex", "flags"? } | { "port", "host"? } | { "socket" } | { "delay" }; none: up once running',
  },
);

export const ServiceSchema = Type.Object(
  {
    cmd: Cmd,
    env: Type.Optional(
      Type.Record(Type.String({ pattern: '^[^=\\u0000]+$' }), Type.String(), {
        additionalProperties: false,
        description: "variables added to the service's environment (over the inherited one and the .env file)",
      }),
    ),
    cwd: Type.Optional(Type.String({ minLength: 1, description: 'working directory, relative to this file' })),
    restart: Type.Optional(
      Type.Union([Type.Literal('always'), Type.Literal('on-failure'), Type.Literal('never')], {
        description: 'when an ended process is started again: "always" (default), "on-failure" (a non-zero exit or a signal), "never"',
      }),
    ),
    backoff: Type.Optional(
      Type.Array(Ms('a delay'), { minItems: 1, description: 'delays in ms before each consecutive restart, the last repeated (default [0, 1000, 5000])' }),
    ),
    resetAfter: Type.Optional(Ms('time up after which the backoff schedule starts over (default 60000)')),
    maxRestarts: Type.Optional(
      Type.Object(
        {
          count: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'restarts allowed within `within`; null: never give up' }),
          within: Type.Optional(Ms('the window (default 60000)')),
        },
        { additionalProperties: false, description: 'give up (state failed) after more than `count` restarts within `within` ms (default { count: 5, within: 60000 })' },
      ),
    ),
    tempfail: Type.Optional(
      Type.Object(
        {
          code: Type.Integer({ minimum: 1, maximum: 255, description: 'the exit code meaning "prerequisites not ready" (EX_TEMPFAIL is 75)' }),
          delay: Ms('wait before starting again'),
        },
        { additionalProperties: false, description: 'an exit with `code` waits `delay` and neither advances the backoff nor counts as a restart (default { code: 75, delay: 15000 })' },
      ),
    ),
    ready: Type.Optional(Ready),
    readyTimeout: Type.Optional(Ms('not ready by then, the process is terminated (default 30000)')),
    after: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true, description: 'services that must be up before this one first starts' }),
    ),
    terminateTimeout: Type.Optional(Ms('from SIGTERM to SIGKILL when stopped (default 15000)')),
  },
  { additionalProperties: false, description: 'one supervised service' },
);

export const ConfigSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'this JSON Schema, for editors: "./node_modules/brainstem/schema/brainstem.schema.json"' })),
    journal: Type.Optional(Type.String({ minLength: 1, description: 'journal root, relative to this file (default: --journal, else $JOURNAL_PATH, else ./journal)' })),
    services: Type.Record(Type.String({ pattern: SERVICE_NAME_PATTERN }), ServiceSchema, {
      additionalProperties: false,
      minProperties: 1,
      description: 'the services `brainstem up` runs, by name',
    }),
  },
  { additionalProperties: false, title: 'brainstem.json', description: 'The services `brainstem up` supervises.' },
);

export type ConfigFile = Static<typeof ConfigSchema>;
export type ServiceEntry = Static<typeof ServiceSchema>;

/** The JSON Schema document shipped as schema/brainstem.schema.json: the same schema, without TypeBox's own markers. */
export function jsonSchema(): object {
  // TypeBox marks its schemas with symbols, which JSON leaves out.
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...(JSON.parse(JSON.stringify(ConfigSchema)) as object) };
}
