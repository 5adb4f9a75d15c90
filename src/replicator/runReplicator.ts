import type { FetchResult } from './fetchReplica.js';
import type { PrimaryApi } from './primaryApi.js';
import { type ReplicationQueue, emptyQueue, eventsRead, fetchFailed, fetchStarted, fetchSucceeded, fetchesToStart, replicatedOutside, retryDelayMs } from './replicationQueue.js';

export interface ReplicatorOptions {
  readonly api: PrimaryApi;
  /** One repository brought to the primary's state (fetchReplica, bound to this node's folder and credential); `recreate`: made anew, the old one moved aside. */
  readonly fetch: (repositoryPath: string, how?: { readonly recreate: boolean }) => Promise<FetchResult>;
  /**
   * Whether a replica is whole (every object its refs need is there: replicaIsSound). Refs alone cannot
   * tell a replica whose objects were lost, and a fetch into it "succeeds" on top of the hole. The periodic
   * reconciles look at a share of the replicas each, so that each is looked at about once a day.
   */
  readonly verify?: (repositoryPath: string) => Promise<boolean>;
  /** Replicas of repositories the primary no longer lists moved aside (moveUnlistedAside, bound to the folder): the paths moved. */
  readonly moveUnlisted: (listed: ReadonlySet<string>) => Promise<string[]>;
  /** Whether a replica already has the primary's refs (replicaInSync): a reconcile fetches only the others. None: fetch every one. */
  readonly inSync?: (repositoryPath: string) => Promise<boolean>;
  readonly concurrency: number;
  readonly reportIntervalMs: number;
  /** A reconcile again this often while the log is followed (lost events, replicas changed by hand). None: only at start and resync. */
  readonly reconcileIntervalMs?: number;
  readonly observer?: ReplicatorObserver;
  /** How long one long poll waits (contract: at most 30 s); also how long a stop may wait for it. */
  readonly pollSeconds: number;
  readonly log: (record: Record<string, unknown>) => void;
  readonly stopped: AbortSignal;
  /** The clock retries are timed by, in ms; monotonic by default, so that a clock stepped back delays no retry. */
  readonly now?: () => number;
  readonly random?: () => number;
}

/** What the replicator's metrics are made of; every call cheap and synchronous. */
export interface ReplicatorObserver {
  fetched(outcome: FetchResult['outcome'], seconds: number): void;
  reported(ok: boolean): void;
  /** Events read and not yet behind the cursor, and repositories waiting for a retry. */
  queue(eventsBehind: number, repositoriesFailing: number): void;
  reconciled(summary: { checked: number; fetched: number; failed: number; seconds: number }): void;
}

const PAGE = 1000;
/** Every replica verified about this often, spread over the periodic reconciles. */
const VERIFY_PERIOD_MS = 24 * 3600 * 1000;

/** The replicas to verify in one periodic reconcile (pure): the least recently verified, as many as spread one day's worth. */
export function replicasToVerify(paths: readonly string[], verifiedAt: ReadonlyMap<string, number>, reconcileIntervalMs: number): Set<string> {
  const budget = Math.min(paths.length, Math.max(1, Math.ceil((paths.length * reconcileIntervalMs) / VERIFY_PERIOD_MS)));
  const oldestFirst = [...paths].sort((a, b) => (verifiedAt.get(a) ?? 0) - (verifiedAt.get(b) ?? 0));
  return new Set(oldestFirst.slice(0, budget));
}

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
  // When each replica was last verified: kept across resyncs, so the share goes round.
  const verifiedAt = new Map<string, number>();
  while (!options.stopped.aborted) {
    const start = await untilAnswered(options, () => options.api.events({ after: '0', log: undefined, limit: 1, waitSeconds: 0 }));
    if (start === undefined) return;
    await report(options, { log: start.log, cursor: start.last, reconciling: true });
    const reconciled = await reconcile(options);
    if (reconciled === undefined) return;
    await report(options, { log: start.log, cursor: start.last, reconciling: false, ...reconciled });
    const resync = await follow(options, start.log, start.last, now, random, verifiedAt);
    if (!resync) return;
    options.log({ event: 'resync', message: "the primary's event log no longer holds this node's cursor: copying every repository again" });
  }
}

/**
 * Every repository the primary lists whose replica differs from it (or every one, without `inSync`) fetched,
 * `workers` at a time; the replicas of the others moved aside.
 */
/** What a reconcile beside the log tells the queue: a repository it found or made like the primary's, as of a mark. */
interface ReconcileHooks {
  /** Events read so far, before a repository's compare or fetch starts. */
  mark(): number;
  synced(path: string, mark: number): void;
}

async function reconcile(
  options: ReplicatorOptions,
  workers = options.concurrency,
  verifiedAt?: Map<string, number>,
  hooks?: ReconcileHooks,
): Promise<{ repositoriesSynced: number; repositoriesFailed: number; lastError?: string } | undefined> {
  const started = performance.now();
  let fetched = 0;
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
  const verifying =
    verifiedAt !== undefined && options.verify !== undefined && options.reconcileIntervalMs !== undefined
      ? replicasToVerify(repositories.map((repository) => repository.path), verifiedAt, options.reconcileIntervalMs)
      : new Set<string>();
  const worker = async () => {
    while (next < repositories.length && !options.stopped.aborted) {
      const { path } = repositories[next++]!;
      // The primary's refs move before its event is appended: what is compared or fetched after this mark
      // holds every event read before it.
      const mark = hooks?.mark() ?? 0;
      let recreate = false;
      if (options.inSync !== undefined && (await options.inSync(path).catch(() => false))) {
        if (!verifying.has(path)) {
          synced++;
          hooks?.synced(path, mark);
          continue;
        }
        verifiedAt!.set(path, Date.now());
        if (await options.verify!(path).catch(() => true)) {
          synced++;
          hooks?.synced(path, mark);
          continue;
        }
        options.log({ event: 'replica_broken', path, message: 'objects its refs need are missing: made again, the broken one moved under .removed' });
        recreate = true;
      }
      fetched++;
      const result = await fetchSafely(options, path, recreate);
      if (result.outcome === 'failed') {
        failed++;
        lastError = `${path}: ${result.reason}`;
        options.log({ event: 'fetch_failed', path, message: result.reason });
      } else {
        synced++;
        hooks?.synced(path, mark);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, workers) }, worker));
  options.observer?.reconciled({ checked: synced + failed, fetched, failed, seconds: (performance.now() - started) / 1000 });
  options.log({ event: 'reconciled', repositories: synced + failed, fetched, failed, seconds: Math.round(performance.now() - started) / 1000 });
  return { repositoriesSynced: synced, repositoriesFailed: failed, ...(lastError !== undefined && { lastError }) };
}

/** Follows the log from `after`; true when the primary says resync. */
async function follow(options: ReplicatorOptions, log: string, after: string, now: () => number, random: () => number, verifiedAt: Map<string, number>): Promise<boolean> {
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
    options.observer?.queue(queue.events.length, queue.retry.size);
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
  // The reconcile again, now and then, beside the log: it finds what an event lost in a failover, or a replica
  // changed by hand, left behind, and verifies a share of the replicas. Half the workers at most, so that the
  // pushes' own fetches keep their pace.
  let reconciling: Promise<unknown> | undefined;
  const periodic =
    options.reconcileIntervalMs === undefined
      ? undefined
      : setInterval(() => {
          if (reconciling !== undefined || options.stopped.aborted) return;
          reconciling = reconcile(options, Math.max(1, Math.floor(options.concurrency / 2)), verifiedAt, {
            mark: () => queue.read,
            synced: (path, mark) => {
              queue = replicatedOutside(queue, path, mark);
              if (queue.cursor !== reported) void sendReport();
            },
          }).finally(() => (reconciling = undefined));
        }, options.reconcileIntervalMs).unref();
  try {
    while (!options.stopped.aborted) {
      const page = await untilAnswered(options, () => options.api.events({ after: lastRead, log, limit: PAGE, waitSeconds: options.pollSeconds, signal: options.stopped }));
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
    clearInterval(periodic);
    clearTimeout(retryTimer);
    // No new fetch (schedule and the reconcile look at stopped); the running ones finish, then a last report.
    while (running.size > 0) await Promise.all([...running]);
    await reconciling;
    await sendReport();
  }
}

/** The fetch of each repository running, or queued behind one: one git at a time in a replica (the log's and the reconcile's). */
const fetching = new WeakMap<ReplicatorOptions, Map<string, Promise<unknown>>>();

/**
 * One repository's fetch, after any other of the same repository ends. One that threw (a folder it could not
 * make, a disk full) is a failed fetch, retried as any: never a stuck queue.
 */
function fetchSafely(options: ReplicatorOptions, path: string, recreate = false): Promise<FetchResult> {
  let chains = fetching.get(options);
  if (chains === undefined) fetching.set(options, (chains = new Map()));
  const before = chains.get(path) ?? Promise.resolve();
  const result = before.then(async () => {
    const started = performance.now();
    const outcome = await options.fetch(path, { recreate }).catch((error: unknown) => ({ outcome: 'failed' as const, reason: error instanceof Error ? error.message : String(error) }));
    options.observer?.fetched(outcome.outcome, (performance.now() - started) / 1000);
    return outcome;
  });
  chains.set(path, result);
  void result.finally(() => {
    if (chains.get(path) === result) chains.delete(path);
  });
  return result;
}

async function report(options: ReplicatorOptions, status: Parameters<PrimaryApi['reportStatus']>[0]): Promise<void> {
  try {
    await options.api.reportStatus(status);
    options.observer?.reported(true);
  } catch (error) {
    options.observer?.reported(false);
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
      // A long poll ended by the stop is no outage.
      if (options.stopped.aborted) return undefined;
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
