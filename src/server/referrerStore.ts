/**
 * Where the receive-pack step leaves the node a push came through, for
 * post_receive to find. In memory by default; Redis when several server
 * processes must share it. Keys as in contract section 7.
 */
export interface ReferrerStore {
  readonly kind: 'memory' | 'redis';
  putCorrelation(correlationId: string, nodeId: number): Promise<void>;
  /** Atomic get-and-delete: two takers never both get the entry. */
  takeCorrelation(correlationId: string): Promise<number | undefined>;
  putLegacy(glId: string, glRepository: string, nodeId: number): Promise<void>;
  /** Upstream's read followed by a delete, not atomic: kept so the race can be shown. */
  takeLegacy(glId: string, glRepository: string): Promise<number | undefined>;
  rememberReply(key: string, reply: string): Promise<void>;
  recallReply(key: string): Promise<string | undefined>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Upstream's expiry of the receive-pack entry. */
export const REFERRER_TTL_SECONDS = 5 * 60;

export const correlationKey = (correlationId: string) => `geo-hook:referrer:correlation:${correlationId}`;
export const legacyKey = (glId: string, glRepository: string) => `git_receive_pack:geo_node_id:${glId}:${glRepository}`;
export const replyKey = (key: string) => `geo-hook:reply:${key}`;

/** Yields to the event loop, as a round trip to Redis would between upstream's read and delete. */
const roundTrip = () => new Promise<void>((resolve) => setImmediate(resolve));

export class MemoryReferrerStore implements ReferrerStore {
  readonly kind = 'memory';
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();
  readonly #now: () => number;
  readonly #ttlMs: number;
  /** Bounds memory under a flood of entries nobody takes. */
  readonly #maxEntries: number;

  constructor(options: { now?: () => number; ttlSeconds?: number; maxEntries?: number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#ttlMs = (options.ttlSeconds ?? REFERRER_TTL_SECONDS) * 1000;
    this.#maxEntries = options.maxEntries ?? 1_000_000;
  }

  async putCorrelation(correlationId: string, nodeId: number): Promise<void> {
    this.#set(correlationKey(correlationId), String(nodeId));
  }

  async takeCorrelation(correlationId: string): Promise<number | undefined> {
    const key = correlationKey(correlationId);
    const value = this.#get(key);
    this.#entries.delete(key);
    return toNodeId(value);
  }

  async putLegacy(glId: string, glRepository: string, nodeId: number): Promise<void> {
    this.#set(legacyKey(glId, glRepository), String(nodeId));
  }

  async takeLegacy(glId: string, glRepository: string): Promise<number | undefined> {
    const key = legacyKey(glId, glRepository);
    const value = this.#get(key);
    await roundTrip();
    this.#entries.delete(key);
    return toNodeId(value);
  }

  async rememberReply(key: string, reply: string): Promise<void> {
    this.#set(replyKey(key), reply);
  }

  async recallReply(key: string): Promise<string | undefined> {
    return this.#get(replyKey(key));
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  #get(key: string): string | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  #set(key: string, value: string): void {
    const now = this.#now();
    this.#dropExpired(now);
    // Re-inserting keeps the map in expiry order (one TTL for all), which #dropExpired relies on.
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAt: now + this.#ttlMs });
  }

  /** Entries nobody took expire here, oldest first, a few at a time as others are added. */
  #dropExpired(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now) break;
      this.#entries.delete(key);
    }
  }
}

/** A stored node id back from its decimal text; anything else is no id. */
export function toNodeId(value: string | null | undefined): number | undefined {
  if (value === undefined || value === null || !/^[1-9][0-9]*$/.test(value)) return undefined;
  const id = Number(value);
  return Number.isSafeInteger(id) ? id : undefined;
}
