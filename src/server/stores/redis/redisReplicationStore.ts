import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type RedisConnection, openRedisClient } from './redisClient.js';
import { parseRedisTarget } from './redisTarget.js';
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

/** A Redis stream's own ids (`<ms>-<seq>`), or "0". */
const STREAM_EVENT_ID = /^(?:0|[0-9]{1,15}-[0-9]{1,19})$/;

/** Keys (contract section 11 leaves them to us; the prefix is the referrer store's). */
export const EVENTS_KEY = 'geo-hook:events';
export const EVENT_LOG_KEY = 'geo-hook:events:log';
/** The newest trimmed event's id: Redis 7.0's stream does not record it for XTRIM. */
export const EVENTS_TRIMMED_KEY = 'geo-hook:events:trimmed';
/** Events appended to this log, for pending counts without walking the stream. */
export const EVENTS_COUNT_KEY = 'geo-hook:events:count';
export const nodeStatusKey = (nodeId: number) => `geo-hook:node:${nodeId}:status`;
export const nodeLagKey = (nodeId: number) => `geo-hook:node:${nodeId}:lag`;
const LOG_KEYS = [EVENTS_KEY, EVENT_LOG_KEY, EVENTS_TRIMMED_KEY, EVENTS_COUNT_KEY];

/** How long an append waits for a replica to have it (WAIT 1 <ms>): bounded, so a push never waits long. */
export const APPEND_WAIT_MS = 250;
/** How often the number of replicas is looked at again (INFO replication). */
const REPLICAS_CHECKED_EVERY_MS = 5000;
/** One blocking read at a time per process wakes every long poll of that process. */
const BLOCK_MS = 10_000;

/**
 * The helpers every script shares. KEYS[1..4] are LOG_KEYS. A log whose id
 * key is gone (a Redis that lost its data) starts over, empty, with a new id.
 * Times are Redis's TIME, so every server on this Redis agrees.
 */
const LUA_COMMON = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function ensure_log(fresh)
  local log = redis.call('GET', KEYS[2])
  if not log then
    redis.call('DEL', KEYS[1], KEYS[3], KEYS[4])
    redis.call('SET', KEYS[2], fresh)
    log = fresh
  end
  return log
end
local function id_parts(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  if not ms then return 0, 0 end
  return tonumber(ms), tonumber(seq)
end
local function id_less(a, b)
  local am, as = id_parts(a)
  local bm, bs = id_parts(b)
  return am < bm or (am == bm and as < bs)
end
local function after_range(cursor)
  if cursor == '0' then return '-' end
  return '(' .. cursor
end
`;

/**
 * ARGV: fresh log id, gl_repository, path, events kept, ms kept. Trims now
 * and then (every 100th append, up to 1,000 events), only what is both
 * older than the time kept and beyond the count kept, and records the
 * newest trimmed id, so a cursor behind it resyncs.
 */
const APPEND_FN = `
local function append(fresh, repository, path, keep, keep_ms)
local now = now_ms()
local log = ensure_log(fresh)
local n = redis.call('INCR', KEYS[4])
local id = redis.call('XADD', KEYS[1], '*', 'r', repository, 'p', path, 'n', n)
if n % 100 == 0 then
  local excess = redis.call('XLEN', KEYS[1]) - tonumber(keep)
  if excess > 0 then
    local cutoff = string.format('%d-0', now - tonumber(keep_ms))
    local old = redis.call('XRANGE', KEYS[1], '-', '(' .. cutoff, 'COUNT', math.min(excess, 1000))
    if #old > 0 then
      local newest = old[#old][1]
      local ms, seq = id_parts(newest)
      redis.call('XTRIM', KEYS[1], 'MINID', string.format('%d-%d', ms, seq + 1))
      redis.call('SET', KEYS[3], newest)
    end
  end
end
return {log, id}
end
`;
const APPEND_LUA = `${LUA_COMMON}${APPEND_FN}
return append(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
`;

/** ARGV: fresh log id, after, log asked for ('' for the current), limit. */
const READ_LUA = `${LUA_COMMON}
local log = ensure_log(ARGV[1])
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local last = '0'
if #newest > 0 then last = newest[1][1] end
local after = ARGV[2]
local trimmed = redis.call('GET', KEYS[3])
if (ARGV[3] ~= '' and ARGV[3] ~= log) or id_less(last, after) or (after ~= '0' and trimmed and id_less(after, trimmed)) then
  return {log, last, 1, {}}
end
return {log, last, 0, redis.call('XRANGE', KEYS[1], after_range(after), '+', 'COUNT', tonumber(ARGV[4]))}
`;

/** KEYS[1]: the node's status hash. ARGV: log, cursor, reconciling, synced, failed, last error ('' when absent). */
const STATUS_LUA = `${LUA_COMMON}
local now = now_ms()
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'log', ARGV[1], 'cursor', ARGV[2], 'reconciling', ARGV[3], 'synced', ARGV[4], 'failed', ARGV[5], 'last_error', ARGV[6], 'reported_at', now)
return now
`;

/** KEYS[1]: the node's lag hash. ARGV: lag seconds. */
const STATIC_LAG_LUA = `${LUA_COMMON}
local now = now_ms()
redis.call('HSET', KEYS[1], 'lag', ARGV[1], 'set_at', now)
return now
`;

/** KEYS: the nodes' lag hashes; ARGV: their file lags, in the same order. A value that changed starts its time now. */
const FILE_LAGS_LUA = `${LUA_COMMON}
local now = now_ms()
for i = 1, #KEYS do
  if redis.call('HGET', KEYS[i], 'file_lag') ~= ARGV[i] then
    redis.call('HSET', KEYS[i], 'file_lag', ARGV[i], 'file_since', now)
  end
end
return now
`;

/**
 * KEYS[5..]: each node's status hash then its lag hash. Read only: a log
 * not yet started is '' (every status then names another log).
 */
const SNAPSHOT_FN = `
local function snapshot()
local now = now_ms()
local log = redis.call('GET', KEYS[2]) or ''
local count = tonumber(redis.call('GET', KEYS[4]) or '0')
local out = {now, log}
for i = 5, #KEYS, 2 do
  local status = redis.call('HGETALL', KEYS[i])
  local pending = {}
  local fields = {}
  for j = 1, #status, 2 do fields[status[j]] = status[j + 1] end
  if log ~= '' and fields.log == log and fields.cursor and (fields.cursor == '0' or string.match(fields.cursor, '^%d+%-%d+$')) then
    local first = redis.call('XRANGE', KEYS[1], after_range(fields.cursor), '+', 'COUNT', 1)
    if #first > 0 then
      local n = 0
      for j = 1, #first[1][2], 2 do if first[1][2][j] == 'n' then n = tonumber(first[1][2][j + 1]) end end
      local ms = id_parts(first[1][1])
      pending = {count - n + 1, ms}
    else
      pending = {0}
    end
  end
  table.insert(out, {status, redis.call('HGETALL', KEYS[i + 1]), pending})
end
return out
end
`;
const SNAPSHOT_LUA = `${LUA_COMMON}${SNAPSHOT_FN}
return snapshot()
`;

/** A push's answer: the snapshot its lag is computed from, then its event, atomically, in one round trip. ARGV as APPEND_LUA's. */
const SNAPSHOT_APPEND_LUA = `${LUA_COMMON}${SNAPSHOT_FN}${APPEND_FN}
local before = snapshot()
return {before, append(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])}
`;

type RawSnapshot = [number, string, ...Array<[string[], string[], number[]]>];

type Scripts = {
  geoHookRead(...args: string[]): Promise<[string, string, number, Array<[string, string[]]>]>;
  geoHookStatus(...args: string[]): Promise<number>;
  geoHookStaticLag(...args: string[]): Promise<number>;
  geoHookFileLags(keyCount: number, ...args: string[]): Promise<number>;
  geoHookSnapshot(keyCount: number, ...args: string[]): Promise<RawSnapshot>;
};

function defineScripts(redis: Redis): Redis & Scripts {
  redis.defineCommand('geoHookRead', { numberOfKeys: 4, lua: READ_LUA });
  redis.defineCommand('geoHookStatus', { numberOfKeys: 1, lua: STATUS_LUA });
  redis.defineCommand('geoHookStaticLag', { numberOfKeys: 1, lua: STATIC_LAG_LUA });
  redis.defineCommand('geoHookSnapshot', { lua: SNAPSHOT_LUA });
  redis.defineCommand('geoHookFileLags', { lua: FILE_LAGS_LUA });
  return redis as Redis & Scripts;
}

/** A script the append connection runs itself (not ioredis's, whose EVAL after NOSCRIPT it could not number). */
const appendScript = (lua: string) => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });
const APPEND_SCRIPT = appendScript(APPEND_LUA);
const SNAPSHOT_APPEND_SCRIPT = appendScript(SNAPSHOT_APPEND_LUA);

const freshLogId = () => randomBytes(8).toString('hex');

/** `<ms>-<seq>` ids in order (as Redis orders them); "0" first. */
export function streamIdLess(a: string, b: string): boolean {
  const [am = 0n, as = 0n] = a === '0' ? [] : a.split('-').map(BigInt);
  const [bm = 0n, bs = 0n] = b === '0' ? [] : b.split('-').map(BigInt);
  return am < bm || (am === bm && as < bs);
}

/**
 * The event log as a Redis stream shared by every serve on that Redis, and
 * the nodes' statuses and static lags beside it. Three connections of its
 * own: the shared one (every command bounded at 500 ms, like the referrer
 * store's), one for appends (followed by WAIT when the master has replicas,
 * which needs its own connection: WAIT waits for that connection's writes),
 * and one blocking read (XREAD BLOCK) that wakes every long poll of this
 * process, opened on the first wait.
 */
export class RedisReplicationStore implements ReplicationStore {
  readonly kind = 'redis';
  readonly #url: string;
  readonly #log: (record: Record<string, unknown>) => void;
  readonly #shared: RedisConnection;
  readonly #appender: RedisConnection;
  #blocking: RedisConnection | undefined;
  readonly #redis: Redis & Scripts;
  readonly #keepEvents: number;
  readonly #keepMs: number;
  #replicas = 0;
  #replicasCheckedAt = 0;
  /** Appends handed to the append connection so far, numbered in the order the connection sends them. */
  #writes = 0;
  /** The latest WAIT sent, and the appends it answers for. */
  #waitRound: { covers: number; acknowledged: Promise<number> } | undefined;
  /** Behind Sentinel, or once a replica was seen: an append no replica has is said to be at risk. */
  #expectReplicas: boolean;
  readonly #waiters = new EventWaiters<string>();
  /** Where the blocking read is: every event up to it has been seen. */
  #position: string | undefined;
  #looping = false;
  #stopped = false;

  constructor(url: string, options: { log?: (record: Record<string, unknown>) => void; commandTimeoutMs?: number; keepEvents?: number; keepMs?: number } = {}) {
    this.#url = url;
    this.#log = options.log ?? (() => {});
    const commandTimeoutMs = options.commandTimeoutMs ?? 500;
    this.#shared = openRedisClient(url, { commandTimeoutMs, log: this.#log, role: 'events' });
    this.#appender = openRedisClient(url, { commandTimeoutMs: commandTimeoutMs + APPEND_WAIT_MS, log: this.#log, role: 'events-append' });
    this.#redis = defineScripts(this.#shared.client);
    this.#keepEvents = options.keepEvents ?? KEEP_EVENTS;
    this.#keepMs = options.keepMs ?? KEEP_EVENTS_MS;
    this.#appender.client.on('ready', () => void this.#checkReplicas());
    const target = parseRedisTarget(url);
    this.#expectReplicas = !('error' in target) && target.kind === 'sentinel';
  }

  isEventId(text: string): boolean {
    return STREAM_EVENT_ID.test(text);
  }

  /** Waits until both connections are up, up to the connect timeout; a Redis away at start is no reason not to serve. */
  async ready(timeoutMs = 2000): Promise<boolean> {
    const one = (client: Redis) =>
      client.status === 'ready'
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => {
              client.off('ready', onReady);
              resolve(false);
            }, timeoutMs);
            const onReady = () => {
              clearTimeout(timer);
              resolve(true);
            };
            client.once('ready', onReady);
          });
    const [shared, appender] = await Promise.all([one(this.#shared.client), one(this.#appender.client)]);
    // The first pushes' appends know whether to wait for a replica.
    if (appender) await this.#checkReplicas();
    return shared && appender;
  }

  async append(glRepository: string, path: string): Promise<AppendedEvent> {
    if (Date.now() - this.#replicasCheckedAt > REPLICAS_CHECKED_EVERY_MS) void this.#checkReplicas();
    const { write, reply } = await this.#runAppend<[string, string]>(APPEND_SCRIPT, LOG_KEYS.length, [...LOG_KEYS, ...this.#appendArgs(glRepository, path)]);
    const [, id] = reply;
    return this.#replicated({ id, glRepository, path, createdAt: createdAt(id) }, write);
  }

  async snapshotThenAppend(nodeIds: readonly number[], glRepository: string, path: string): Promise<{ snapshot: ReplicationSnapshot; event: AppendedEvent }> {
    if (Date.now() - this.#replicasCheckedAt > REPLICAS_CHECKED_EVERY_MS) void this.#checkReplicas();
    const keys = nodeKeys(nodeIds);
    const { write, reply } = await this.#runAppend<[RawSnapshot, [string, string]]>(SNAPSHOT_APPEND_SCRIPT, LOG_KEYS.length + keys.length, [
      ...LOG_KEYS,
      ...keys,
      ...this.#appendArgs(glRepository, path),
    ]);
    const [raw, [, id]] = reply;
    return { snapshot: toSnapshot(nodeIds, raw), event: await this.#replicated({ id, glRepository, path, createdAt: createdAt(id) }, write) };
  }

  /**
   * An append script on the append connection, numbered as the connection sends it (see #acknowledged). A Redis
   * without the script (a promoted replica, SCRIPT FLUSH) gets it whole, as a write of its own number.
   */
  async #runAppend<T>(script: { lua: string; sha: string }, keyCount: number, args: string[]): Promise<{ write: number; reply: T }> {
    const client = this.#appender.client;
    const write = ++this.#writes;
    try {
      return { write, reply: (await client.evalsha(script.sha, keyCount, ...args)) as T };
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    }
    const retry = ++this.#writes;
    return { write: retry, reply: (await client.eval(script.lua, keyCount, ...args)) as T };
  }

  #appendArgs(glRepository: string, path: string): string[] {
    return [freshLogId(), glRepository, path, String(this.#keepEvents), String(this.#keepMs)];
  }

  async #replicated(event: ReplicationEvent, write: number): Promise<AppendedEvent> {
    // No replica connected where one is expected (its link is down): no wait that could only time out, but the
    // event is at risk, and said to be.
    if (this.#replicas === 0) return this.#expectReplicas ? { ...event, unacknowledged: true } : event;
    // Redis replicates asynchronously: a failover could promote a replica without this event. WAIT (bounded) makes it
    // very likely there; a replica that did not say so in time is reported, and the secondaries' reconcile covers it.
    return (await this.#acknowledged(write)) >= 1 ? event : { ...event, unacknowledged: true };
  }

  /**
   * How many replicas have the append numbered `write`. WAIT blocks its connection, so one WAIT per append would
   * queue the pushes behind one another, 250 ms each while a replica is silent. Instead, one WAIT answers every
   * append sent before it on the connection (group commit): an append joins the latest WAIT when that one was sent
   * after it, or sends a new one. A push so waits for at most two WAITs.
   */
  #acknowledged(write: number): Promise<number> {
    const round = this.#waitRound;
    if (round !== undefined && round.covers >= write) return round.acknowledged;
    // Every append numbered up to #writes was handed to the connection before this WAIT is.
    const next = { covers: this.#writes, acknowledged: this.#appender.client.wait(1, APPEND_WAIT_MS).then(Number, () => 0) };
    this.#waitRound = next;
    return next.acknowledged;
  }

  async readEvents(query: EventQuery): Promise<EventPage> {
    const [log, last, resync, entries] = await this.#redis.geoHookRead(...LOG_KEYS, freshLogId(), query.after, query.log ?? '', String(query.limit));
    return { log, last, resync: resync === 1, events: entries.map(toEvent) };
  }

  waitForEvent(after: string, ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    // The blocking read has seen an event newer than this cursor: the caller reads again at once.
    if (this.#position !== undefined && streamIdLess(after, this.#position)) return Promise.resolve();
    const woken = this.#waiters.wait(after, ms);
    if (this.#position === undefined || streamIdLess(after, this.#position)) this.#position = after;
    void this.#follow();
    return woken;
  }

  async reportStatus(nodeId: number, report: StatusReport): Promise<void> {
    await this.#redis.geoHookStatus(
      nodeStatusKey(nodeId),
      report.log,
      report.cursor,
      report.reconciling ? '1' : '0',
      report.repositoriesSynced === undefined ? '' : String(report.repositoriesSynced),
      report.repositoriesFailed === undefined ? '' : String(report.repositoriesFailed),
      report.lastError ?? '',
    );
  }

  async snapshot(nodeIds: readonly number[]): Promise<ReplicationSnapshot> {
    const keys = nodeKeys(nodeIds);
    return toSnapshot(nodeIds, await this.#redis.geoHookSnapshot(LOG_KEYS.length + keys.length, ...LOG_KEYS, ...keys));
  }

  async setStaticLag(nodeId: number, lagSeconds: number): Promise<void> {
    await this.#redis.geoHookStaticLag(nodeLagKey(nodeId), String(lagSeconds));
  }

  async recordFileLags(lags: ReadonlyMap<number, number>): Promise<void> {
    if (lags.size === 0) return;
    const entries = [...lags];
    await this.#redis.geoHookFileLags(entries.length, ...entries.map(([nodeId]) => nodeLagKey(nodeId)), ...entries.map(([, lag]) => String(lag)));
  }

  stopWaiting(): void {
    this.#stopped = true;
    this.#waiters.wake();
    this.#blocking?.close();
  }

  async close(): Promise<void> {
    this.stopWaiting();
    this.#shared.close();
    this.#appender.close();
  }

  async #checkReplicas(): Promise<void> {
    this.#replicasCheckedAt = Date.now();
    try {
      // Asked on the appends' own connection: the server they go to, whichever Sentinel named last.
      const info = await this.#appender.client.info('replication');
      this.#replicas = Number(/^connected_slaves:(\d+)\r?$/m.exec(info)?.[1] ?? 0);
      if (this.#replicas > 0) this.#expectReplicas = true;
    } catch {
      // Redis away: the count stays as it was, and is asked again soon.
    }
  }

  /** One XREAD BLOCK loop while anyone waits: each new event wakes the waits it answers. */
  async #follow(): Promise<void> {
    if (this.#looping) return;
    this.#looping = true;
    this.#blocking ??= openRedisClient(this.#url, { commandTimeoutMs: undefined, log: this.#log, role: 'events-wait' });
    try {
      while (this.#waiters.size > 0 && !this.#stopped) {
        const from = this.#position ?? '0';
        let answer;
        try {
          answer = (await this.#blocking.client.xread('COUNT', 1, 'BLOCK', BLOCK_MS, 'STREAMS', EVENTS_KEY, from)) as Array<[string, Array<[string, string[]]>]> | null;
        } catch {
          // Redis away or the connection cut: the waits end by their own timers; try again shortly.
          await new Promise((resolve) => setTimeout(resolve, 500));
          continue;
        }
        const id = answer?.[0]?.[1]?.[0]?.[0];
        if (id === undefined) continue;
        this.#position = id;
        this.#waiters.wake((after) => streamIdLess(after, id));
      }
    } finally {
      this.#looping = false;
      // Nobody waits: the next wait starts from its own cursor.
      if (this.#waiters.size === 0) this.#position = undefined;
    }
  }
}

function nodeKeys(nodeIds: readonly number[]): string[] {
  return nodeIds.flatMap((nodeId) => [nodeStatusKey(nodeId), nodeLagKey(nodeId)]);
}

function toSnapshot(nodeIds: readonly number[], [now, log, ...perNode]: RawSnapshot): ReplicationSnapshot {
  const nodes = new Map<number, NodeSnapshot>();
  nodeIds.forEach((nodeId, index) => {
    const [statusFields, lagFields, pending] = perNode[index]!;
    const status = toStatus(fieldsOf(statusFields));
    const storedLag = toStoredLag(fieldsOf(lagFields));
    nodes.set(nodeId, {
      ...(status && { status }),
      ...(pending.length > 0 && { pendingEvents: Math.max(0, pending[0]!) }),
      ...(pending.length > 1 && { oldestPendingAt: pending[1]! }),
      ...(storedLag && { storedLag }),
    });
  });
  return { now, log, nodes };
}

function createdAt(id: string): number {
  return Number(id.split('-')[0]);
}

function toEvent([id, fields]: [string, string[]]): ReplicationEvent {
  const values = fieldsOf(fields);
  return { id, glRepository: values.r ?? '', path: values.p ?? '', createdAt: createdAt(id) };
}

function fieldsOf(flat: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}

function toStatus(fields: Record<string, string>): NodeStatus | undefined {
  if (fields.log === undefined || fields.cursor === undefined || fields.reported_at === undefined) return undefined;
  const count = (text: string | undefined) => (text === undefined || text === '' ? undefined : Number(text));
  return {
    log: fields.log,
    cursor: fields.cursor,
    reconciling: fields.reconciling === '1',
    repositoriesSynced: count(fields.synced),
    repositoriesFailed: count(fields.failed),
    lastError: fields.last_error === '' ? undefined : fields.last_error,
    reportedAt: Number(fields.reported_at),
  };
}

function toStoredLag(fields: Record<string, string>): StoredLag | undefined {
  const number = (text: string | undefined) => (text === undefined || !/^[0-9]{1,15}$/.test(text) ? undefined : Number(text));
  const lag = {
    lagSeconds: number(fields.lag),
    setAt: number(fields.set_at),
    fileLagSeconds: number(fields.file_lag),
    fileSince: number(fields.file_since),
  };
  return Object.values(lag).every((value) => value === undefined) ? undefined : lag;
}
