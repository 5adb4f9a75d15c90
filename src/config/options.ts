import { parseApiUrl } from '../shared/apiUrl.js';
import { parseRedisTarget } from '../server/stores/redis/redisTarget.js';

/**
 * Every setting geo-hook has, declared once: its flag, its environment
 * variable, its key in the config file, how its value is checked, its default
 * and its help. Flags, GEO_HOOK_* variables and the file all go through here.
 */
export interface Config {
  readonly apiUrl: string;
  readonly secretFile: string | undefined;
  /** Seconds: the whole hook run's deadline. */
  readonly timeout: number;
  readonly caFile: string | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly logFile: string | undefined;
  readonly listen: string;
  readonly nodesFile: string | undefined;
  readonly store: string;
  readonly legacy: boolean;
  readonly frontendTokenFile: string | undefined;
  readonly metricsListen: string | undefined;
  readonly maxConnections: number;
  /** Seconds: a reporting secondary's status older than this says nothing of now. */
  readonly statusMaxAge: number;
  /** replicate: this secondary's id in the site file. */
  readonly nodeId: number | undefined;
  readonly nodeSecretFile: string | undefined;
  /** replicate: the base of the primary's Git HTTP for replication (…/-/geo/replication). */
  readonly primaryGitUrl: string | undefined;
  /** replicate: the folder of the replicas. */
  readonly repositories: string | undefined;
  readonly concurrency: number;
  /** Seconds. */
  readonly reportInterval: number;
  /** Seconds. */
  readonly reconcileInterval: number;
}

export type ConfigKey = keyof Config;

export interface OptionSpec<K extends ConfigKey = ConfigKey> {
  readonly flag: string;
  readonly env: string;
  readonly type: 'string' | 'number' | 'boolean';
  readonly describe: string;
  readonly default: Config[K];
  /** A path, resolved against the config file's folder when it comes from the file. */
  readonly isPath?: boolean;
  /** Never printed back. */
  readonly secret?: boolean;
  /** Returns the checked value, or a string saying what is wrong. */
  /** Only for a value that was given (never undefined). */
  readonly check?: (value: NonNullable<Config[K]>) => string | undefined;
}

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';
export const DEFAULT_LISTEN = '127.0.0.1:8080';
export const MAX_TIMEOUT_SECONDS = 3600;

export const OPTIONS: { readonly [K in ConfigKey]: OptionSpec<K> } = {
  apiUrl: {
    flag: 'api-url',
    env: 'GEO_HOOK_API_URL',
    type: 'string',
    default: DEFAULT_API_URL,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: 'internal API: http://host[:port][/prefix], https://…, or http+unix://<%-encoded socket path>',
    check: (value) => {
      const parsed = parseApiUrl(value);
      return 'error' in parsed ? parsed.error : undefined;
    },
  },
  secretFile: {
    flag: 'secret-file',
    env: 'GEO_HOOK_SECRET_FILE',
    type: 'string',
    default: undefined,
    isPath: true,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: 'file holding the shared secret that signs the API token',
  },
  timeout: {
    flag: 'timeout',
    env: 'GEO_HOOK_TIMEOUT',
    type: 'number',
    default: 10,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: 'seconds the whole hook run may take, retries included (replicate: each request to the primary)',
    check: (value) => (value > 0 && value <= MAX_TIMEOUT_SECONDS ? undefined : `must be above 0 and at most ${MAX_TIMEOUT_SECONDS}`),
  },
  caFile: {
    flag: 'ca-file',
    env: 'GEO_HOOK_CA_FILE',
    type: 'string',
    default: undefined,
    isPath: true,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: "PEM file of certificate authorities to trust for an https:// API (replicate: and the primary's Git HTTP)",
  },
  user: {
    flag: 'user',
    env: 'GEO_HOOK_USER',
    type: 'string',
    default: undefined,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: 'HTTP basic auth user, on top of the token',
  },
  password: {
    flag: 'password',
    env: 'GEO_HOOK_PASSWORD',
    type: 'string',
    default: undefined,
    secret: true,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: 'HTTP basic auth password (prefer the environment or the config file: flags show in ps)',
  },
  logFile: {
    flag: 'log-file',
    env: 'GEO_HOOK_LOG_FILE',
    type: 'string',
    default: undefined,
    isPath: true,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: 'append one JSON line per hook run (replicate: per record) to this file',
  },
  listen: {
    flag: 'listen',
    env: 'GEO_HOOK_LISTEN',
    type: 'string',
    default: DEFAULT_LISTEN,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: 'serve: host:port, or the path of a Unix socket, to listen on',
    check: (value) => (parseListen(value) ? undefined : 'must be host:port or an absolute socket path'),
  },
  nodesFile: {
    flag: 'nodes-file',
    env: 'GEO_HOOK_NODES_FILE',
    type: 'string',
    default: undefined,
    isPath: true,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: 'serve: JSON file of the Geo nodes and projects',
  },
  store: {
    flag: 'store',
    env: 'GEO_HOOK_STORE',
    type: 'string',
    default: 'memory',
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: 'serve: where referrers are kept: "memory", redis://host:port, rediss://…, or redis+sentinel://host:port[,host:port…]/<master name>',
    check: (value) => {
      if (value === 'memory') return undefined;
      const target = parseRedisTarget(value);
      if (!('error' in target)) return undefined;
      return target.error.startsWith('must be') ? target.error : `is not a usable store URL: ${target.error}`;
    },
  },
  legacy: {
    flag: 'legacy',
    env: 'GEO_HOOK_LEGACY',
    type: 'boolean',
    default: false,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: "serve: also look referrers up by upstream's racy actor+repository key",
  },
  frontendTokenFile: {
    flag: 'frontend-token-file',
    env: 'GEO_HOOK_FRONTEND_TOKEN_FILE',
    type: 'string',
    default: undefined,
    isPath: true,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: 'serve: file holding the token a web server sends to push_referrer (Authorization: Bearer); that endpoint only',
  },
  metricsListen: {
    flag: 'metrics-listen',
    env: 'GEO_HOOK_METRICS_LISTEN',
    type: 'string',
    default: undefined,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: 'serve, replicate: host:port (or socket path) for /-/liveness, /-/readiness and /-/metrics (serve: off the main address)',
    check: (value) => (parseListen(value) ? undefined : 'must be host:port or an absolute socket path'),
  },
  maxConnections: {
    flag: 'max-connections',
    env: 'GEO_HOOK_MAX_CONNECTIONS',
    type: 'number',
    default: 1024,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: 'serve: open connections at most; more are closed as they come',
    check: (value) => (Number.isInteger(value) && value >= 1 && value <= 1_000_000 ? undefined : 'must be a whole number from 1 to 1000000'),
  },
  statusMaxAge: {
    flag: 'status-max-age',
    env: 'GEO_HOOK_STATUS_MAX_AGE',
    type: 'number',
    default: 60,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: "serve: seconds after which a secondary's last replication status is too old to tell its lag (the pusher is told so)",
    check: (value) => (Number.isInteger(value) && value >= 1 && value <= 86_400 ? undefined : 'must be a whole number of seconds from 1 to 86400'),
  },
  nodeId: {
    flag: 'node-id',
    env: 'GEO_HOOK_NODE_ID',
    type: 'number',
    default: undefined,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: "replicate: this secondary's id in the primary's site file",
    check: (value) => (Number.isInteger(value) && value >= 1 && value <= 2 ** 31 - 1 ? undefined : 'must be a whole number from 1 (a node id in the site file)'),
  },
  nodeSecretFile: {
    flag: 'node-secret-file',
    env: 'GEO_HOOK_NODE_SECRET_FILE',
    type: 'string',
    default: undefined,
    isPath: true,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: "replicate: file holding this secondary's own secret (the site file's secret_file for it on the primary)",
  },
  primaryGitUrl: {
    flag: 'primary-git-url',
    env: 'GEO_HOOK_PRIMARY_GIT_URL',
    type: 'string',
    default: undefined,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: "replicate: base URL of the primary's Git HTTP for replication, https://primary.example.com/-/geo/replication",
    check: (value) => gitUrlProblem(value),
  },
  repositories: {
    flag: 'repositories',
    env: 'GEO_HOOK_REPOSITORIES',
    type: 'string',
    default: undefined,
    isPath: true,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: 'replicate: folder of the replicas, <folder>/<path>.git, which the secondary\'s web server serves',
  },
  concurrency: {
    flag: 'concurrency',
    env: 'GEO_HOOK_CONCURRENCY',
    type: 'number',
    default: 4,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: 'replicate: fetches at most at once',
    check: (value) => (Number.isInteger(value) && value >= 1 && value <= 64 ? undefined : 'must be a whole number from 1 to 64'),
  },
  reportInterval: {
    flag: 'report-interval',
    env: 'GEO_HOOK_REPORT_INTERVAL',
    type: 'number',
    default: 10,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: "replicate: seconds between two status reports at most (keep it well below serve's --status-max-age)",
    check: (value) => (value >= 0.1 && value <= 3600 ? undefined : 'must be from 0.1 to 3600 seconds'),
  },
  reconcileInterval: {
    flag: 'reconcile-interval',
    env: 'GEO_HOOK_RECONCILE_INTERVAL',
    type: 'number',
    default: 600,
    // Stryker disable next-line StringLiteral: help text for people; nothing depends on its words
    describe: "replicate: seconds between two reconciles (every replica's refs compared with the primary's)",
    check: (value) => (value >= 1 && value <= 604_800 ? undefined : 'must be from 1 to 604800 seconds (a week)'),
  },
};

/** What is wrong with a primary's Git HTTP base, or undefined: http(s), no credential, no query (the node's credential is a header). */
export function gitUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL (https://primary.example.com/-/geo/replication)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (url.username !== '' || url.password !== '') return 'must hold no user or password: the node authenticates with its secret';
  if (url.search !== '' || url.hash !== '') return 'must have no query or fragment';
  return undefined;
}

export type Listen = { readonly host: string; readonly port: number } | { readonly socketPath: string };

export function parseListen(value: string): Listen | undefined {
  if (value.startsWith('/')) return { socketPath: value };
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):([0-9]{1,5})$/.exec(value);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port > 65535) return undefined;
  // The pattern above lets brackets stand only round the whole host: either anchor alone would do.
  // Stryker disable next-line Regex: equivalent, for that reason
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}
