import type { Options } from 'yargs';
import { type ConfigKey, OPTIONS } from '../config/options.js';

/** yargs options for some config keys, declared from the one table; no defaults here (resolveConfig owns them). */
export function configFlags(keys: readonly ConfigKey[]): Record<string, Options> {
  const flags: Record<string, Options> = {
    config: { type: 'string', describe: 'JSON config file (also GEO_HOOK_CONFIG)', requiresArg: true },
  };
  for (const key of keys) {
    const spec = OPTIONS[key];
    // A number is taken as the text given (resolveConfig checks it and says what is wrong with it in words),
    // so yargs is told no type for it, and the help says [number].
    flags[spec.flag] = {
      ...(spec.type === 'boolean' ? { type: 'boolean' as const } : spec.type === 'number' ? {} : { type: 'string' as const }),
      // The default is said in the text, not given to yargs: the config file may override it (resolveConfig owns defaults).
      describe: `${spec.describe} [${spec.env}]${spec.default === undefined || spec.default === false ? '' : ` [default: ${String(spec.default)}]`}${spec.type === 'number' ? ' [number]' : ''}`,
      ...(spec.type !== 'boolean' && { requiresArg: true }),
    };
  }
  return flags;
}

/** The flags that were given, by config key, for resolveConfig. */
export function pickFlags(argv: Record<string, unknown>, keys: readonly ConfigKey[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  if (argv.config !== undefined) picked.config = argv.config;
  for (const key of keys) {
    const value = argv[OPTIONS[key].flag];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}

export const HOOK_KEYS: readonly ConfigKey[] = ['apiUrl', 'secretFile', 'timeout', 'caFile', 'user', 'password', 'logFile'];
export const SERVER_KEYS: readonly ConfigKey[] = ['listen', 'secretFile', 'nodesFile', 'store', 'legacy', 'frontendTokenFile', 'metricsListen', 'maxConnections', 'statusMaxAge'];
export const REPLICATOR_KEYS: readonly ConfigKey[] = ['apiUrl', 'nodeId', 'nodeSecretFile', 'primaryGitUrl', 'repositories', 'caFile', 'concurrency', 'reportInterval', 'reconcileInterval', 'metricsListen', 'logFile', 'timeout'];
