import { REFERRER_TTL_SECONDS, type ReferrerStore, type StoreSizes, correlationKey, legacyKey, replyKey, toNodeId } from '../referrerStore.js';

/** Yields to the event loop, as a round trip to Redis would between upstream's read and delete. */
const roundTrip = () => new Promise<void>((resolve) => setImmediate(resolve));

export class MemoryReferrerStore implements ReferrerStore {
  readonly kind = 'memory';
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();
  readonly #now: () => number;
  readonly #ttlMs: number;
  /** Bounds memory under a flood of entries nobody takes. */
  readonly #maxEntries: number;
  readonly #log: (record: Record<string, unknown>) => void;
  #evictions = 0;

  constructor(options: { now?: () => number; ttlSeconds?: number; maxEntries?: number; log?: (record: Record<string, unknown>) => void } = {}) {
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? (() => {});
    this.#ttlMs = (options.ttlSeconds ?? REFERRER_TTL_SECONDS) * 1000;
    this.#maxEntries = options.maxEntries ?? 1_000_000;
  }

  async putCorrelation(correlationId: string, nodeId: number): Promise<number> {
    const key = correlationKey(correlationId);
    const first = toNodeId(this.#get(key));
    if (first !== undefined) return first;
    this.#set(key, String(nodeId));
    return nodeId;
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

  async sizes(): Promise<StoreSizes> {
    this.#dropExpired(this.#now());
    return { entries: this.#entries.size, evictions: this.#evictions };
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
      // A registration or a reply lost before anyone took it: never silent.
      this.#evictions++;
      if (this.#evictions === 1 || this.#evictions % 100_000 === 0) {
        this.#log({ event: 'referrer_store_full', max_entries: this.#maxEntries, evictions: this.#evictions });
      }
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

