import type { FetchResult } from './fetchReplica.js';
import type { PrimaryApi } from './primaryApi.js';
import { type ReplicationQueue, emptyQueue, eventsRead, fetchFailed, fetchStarted, fetchSucceeded, fetchesToStart, retryDelayMs } from './replicationQueue.js';

export interface ReplicatorOptions {
  readonly api: PrimaryApi;
  /** One repository brought to the primary's state (fetchReplica, bound to this node's folder and credential). */
  readonly fetch: (repositoryPath: string) => Promise<FetchResult>;
  /** Replicas of repositories the primary no longer lists moved aside (moveUnlistedAside, bound to the folder): the paths moved. */
  readonly moveUnlisted: (listed: ReadonlySet<string>) => Promise<string[]>;
  readonly concurrency: number;
  readonly reportIntervalMs: number;
  /** How long one long poll waits (contract: at most 30 s); also how long a stop may wait for it. */
  readonly pollSeconds: number;
  readonly log: (record: Record<string, unknown>) => void;
  readonly stopped: AbortSignal;
  /** The clock retries are timed by, in ms; monotonic by default, so that a clock stepped back delays no retry. */
  readonly now?: () => number;
  readonly random?: () => number;
}

const PAGE = 1000;

/**
 * A secondary's replication (contract section 12): a reconcile (every
 * repository the primary lists, fetched), then the event log followed with
 * long polls, each changed repository fetched once for many events, the
 * cursor reported after each batch and every report interval. A resync
 * starts over with a reconcile. Ends when `stopped` is aborted: no new
 * fetch, the running ones finish, a last report.
 */
export async function runReplicator(options: ReplicatorOptions): Promise<void> {
  const now = options.now ?? (() => performance.now());
  const random = options.random ?? Math.random;
  while (!options.stopped.aborted) {
    const start = await untilAnswered(options, () => options.api.events({ after: '0', log: undefined, limit: 1, waitSeconds: 0 }));
    if (start === undefined) return;
    await report(options, { log: start.log, cursor: start.last, reconciling: true });
    const reconciled = await reconcile(options);
    if (reconciled === undefined) return;
    await report(options, { log: start.log, cursor: start.last, reconciling: false, ...reconciled });
    const resync = await follow(options, start.log, start.last, now, random);
    if (!resync) return;
    options.log({ event: 'resync', message: "the primary's event log no longer holds this node's cursor: copying every repository again" });
  }
}

/** Every repository the primary lists, fetched, `concurrency` at a time; the replicas of the others moved aside. */
async function reconcile(options: ReplicatorOptions): Promise<{ repositoriesSynced: number; repositoriesFailed: number; lastError?: string } | undefined> {
  const repositories = await untilAnswered(options, () => options.api.repositories());
  if (repositories === undefined) return undefined;
  try {
    for (const path of await options.moveUnlisted(new Set(repositories.map((repository) => repository.path)))) {
      options.log({ event: 'replica_moved_aside', path, message: 'the primary no longer lists this repository: its replica was moved under .removed' });
    }
  } catch (error) {
    options.log({ event: 'move_aside_failed', message: error instanceof Error ? error.message : String(error) });
  }
  let next = 0;
  let synced = 0;
  let failed = 0;
  let lastError: string | undefined;
  const worker = async () => {
    while (next < repositories.length && !options.stopped.aborted) {
      const { path } = repositories[next++]!;
      const result = await fetchSafely(options, path);
      if (result.outcome === 'failed') {
        failed++;
        lastError = `${path}: ${result.reason}`;
        options.log({ event: 'fetch_failed', path, message: result.reason });
      } else synced++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return { repositoriesSynced: synced, repositoriesFailed: failed, ...(lastError !== undefined && { lastError }) };
}

/** Follows the log from `after`; true when the primary says resync. */
async function follow(options: ReplicatorOptions, log: string, after: string, now: () => number, random: () => number): Promise<boolean> {
  let queue: ReplicationQueue = emptyQueue(after);
  let lastRead = after;
  let reported = after;
  let lastError: string | undefined;
  const running = new Set<Promise<void>>();
  let retryTimer: NodeJS.Timeout | undefined;
  let reporting: Promise<void> = Promise.resolve();
  const sendReport = () => {
    const status = { log, cursor: queue.cursor, reconciling: false, repositoriesFailed: queue.retry.size, ...(lastError !== undefined && queue.retry.size > 0 && { lastError }) };
    reported = queue.cursor;
    reporting = reporting.then(() => report(options, status));
    return reporting;
  };
  const schedule = () => {
    if (options.stopped.aborted) return;
    for (const path of fetchesToStart(queue, { now: now(), concurrency: options.concurrency })) {
      queue = fetchStarted(queue, path);
      const job = fetchSafely(options, path).then((result) => {
        if (result.outcome === 'failed') {
          lastError = `${path}: ${result.reason}`;
          options.log({ event: 'fetch_failed', path, message: result.reason });
          queue = fetchFailed(queue, path, now(), (attempt) => retryDelayMs(attempt, random()));
        } else queue = fetchSucceeded(queue, path);
        running.delete(job);
        // After each batch: the cursor moved.
        if (queue.cursor !== reported) void sendReport();
        schedule();
      });
      running.add(job);
    }
    armRetry();
  };
  // The next retry still ahead, looked for after every schedule: a timer that fired a little early, or a clock
  // that says so, arms the next one instead of leaving a failing repository untried for ever. A retry already
  // due that found no room starts when a running fetch ends.
  const armRetry = () => {
    clearTimeout(retryTimer);
    const at = now();
    const ahead = [...queue.retry].filter(([path, retry]) => retry.at > at && !queue.running.has(path)).map(([, retry]) => retry.at);
    if (ahead.length > 0) retryTimer = setTimeout(schedule, Math.min(...ahead) - at).unref();
  };
  const heartbeat = setInterval(() => void sendReport(), options.reportIntervalMs).unref();
  try {
    while (!options.stopped.aborted) {
      const page = await untilAnswered(options, () => options.api.events({ after: lastRead, log, limit: PAGE, waitSeconds: options.pollSeconds }));
      if (page === undefined) break;
      if (page.resync) return true;
      if (page.events.length === 0) continue;
      queue = eventsRead(queue, page.events);
      lastRead = page.events.at(-1)!.id;
      schedule();
    }
    return false;
  } finally {
    clearInterval(heartbeat);
    clearTimeout(retryTimer);
    // No new fetch (schedule looks at stopped); the running ones finish, then a last report.
    while (running.size > 0) await Promise.all([...running]);
    await sendReport();
  }
}

/** A fetch that threw (a folder it could not make, a disk full) is a failed fetch, retried as any: never a stuck queue. */
function fetchSafely(options: ReplicatorOptions, path: string): Promise<FetchResult> {
  return options.fetch(path).catch((error: unknown) => ({ outcome: 'failed' as const, reason: error instanceof Error ? error.message : String(error) }));
}

async function report(options: ReplicatorOptions, status: Parameters<PrimaryApi['reportStatus']>[0]): Promise<void> {
  try {
    await options.api.reportStatus(status);
  } catch (error) {
    // The primary shows this node unknown once its last status is old: the next report says the truth again.
    options.log({ event: 'report_failed', message: error instanceof Error ? error.message : String(error) });
  }
}

/** Calls the API until it answers or the replicator stops: the primary away is waited out, with backoff, said once per outage. */
async function untilAnswered<T>(options: ReplicatorOptions, call: () => Promise<T>): Promise<T | undefined> {
  let attempt = 0;
  let said: string | undefined;
  while (!options.stopped.aborted) {
    try {
      const answer = await call();
      if (said !== undefined) options.log({ event: 'primary_back', message: 'the primary answers again' });
      return answer;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== said) options.log({ event: 'primary_unreachable', message });
      said = message;
      attempt++;
      await sleep(Math.min(500 * 2 ** (attempt - 1), 10_000), options.stopped);
    }
  }
  return undefined;
}

function sleep(ms: number, stopped: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    stopped.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      stopped.removeEventListener('abort', done);
      resolve();
    }
  });
}
