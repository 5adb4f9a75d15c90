import { randomBytes } from 'node:crypto';
import {
  type AppendedEvent,
  type EventPage,
  type EventQuery,
  KEEP_EVENTS,
  KEEP_EVENTS_MS,
  type NodeSnapshot,
  type NodeStatus,
  type ReplicationEvent,
  type ReplicationSnapshot,
  type ReplicationStore,
  type StoredLag,
  type StatusReport,
} from '../replicationStore.js';
import { EventWaiters } from '../eventWaiters.js';

/** A decimal counter from 1; "0" is before the first. */
const MEMORY_EVENT_ID = /^(?:0|[1-9][0-9]{0,15})$/;

/**
 * The event log and node statuses of one serve process: a new log (a new
 * id) each time the process starts, so a secondary's old cursor resyncs.
 */
export class MemoryReplicationStore implements ReplicationStore {
  readonly kind = 'memory';
  readonly #now: () => number;
  readonly #keepEvents: number;
  readonly #keepMs: number;
  readonly #log = randomBytes(8).toString('hex');
  /** Kept events, oldest first, from #head on (the front is dropped in batches, not shifted one by one). */
  #events: ReplicationEvent[] = [];
  #head = 0;
  /** The number of the newest event; events are numbered 1, 2, … */
  #lastNumber = 0;
  /** The newest trimmed event's number, 0 when none was. */
  #trimmedUpTo = 0;
  readonly #statuses = new Map<number, NodeStatus>();
  readonly #storedLags = new Map<number, StoredLag>();
  readonly #waiters = new EventWaiters<number>();
  #stopped = false;

  constructor(options: { now?: () => number; keepEvents?: number; keepMs?: number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#keepEvents = options.keepEvents ?? KEEP_EVENTS;
    this.#keepMs = options.keepMs ?? KEEP_EVENTS_MS;
  }

  isEventId(text: string): boolean {
    return MEMORY_EVENT_ID.test(text);
  }

  async append(glRepository: string, path: string): Promise<AppendedEvent> {
    const event = { id: String(++this.#lastNumber), glRepository, path, createdAt: this.#now() };
    this.#events.push(event);
    this.#trim(event.createdAt);
    this.#waiters.wake((after) => after < this.#lastNumber);
    return event;
  }

  async snapshotThenAppend(nodeIds: readonly number[], glRepository: string, path: string): Promise<{ snapshot: ReplicationSnapshot; event: AppendedEvent }> {
    const snapshot = await this.snapshot(nodeIds);
    return { snapshot, event: await this.append(glRepository, path) };
  }

  async readEvents(query: EventQuery): Promise<EventPage> {
    const last = String(this.#lastNumber);
    const after = Number(query.after);
    const resync =
      (query.log !== undefined && query.log !== this.#log) || after > this.#lastNumber || (after !== 0 && after < this.#trimmedUpTo);
    if (resync) return { log: this.#log, events: [], last, resync: true };
    const kept = this.#kept();
    // Numbers are consecutive: the first event after `after` is at a known place.
    const firstNumber = this.#lastNumber - kept + 1;
    const from = this.#head + Math.max(0, after - firstNumber + 1);
    return { log: this.#log, events: this.#events.slice(from, from + query.limit), last, resync: false };
  }

  waitForEvent(after: string, ms: number): Promise<void> {
    const afterNumber = Number(after);
    if (this.#stopped || afterNumber < this.#lastNumber) return Promise.resolve();
    return this.#waiters.wait(afterNumber, ms);
  }

  async reportStatus(nodeId: number, report: StatusReport): Promise<void> {
    this.#statuses.set(nodeId, { ...report, reportedAt: this.#now() });
  }

  async snapshot(nodeIds: readonly number[]): Promise<ReplicationSnapshot> {
    const nodes = new Map<number, NodeSnapshot>();
    for (const nodeId of nodeIds) {
      const status = this.#statuses.get(nodeId);
      const storedLag = this.#storedLags.get(nodeId);
      nodes.set(nodeId, { ...(status && { status, ...this.#pending(status) }), ...(storedLag && { storedLag }) });
    }
    return { now: this.#now(), log: this.#log, nodes };
  }

  async setStaticLag(nodeId: number, lagSeconds: number): Promise<void> {
    this.#storedLags.set(nodeId, { ...this.#storedLags.get(nodeId), lagSeconds, setAt: this.#now() });
  }

  async recordFileLags(lags: ReadonlyMap<number, number>): Promise<void> {
    for (const [nodeId, fileLagSeconds] of lags) {
      const stored = this.#storedLags.get(nodeId);
      if (stored?.fileLagSeconds !== fileLagSeconds) this.#storedLags.set(nodeId, { ...stored, fileLagSeconds, fileSince: this.#now() });
    }
  }

  stopWaiting(): void {
    this.#stopped = true;
    this.#waiters.wake();
  }

  async close(): Promise<void> {
    this.stopWaiting();
  }

  #kept(): number {
    return this.#events.length - this.#head;
  }

  #pending(status: NodeStatus): Pick<NodeSnapshot, 'oldestPendingAt' | 'pendingEvents'> {
    if (status.log !== this.#log || !this.isEventId(status.cursor)) return {};
    const cursor = Number(status.cursor);
    const firstNumber = this.#lastNumber - this.#kept() + 1;
    const pendingEvents = Math.max(0, this.#lastNumber - Math.max(cursor, firstNumber - 1));
    if (pendingEvents === 0) return { pendingEvents };
    const oldest = this.#events[this.#head + Math.max(0, cursor - firstNumber + 1)]!;
    return { pendingEvents, oldestPendingAt: oldest.createdAt };
  }

  /** Drops the oldest events that are both older than the time kept and beyond the count kept. */
  #trim(now: number): void {
    while (this.#kept() > this.#keepEvents && this.#events[this.#head]!.createdAt < now - this.#keepMs) {
      this.#head++;
      this.#trimmedUpTo++;
    }
    // The dropped front is given back in one copy once it is as large as what is kept.
    if (this.#head > 1024 && this.#head >= this.#kept()) {
      this.#events = this.#events.slice(this.#head);
      this.#head = 0;
    }
  }
}
