/**
 * What a secondary's replicator knows about the primary's event log, as a
 * plain value (contract section 12): the events it read and has not yet put
 * behind its cursor, the fetches running, the repositories waiting to be
 * tried again. Pure functions over it; the replicator's shell does the long
 * polls, the fetches and the reports.
 *
 * The rule that keeps the lag true: a fetch started after an event was read
 * replicates that event (the push's refs were updated before its event was
 * appended), and the cursor never passes an event whose repository no such
 * fetch has replicated yet.
 */

/** An event read from the log, numbered in the order read. */
export interface QueuedEvent {
  readonly id: string;
  readonly path: string;
  readonly seq: number;
}

export interface RetryState {
  /** Failed fetches in a row. */
  readonly attempt: number;
  /** Not tried again before this time (ms since the epoch). */
  readonly at: number;
}

export interface ReplicationQueue {
  /** The last event behind which everything is replicated: what the node reports. */
  readonly cursor: string;
  /** Read, not yet behind the cursor, in log order. */
  readonly events: readonly QueuedEvent[];
  /** Events read so far: the next one's seq. */
  readonly read: number;
  /** Per repository, the seq below which its events are replicated. */
  readonly replicatedBelow: ReadonlyMap<string, number>;
  /** Fetches running, each with the seq it started at: the events it replicates are those below. */
  readonly running: ReadonlyMap<string, number>;
  readonly retry: ReadonlyMap<string, RetryState>;
}

export function emptyQueue(cursor: string): ReplicationQueue {
  return { cursor, events: [], read: 0, replicatedBelow: new Map(), running: new Map(), retry: new Map() };
}

/** Events of one page of the log, in its order. */
export function eventsRead(queue: ReplicationQueue, page: ReadonlyArray<{ readonly id: string; readonly path: string }>): ReplicationQueue {
  if (page.length === 0) return queue;
  const events = page.map((event, i) => ({ id: event.id, path: event.path, seq: queue.read + i }));
  return { ...queue, events: [...queue.events, ...events], read: queue.read + page.length };
}

/**
 * The repositories to fetch now: each with an event no fetch has covered,
 * none already running or waiting for its retry, oldest event first, as
 * many as `concurrency` leaves room for. One fetch for many events of one
 * repository.
 */
export function fetchesToStart(queue: ReplicationQueue, options: { readonly now: number; readonly concurrency: number }): string[] {
  const room = options.concurrency - queue.running.size;
  const chosen: string[] = [];
  if (room <= 0) return chosen;
  for (const event of queue.events) {
    if (chosen.length === room) break;
    if (chosen.includes(event.path) || queue.running.has(event.path)) continue;
    if (event.seq < (queue.replicatedBelow.get(event.path) ?? 0)) continue;
    const retry = queue.retry.get(event.path);
    if (retry !== undefined && retry.at > options.now) continue;
    chosen.push(event.path);
  }
  return chosen;
}

export function fetchStarted(queue: ReplicationQueue, path: string): ReplicationQueue {
  const running = new Map(queue.running);
  running.set(path, queue.read);
  return { ...queue, running };
}

/** A fetch that succeeded (or found the repository gone from the primary: nothing to replicate). */
export function fetchSucceeded(queue: ReplicationQueue, path: string): ReplicationQueue {
  const startedAt = queue.running.get(path);
  if (startedAt === undefined) return queue;
  const running = new Map(queue.running);
  running.delete(path);
  const retry = new Map(queue.retry);
  retry.delete(path);
  const replicatedBelow = new Map(queue.replicatedBelow);
  replicatedBelow.set(path, Math.max(startedAt, replicatedBelow.get(path) ?? 0));
  return advance({ ...queue, running, retry, replicatedBelow });
}

/** A fetch that failed: its events stay pending, and the repository waits `retryDelay(attempt)` before the next try. */
export function fetchFailed(queue: ReplicationQueue, path: string, now: number, retryDelay: (attempt: number) => number): ReplicationQueue {
  if (!queue.running.has(path)) return queue;
  const running = new Map(queue.running);
  running.delete(path);
  const attempt = (queue.retry.get(path)?.attempt ?? 0) + 1;
  const retry = new Map(queue.retry);
  // Replicated meanwhile by a reconcile: nothing left for a retry to do.
  const below = queue.replicatedBelow.get(path) ?? 0;
  if (queue.events.some((event) => event.path === path && event.seq >= below)) retry.set(path, { attempt, at: now + retryDelay(attempt) });
  else retry.delete(path);
  return { ...queue, running, retry };
}

/**
 * A repository found replicated by something else than the queue's own fetch (a reconcile that compared it or
 * fetched it, started when `readBefore` events had been read): the events read before that are replicated, and
 * a retry waiting for them is moot.
 */
export function replicatedOutside(queue: ReplicationQueue, path: string, readBefore: number): ReplicationQueue {
  if (readBefore <= (queue.replicatedBelow.get(path) ?? 0)) return queue;
  const replicatedBelow = new Map(queue.replicatedBelow);
  replicatedBelow.set(path, readBefore);
  const retry = new Map(queue.retry);
  if (!queue.events.some((event) => event.path === path && event.seq >= readBefore)) retry.delete(path);
  return advance({ ...queue, replicatedBelow, retry });
}

/** The cursor moved past every leading event that is replicated, and no further. */
function advance(queue: ReplicationQueue): ReplicationQueue {
  let passed = 0;
  while (passed < queue.events.length) {
    const event = queue.events[passed]!;
    if (event.seq >= (queue.replicatedBelow.get(event.path) ?? 0)) break;
    passed++;
  }
  if (passed === 0) return queue;
  return { ...queue, cursor: queue.events[passed - 1]!.id, events: queue.events.slice(passed) };
}

/** The next try of a failing fetch: doubling from 1 s to 5 minutes, spread by `random` in [0, 1) so that many replicas do not retry together. */
export function retryDelayMs(attempt: number, random: number): number {
  const base = Math.min(1000 * 2 ** Math.max(0, attempt - 1), 300_000);
  return Math.round(base * (0.5 + random / 2));
}
