import type { Redis } from 'ioredis';
import { type RedisConnection, openRedisClient } from './redisClient.js';
import { REFERRER_TTL_SECONDS, type ReferrerStore, type StoreSizes, correlationKey, legacyKey, replyKey, toNodeId } from '../referrerStore.js';

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
  readonly #connection: RedisConnection;

  constructor(url: string, options: RedisStoreOptions = {}) {
    this.#ttl = options.ttlSeconds ?? REFERRER_TTL_SECONDS;
    this.#connection = openRedisClient(url, { commandTimeoutMs: options.commandTimeoutMs ?? 500, log: options.log ?? (() => {}) });
    this.#redis = this.#connection.client;
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
    this.#connection.close();
  }
}
