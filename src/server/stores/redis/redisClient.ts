import { Redis, type RedisOptions } from 'ioredis';
import { addressKey, parseRedisTarget } from './redisTarget.js';

/**
 * A master address a sentinel names is followed only when allowMasters has
 * it. Thrown here, before any connection is made to it (so the Redis
 * password is never sent there), ioredis counts it as that sentinel's
 * failure, asks the next, and reports it as an error, which is logged.
 */
function refuseMastersBut(allowed: readonly { host: string; port: number }[]): (key: string) => null {
  const keys = new Set(allowed.map(addressKey));
  return (key) => {
    if (!keys.has(key)) throw new Error(`a sentinel named master ${key}, which is not in the store URL's allowMasters: not followed`);
    return null;
  };
}

/** How long an ended client waits before it is started again. */
const RESTART_AFTER_MS = 1000;

export interface RedisConnection {
  readonly client: Redis;
  close(): void;
}

export interface RedisClientOptions {
  /**
   * A command not answered by then fails, so a slow Redis cannot hold a push;
   * undefined for a connection that blocks on purpose (XREAD BLOCK).
   */
  readonly commandTimeoutMs: number | undefined;
  readonly log: (record: Record<string, unknown>) => void;
  /** Names this connection in the log lines, when a process holds several. */
  readonly role?: string;
}

/**
 * One connection to the Redis a store URL names (one Redis, or the master
 * found through Sentinel and followed across failovers). Commands fail fast
 * while Redis is away (no offline queue) and the client reconnects by
 * itself, so a store recovers when Redis comes back.
 */
export function openRedisClient(url: string, options: RedisClientOptions): RedisConnection {
  const { log } = options;
  const role = options.role === undefined ? {} : { connection: options.role };
  let closing = false;
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    ...(options.commandTimeoutMs !== undefined && { commandTimeout: options.commandTimeoutMs }),
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    // A master demoted by a failover answers writes with READONLY: find the new one.
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
  };
  const target = parseRedisTarget(url);
  if ('error' in target) throw new Error(`store ${target.error}`);
  const client =
    target.kind === 'single'
      ? new Redis(target.url, common)
      : new Redis({
          ...common,
          sentinels: target.sentinels.map(({ host, port }) => ({ host, port })),
          name: target.name,
          ...(target.username !== undefined && { username: target.username }),
          ...(target.password !== undefined && { password: target.password }),
          ...(target.sentinelPassword !== undefined && { sentinelPassword: target.sentinelPassword }),
          // Each reconnection asks the sentinels for the master again. Not
          // ioredis's failover detector: its disconnect, landing while a
          // reconnection is still asking the sentinels, ends the client for
          // good (seen under load in the failover test). A dead master is
          // found by the reconnections, a demoted live one by READONLY.
          sentinelRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
          sentinelCommandTimeout: 1000,
          // Only the sentinels of the URL: a sentinel's list of others is not taken (one that lies would add its friends).
          updateSentinels: false,
          ...(target.allowMasters !== undefined && { natMap: refuseMastersBut(target.allowMasters) }),
        });
  // Each different error once per outage, not once per reconnection attempt: the cause may change on the way
  // (the old master refusing, then sentinels not answering…), and the operator needs the last one.
  let seen = new Set<string>();
  client.on('error', (error: Error) => {
    if (seen.size < 20 && !seen.has(error.message)) log({ event: 'redis_error', ...role, error: error.message });
    seen.add(error.message);
  });
  client.on('ready', () => {
    if (seen.size > 0) log({ event: 'redis_ready', ...role });
    seen = new Set();
  });
  // A client that ends (ioredis gives up when a connection attempt is cut off) is started again,
  // unless close() ended it: the store must never stop trying while serve runs.
  client.on('end', () => {
    if (closing) return;
    log({ event: 'redis_client_restarted', ...role });
    setTimeout(() => {
      if (!closing) client.connect().catch(() => {});
    }, RESTART_AFTER_MS).unref();
  });
  client.connect().catch(() => {});
  return {
    client,
    close: () => {
      closing = true;
      client.disconnect();
    },
  };
}
