/**
 * Checks a parsed brainstem.json against ConfigSchema (schema.ts) and then
 * what a schema cannot say: `after` naming a service that exists, no cycles,
 * regexes that compile, cwds that are directories. Every problem is found,
 * each named by its key path, so one run of `brainstem up` shows them all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import type { ConfigProblem } from '../errors.js';
import { ConfigSchema, type ConfigFile } from './schema.js';

/** Problems in `value` as a brainstem.json in directory `dir`; an empty list means it is a valid `ConfigFile`. */
export function validateConfig(value: unknown, dir: string): ConfigProblem[] {
  const errors = [...Value.Errors(ConfigSchema, value)];
  // A missing key is reported once, as missing, not also as the wrong type.
  const missing = new Set(errors.filter((error) => error.type === ValueErrorType.ObjectRequiredProperty).map((error) => error.path));
  const kept = errors.filter((error) => error.type === ValueErrorType.ObjectRequiredProperty || !missing.has(error.path));
  return [...kept.flatMap(describe), ...crossCheck(value, dir)];
}

/** The checks beyond the schema, on whatever parts of the file have the right shape (so they are reported beside its schema errors). */
function crossCheck(value: unknown, dir: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const services = isObject(value) && isObject(value.services) ? value.services : {};
  const config: ConfigFile = { services: {} };
  for (const [name, service] of Object.entries(services)) {
    if (!isObject(service)) continue;
    const at = `services${key(name)}`;
    const after = Array.isArray(service.after) ? service.after.filter((item): item is string => typeof item === 'string') : [];
    config.services[name] = { cmd: 'true', after };
    for (const [index, dependency] of after.entries()) {
      if (dependency === name) problems.push({ path: `${at}.after[${index}]`, message: 'a service cannot wait for itself' });
      else if (!(dependency in services)) problems.push({ path: `${at}.after[${index}]`, message: `no service named ${JSON.stringify(dependency)}${suggest(dependency, Object.keys(services))}` });
    }
    const ready = service.ready;
    const flags = isObject(ready) ? (ready.flags ?? '') : '';
    // Bad flags are the schema's to report; here only a pattern that does not compile.
    if (isObject(ready) && typeof ready.regex === 'string' && typeof flags === 'string' && /^[dimsuv]*$/.test(flags)) {
      try {
        new RegExp(ready.regex, flags);
      } catch (error) {
        problems.push({ path: `${at}.ready.regex`, message: `not a valid regular expression: ${(error as Error).message}` });
      }
    }
    if (typeof service.cwd === 'string' && service.cwd !== '') {
      const cwd = path.resolve(dir, service.cwd);
      if (!isDirectory(cwd)) problems.push({ path: `${at}.cwd`, message: `no directory ${cwd}` });
    }
  }
  for (const cycle of cycles(config)) {
    problems.push({ path: `services${key(cycle[0]!)}.after`, message: `a cycle: ${[...cycle, cycle[0]].join(' → ')} (each waits for the next to be up)` });
  }
  return problems;
}

/** Each cycle of `after` once, starting at its first service in file order. */
function cycles(config: ConfigFile): string[][] {
  const found: string[][] = [];
  const seen = new Set<string>();
  const visit = (name: string, trail: string[]) => {
    const at = trail.indexOf(name);
    if (at !== -1) {
      const cycle = trail.slice(at);
      const id = [...cycle].sort().join('\0');
      if (!found.some((known) => [...known].sort().join('\0') === id)) found.push(cycle);
      return;
    }
    if (seen.has(name)) return;
    for (const next of config.services[name]?.after ?? []) if (next !== name) visit(next, [...trail, name]);
    seen.add(name);
  };
  for (const name of Object.keys(config.services)) visit(name, []);
  return found;
}

/** One schema error as the problems a person can act on. */
function describe(error: ValueError): ConfigProblem[] {
  const path = keyPath(error.path);
  const { schema, value } = error;
  if (error.path === '') return [{ message: `must hold a JSON object with "services", got ${show(value)}` }];
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const name = error.path.split('/').pop()!.replace(/~1/g, '/').replace(/~0/g, '~');
      if (schema === ConfigSchema.properties.services) return [{ path, message: 'not a valid service name (letters, digits, ".", "_" and "-", not starting with ".")' }];
      if (schema.patternProperties) return [{ path, message: 'not a valid variable name (empty, or with "=")' }];
      const known = Object.keys(schema.properties ?? {});
      return [{ path, message: `unknown key${suggest(name, known)}; expected ${known.map((k) => JSON.stringify(k)).join(', ')}` }];
    }
    case ValueErrorType.ObjectRequiredProperty:
      return [{ path, message: `missing: ${expected(schema)}` }];
    case ValueErrorType.ObjectMinProperties:
      return [{ path, message: 'no services: add at least one' }];
    case ValueErrorType.ArrayMinItems:
      return [{ path, message: 'must not be empty' }];
    case ValueErrorType.ArrayUniqueItems:
      return [{ path, message: 'lists a name twice' }];
    case ValueErrorType.StringMinLength:
      return [{ path, message: 'must not be empty' }];
    case ValueErrorType.StringPattern:
      if (schema.pattern === '\\S') return [{ path, message: 'must not be blank' }];
      if (path.endsWith('.flags')) return [{ path, message: `must be regular expression flags among "dimsuv", got ${show(value)}` }];
      return [{ path, message: `must match ${schema.pattern}, got ${show(value)}` }];
    case ValueErrorType.Union:
      return describeUnion(error);
    default:
      return [{ path, message: `must be ${expected(schema)}, got ${show(value)}` }];
  }
}

/** A value that fits no variant: report against the variant it was evidently meant to be, else list the forms. */
function describeUnion(error: ValueError): ConfigProblem[] {
  const variants = (error.schema.anyOf ?? []) as TSchema[];
  const value = error.value;
  let meant: TSchema[] = variants.filter((variant) => variant.type === kind(value));
  if (meant.length > 1 && kind(value) === 'object') {
    const keys = Object.keys(value as object);
    meant = meant.filter((variant) => keys.some((k) => k in (variant.properties ?? {})));
  }
  // Within an object or a string, say what is wrong inside it; a number fitting no variant gets the whole list.
  if (meant.length === 1 && ['object', 'array', 'string'].includes(kind(value)) && variants.some((variant) => variant.const === undefined)) {
    const index = variants.indexOf(meant[0]!);
    const inner = [...error.errors[index]!];
    if (inner.length > 0) return inner.flatMap(describe);
  }
  return [{ path: keyPath(error.path), message: `must be ${expected(error.schema)}, got ${show(value)}` }];
}

/** What a schema accepts, in words. */
function expected(schema: TSchema): string {
  if (schema.title) return schema.title as string;
  if (schema.anyOf) {
    const variants = schema.anyOf as TSchema[];
    if (variants.every((variant) => variant.const !== undefined)) return `one of ${variants.map((variant) => JSON.stringify(variant.const)).join(', ')}`;
    return variants.map(expected).join(' or ');
  }
  switch (schema.type) {
    case 'integer':
      if (schema.maximum !== undefined) return `a whole number from ${schema.minimum} to ${schema.maximum}`;
      return schema.minimum === 0 ? 'a whole number ≥ 0' : 'a whole number';
    case 'string':
      return schema.minLength ? 'a non-empty string' : 'a string';
    case 'array':
      return `an array of ${plural(expected(schema.items as TSchema))}`;
    case 'object':
      if (schema === ConfigSchema.properties.services) return 'an object of services by name';
      return schema.patternProperties ? 'an object of strings' : 'an object';
    case 'null':
      return 'null';
    default:
      return schema.description ?? 'something else';
  }
}

function plural(phrase: string): string {
  return phrase.replace(/^an? (non-empty )?(string|whole number)/, (_, nonEmpty: string | undefined, noun: string) => `${nonEmpty ?? ''}${noun}s`);
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function show(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** `/services/cortex/after/0` as `services.cortex.after[0]`. */
export function keyPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : key(part);
  }
  return out.replace(/^\./, '');
}

function key(name: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

/** `; did you mean "observer"?` for a name one or two edits from a known one. */
function suggest(name: string, known: readonly string[]): string {
  const near = known.filter((candidate) => distance(name.toLowerCase(), candidate.toLowerCase()) <= 2);
  return near.length === 1 ? ` (did you mean ${JSON.stringify(near[0])}?)` : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}
