/**
 * The primary's event log and what the secondaries report of it (contract
 * section 11), beside the referrer store: one interface, in memory by
 * default and in Redis (a stream, shared by every server on it) with a
 * Redis URL. All the times of one store come from one clock (Redis's TIME,
 * or the process's).
 */
export interface ReplicationEvent {
  readonly id: string;
  readonly glRepository: string;
  readonly path: string;
  /** Unix milliseconds, by the store's clock. */
  readonly createdAt: number;
}

export interface AppendedEvent extends ReplicationEvent {
  /** A store with replicas, whose replica had not acknowledged the event within the bounded wait: a failover now could lose it. */
  readonly unacknowledged?: true;
}

/** What a secondary says of itself in POST geo/status. */
export interface StatusReport {
  readonly log: string;
  /** Every event up to and including this one is replicated (or needed nothing). */
  readonly cursor: string;
  readonly reconciling: boolean;
  readonly repositoriesSynced?: number | undefined;
  readonly repositoriesFailed?: number | undefined;
  readonly lastError?: string | undefined;
}

export interface NodeStatus extends StatusReport {
  /** When the report arrived, by the store's clock. */
  readonly reportedAt: number;
}

export interface EventQuery {
  /** "0": from the oldest kept. */
  readonly after: string;
  /** The log the cursor belongs to; undefined: the current one. */
  readonly log: string | undefined;
  readonly limit: number;
}

export interface EventPage {
  readonly log: string;
  readonly events: readonly ReplicationEvent[];
  /** The newest event's id, or "0" for an empty log. */
  readonly last: string;
  readonly resync: boolean;
}

/**
 * A static node's lag as kept in the store: the last PUT's value and when,
 * and the value the site file gave it and since when, so that the later of
 * the two wins on every server, across restarts.
 */
export interface StoredLag {
  readonly lagSeconds?: number;
  readonly setAt?: number;
  readonly fileLagSeconds?: number;
  readonly fileSince?: number;
}

/** One node's part of a snapshot. */
export interface NodeSnapshot {
  readonly status?: NodeStatus;
  /** created_at of the oldest event after the node's cursor, when its status is of the current log and one is pending. */
  readonly oldestPendingAt?: number;
  /** Events after the node's cursor, when its status is of the current log. */
  readonly pendingEvents?: number;
  readonly storedLag?: StoredLag;
}

/** What the lag of every asked node is computed from, read at one moment. */
export interface ReplicationSnapshot {
  /** The store's clock. */
  readonly now: number;
  readonly log: string;
  readonly nodes: ReadonlyMap<number, NodeSnapshot>;
}

export interface ReplicationStore {
  readonly kind: 'memory' | 'redis';
  /** An event id of this store's one form, or "0". */
  isEventId(text: string): boolean;
  /** Appends a push's event; throws when it could not (the push is answered all the same). */
  append(glRepository: string, path: string): Promise<AppendedEvent>;
  /**
   * A push's answer in one step (one round trip to Redis): the snapshot its
   * lag is computed from, taken before its own event, then that event.
   */
  snapshotThenAppend(nodeIds: readonly number[], glRepository: string, path: string): Promise<{ snapshot: ReplicationSnapshot; event: AppendedEvent }>;
  readEvents(query: EventQuery): Promise<EventPage>;
  /**
   * Resolves when an event newer than `after` is in the log (appended
   * through any server on this store), after `ms`, or when the server
   * stops, whichever comes first. Never rejects.
   */
  waitForEvent(after: string, ms: number): Promise<void>;
  reportStatus(nodeId: number, report: StatusReport): Promise<void>;
  snapshot(nodeIds: readonly number[]): Promise<ReplicationSnapshot>;
  /** A PUT: this static node's lag from now on (until the site file gives it another). */
  setStaticLag(nodeId: number, lagSeconds: number): Promise<void>;
  /** The site file's lags, when it is loaded: a value that changed starts its time now. */
  recordFileLags(lags: ReadonlyMap<number, number>): Promise<void>;
  /** Ends every wait at once and refuses new ones (serve is stopping). */
  stopWaiting(): void;
  close(): Promise<void>;
}

/** Contract section 11: the log keeps at least the last 24 hours or 100,000 events, whichever is more. */
export const KEEP_EVENTS = 100_000;
export const KEEP_EVENTS_MS = 24 * 60 * 60 * 1000;

/** A log id: a fresh random word each time a log starts empty. */
export const LOG_ID = /^[0-9A-Za-z-]{1,64}$/;
