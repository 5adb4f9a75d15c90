import { Redis, type RedisOptions } from 'ioredis';
import { addressKey, parseRedisTarget } from './redisTarget.js';
import { REFERRER_TTL_SECONDS, type ReferrerStore, type StoreSizes, correlationKey, legacyKey, replyKey, toNodeId } from '../referrerStore.js';

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

export interface RedisStoreOptions {
  /** A command not answered by then fails, so a slow Redis cannot hold a push. */
  readonly commandTimeoutMs?: number;
  readonly ttlSeconds?: number;
  readonly log?: (record: Record<string, unknown>) => void;
}

/**
 * The referrer store on Redis (one, or a master found through Sentinel and
 * followed across failovers), shared by several server processes. Take by
 * correlation id is GETDEL (atomic); legacy keeps upstream's GET then DEL.
 * Commands fail fast while Redis is away (no offline queue) and the client
 * reconnects by itself, so the server recovers when Redis comes back.
 */
export class RedisReferrerStore implements ReferrerStore {
  readonly kind = 'redis';
  readonly #redis: Redis;
  readonly #ttl: number;
  #closing = false;

  constructor(url: string, options: RedisStoreOptions = {}) {
    const log = options.log ?? (() => {});
    this.#ttl = options.ttlSeconds ?? REFERRER_TTL_SECONDS;
    const common: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 500,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      // A master demoted by a failover answers writes with READONLY: find the new one.
      reconnectOnError: (error) => error.message.startsWith('READONLY'),
    };
    const target = parseRedisTarget(url);
    if ('error' in target) throw new Error(`store ${target.error}`);
    this.#redis =
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
    this.#redis.on('error', (error: Error) => {
      if (seen.size < 20 && !seen.has(error.message)) log({ event: 'redis_error', error: error.message });
      seen.add(error.message);
    });
    this.#redis.on('ready', () => {
      if (seen.size > 0) log({ event: 'redis_ready' });
      seen = new Set();
    });
    // A client that ends (ioredis gives up when a connection attempt is cut off) is started again,
    // unless close() ended it: the store must never stop trying while serve runs.
    this.#redis.on('end', () => {
      if (this.#closing) return;
      log({ event: 'redis_client_restarted' });
      setTimeout(() => {
        if (!this.#closing) this.#redis.connect().catch(() => {});
      }, RESTART_AFTER_MS).unref();
    });
    this.#redis.connect().catch(() => {});
  }

  /**
   * Waits until connected, up to the connect timeout; a Redis that is away
   * at start is no reason not to serve (the client keeps reconnecting).
   */
  async ready(timeoutMs = 2000): Promise<boolean> {
    if (this.#redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#redis.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#redis.once('ready', onReady);
    });
  }

  async putCorrelation(correlationId: string, nodeId: number): Promise<number> {
    const key = correlationKey(correlationId);
    // SET NX keeps the first node; when it was there, say which. Twice, for an entry that expired in between.
    for (let attempt = 0; attempt < 2; attempt++) {
      if ((await this.#redis.set(key, String(nodeId), 'EX', this.#ttl, 'NX')) === 'OK') return nodeId;
      const first = toNodeId(await this.#redis.get(key));
      if (first !== undefined) return first;
    }
    return nodeId;
  }

  async takeCorrelation(correlationId: string): Promise<number | undefined> {
    return toNodeId(await this.#redis.getdel(correlationKey(correlationId)));
  }

  async putLegacy(glId: string, glRepository: string, nodeId: number): Promise<void> {
    await this.#redis.set(legacyKey(glId, glRepository), String(nodeId), 'EX', this.#ttl);
  }

  async takeLegacy(glId: string, glRepository: string): Promise<number | undefined> {
    const key = legacyKey(glId, glRepository);
    const value = await this.#redis.get(key);
    await this.#redis.del(key);
    return toNodeId(value);
  }

  async rememberReply(key: string, reply: string): Promise<void> {
    await this.#redis.set(replyKey(key), reply, 'EX', this.#ttl);
  }

  async recallReply(key: string): Promise<string | undefined> {
    return (await this.#redis.get(replyKey(key))) ?? undefined;
  }

  async ping(): Promise<boolean> {
    return this.#redis.ping().then(
      (answer) => answer === 'PONG',
      () => false,
    );
  }

  /** DBSIZE and Redis's own evicted_keys (maxmemory): two cheap commands, bounded like every other. */
  async sizes(): Promise<StoreSizes | undefined> {
    try {
      const [entries, stats] = await Promise.all([this.#redis.dbsize(), this.#redis.info('stats')]);
      const evicted = /^evicted_keys:(\d+)\r?$/m.exec(stats);
      return { entries, evictions: evicted ? Number(evicted[1]) : 0 };
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#redis.disconnect();
  }
}
