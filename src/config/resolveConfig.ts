import path from 'node:path';
import { UsageError } from '../errors.js';
import { isRecord } from '../shared/isRecord.js';
import { redactUrl } from '../shared/redactUrl.js';
import { type Config, type ConfigKey, type OptionSpec, OPTIONS } from './options.js';
import { isFiniteNumber } from '../shared/numbers.js';

export interface ConfigSources {
  /** Parsed command-line flags, by camelCase key; absent keys were not given. */
  readonly flags: Readonly<Record<string, unknown>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The config file, when one was named, already read. */
  readonly file?: { readonly path: string; readonly text: string } | undefined;
}

const KEYS = Object.keys(OPTIONS) as ConfigKey[];

/**
 * Turns flags, GEO_HOOK_* variables, the config file and the defaults into one
 * frozen configuration. Precedence, highest first: flags, environment, file,
 * defaults (contract section 9).
 */
export function resolveConfig({ flags, env, file }: ConfigSources): Config {
  const fromFile = file ? readConfigFile(file.path, file.text) : {};
  const config: Record<string, unknown> = {};
  for (const key of KEYS) {
    const spec = OPTIONS[key] as OptionSpec;
    let value: unknown = spec.default;
    // Stryker disable next-line StringLiteral: equivalent: a default is never refused (tested), so its source is never named
    let source = 'default';
    if (fromFile[key] !== undefined) {
      value = coerce(spec, fromFile[key], `"${key}" in ${file!.path}`, false);
      // Paths are strings: coerce made sure.
      if (spec.isPath) value = path.resolve(path.dirname(file!.path), value as string);
      // Stryker disable next-line StringLiteral: equivalent: where() names the file for any source but flag and env
      source = 'file';
    }
    const envValue = env[spec.env];
    if (envValue !== undefined && envValue !== '') {
      value = coerce(spec, envValue, spec.env, true);
      source = 'env';
    }
    if (flags[key] !== undefined) {
      value = coerce(spec, flags[key], `--${spec.flag}`, true);
      source = 'flag';
    }
    // Defaults are checked too (they pass: tested); an absent value is not a value to check.
    if (value !== undefined && spec.check) {
      const problem = (spec.check as (v: unknown) => string | undefined)(value);
      if (problem) throw new UsageError(`${where(spec, source, file?.path, key)} ${shown(spec, value)} ${problem}`, 'ECONFIG');
    }
    config[key] = value;
  }
  return Object.freeze(config) as unknown as Config;
}

/** Where the config file is named: --config, else GEO_HOOK_CONFIG. */
export function configFilePath(flags: Readonly<Record<string, unknown>>, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const flag = flags.config;
  if (typeof flag === 'string' && flag !== '') return flag;
  const fromEnv = env.GEO_HOOK_CONFIG;
  return fromEnv === '' ? undefined : fromEnv;
}

function readConfigFile(filePath: string, text: string): Partial<Record<ConfigKey, unknown>> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // Never an excerpt: the file may hold a password. Where, by line and column, when the parser says.
    throw new UsageError(`config file ${filePath} is not valid JSON${jsonErrorPlace(text, (error as Error).message)}`, 'ECONFIG');
  }
  if (!isRecord(json)) throw new UsageError(`config file ${filePath} must hold a JSON object`, 'ECONFIG');
  for (const key of Object.keys(json)) {
    // Own keys only: `key in OPTIONS` would take "constructor" or "__proto__" from Object's prototype.
    if (!Object.hasOwn(OPTIONS, key)) {
      const hint = suggest(key);
      throw new UsageError(`config file ${filePath}: unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}`, 'ECONFIG');
    }
  }
  return json as Partial<Record<ConfigKey, unknown>>;
}

/** Values from flags and the environment are text; the file's are JSON. */
function coerce(spec: OptionSpec, raw: unknown, from: string, fromText: boolean): unknown {
  const bad = (expected: string) =>
    new UsageError(`${from} ${shown(spec, raw)} is not ${expected}`, 'ECONFIG');
  // A flag given twice comes as a list: say that, not what the list is not.
  if (Array.isArray(raw) && fromText) throw new UsageError(`${from} is given more than once`, 'ECONFIG');
  switch (spec.type) {
    case 'string':
      if (typeof raw !== 'string' || raw === '') throw bad('a non-empty string');
      return raw;
    case 'number': {
      const value = fromText && typeof raw === 'string' && /^\s*-?[0-9.]+\s*$/.test(raw) ? Number(raw) : raw;
      if (!isFiniteNumber(value)) throw bad('a number');
      return value;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (fromText && typeof raw === 'string') {
        if (/^(?:1|true|yes|on)$/i.test(raw)) return true;
        if (/^(?:0|false|no|off)$/i.test(raw)) return false;
      }
      throw bad('true or false');
    }
  }
}

function where(spec: OptionSpec, source: string, filePath: string | undefined, key: string): string {
  if (source === 'flag') return `--${spec.flag}`;
  if (source === 'env') return spec.env;
  return `"${key}" in ${filePath}`;
}

function shown(spec: OptionSpec, value: unknown): string {
  if (spec.secret) return '(hidden)';
  return JSON.stringify(typeof value === 'string' ? redactUrl(value) : value);
}

/** " (line L, column C)" from the parser's "position N", or nothing. */
function jsonErrorPlace(text: string, parserMessage: string): string {
  const position = /position (\d+)/.exec(parserMessage)?.[1];
  if (position === undefined) return '';
  const before = text.slice(0, Number(position));
  const line = before.split('\n').length;
  const column = Number(position) - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column})`;
}

/** The closest known key, for a typo; undefined when nothing is close. */
function suggest(unknownKey: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const key of KEYS) {
    const distance = editDistance(unknownKey.toLowerCase(), key.toLowerCase());
    if (distance < bestDistance) {
      best = key;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
