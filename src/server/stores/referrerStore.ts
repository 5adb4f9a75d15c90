/**
 * Where the receive-pack step leaves the node a push came through, for
 * post_receive to find. In memory by default; Redis when several server
 * processes must share it. Keys as in contract section 7.
 */
export interface ReferrerStore {
  readonly kind: 'memory' | 'redis';
  /**
   * Registers the node a push came through under its correlation id, unless
   * the id is already registered: the first node stays. Returns the node that
   * holds the id now (the given one, or the first).
   */
  putCorrelation(correlationId: string, nodeId: number): Promise<number>;
  /** Atomic get-and-delete: two takers never both get the entry. */
  takeCorrelation(correlationId: string): Promise<number | undefined>;
  putLegacy(glId: string, glRepository: string, nodeId: number): Promise<void>;
  /** Upstream's read followed by a delete, not atomic: kept so the race can be shown. */
  takeLegacy(glId: string, glRepository: string): Promise<number | undefined>;
  rememberReply(key: string, reply: string): Promise<void>;
  recallReply(key: string): Promise<string | undefined>;
  ping(): Promise<boolean>;
  /** How full the store is, for the metrics; undefined when it cannot say now. */
  sizes(): Promise<StoreSizes | undefined>;
  close(): Promise<void>;
}

export interface StoreSizes {
  /** Entries held now (for Redis: every key of its database). */
  readonly entries: number;
  /** Entries dropped to make room before anyone took them, since the store started (Redis: its evicted_keys). */
  readonly evictions: number;
}

/** Upstream's expiry of the receive-pack entry. */
export const REFERRER_TTL_SECONDS = 5 * 60;

export const correlationKey = (correlationId: string) => `geo-hook:referrer:correlation:${correlationId}`;
export const legacyKey = (glId: string, glRepository: string) => `git_receive_pack:geo_node_id:${glId}:${glRepository}`;
export const replyKey = (key: string) => `geo-hook:reply:${key}`;


/** A stored node id back from its decimal text; anything else is no id. */
export function toNodeId(value: string | null | undefined): number | undefined {
  if (value === undefined || value === null || !/^[1-9][0-9]*$/.test(value)) return undefined;
  const id = Number(value);
  return Number.isSafeInteger(id) ? id : undefined;
}
