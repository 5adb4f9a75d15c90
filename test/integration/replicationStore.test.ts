import * as assert from 'uvu/assert';
import { MemoryReplicationStore } from '../../src/server/stores/memory/memoryReplicationStore.js';
import { RedisReplicationStore } from '../../src/server/stores/redis/redisReplicationStore.js';
import type { ReplicationStore } from '../../src/server/stores/replicationStore.js';
import { type RedisProcess, redisCommand, startRedis } from '../helpers/redis.js';
import { suiteNeeding } from '../helpers/tools.js';

/**
 * The event log and node statuses (contract section 11): the same tests
 * against the memory store and a real Redis.
 */
interface Kind {
  readonly name: string;
  readonly tools: string[];
  setUp(): Promise<void>;
  /** A store on a fresh log; `keep` small to see trimming. */
  open(keep?: { keepEvents: number; keepMs: number }): Promise<ReplicationStore>;
  /** The store's data lost (a restart of memory, a FLUSHALL of Redis). */
  lose(store: ReplicationStore): Promise<ReplicationStore>;
  tearDown(): Promise<void>;
}

let redis: RedisProcess | undefined;
const KINDS: Kind[] = [
  {
    name: 'memory',
    tools: [],
    setUp: async () => {},
    open: async (keep) => new MemoryReplicationStore(keep ?? {}),
    lose: async (store) => {
      await store.close();
      return new MemoryReplicationStore();
    },
    tearDown: async () => {},
  },
  {
    name: 'Redis',
    tools: ['redis-server'],
    setUp: async () => {
      redis = await startRedis();
    },
    open: async (keep) => {
      await redisCommand(redis!.port, 'FLUSHALL');
      const store = new RedisReplicationStore(redis!.url, keep ?? {});
      assert.ok(await store.ready());
      return store;
    },
    lose: async (store) => {
      await redisCommand(redis!.port, 'FLUSHALL');
      return store;
    },
    tearDown: async () => {
      await redis?.stop();
    },
  },
];

for (const kind of KINDS) {
  const test = suiteNeeding<{ stores: ReplicationStore[] }>(`the event log in ${kind.name}`, { tools: kind.tools, onlyInPass: 'bundle' }, { stores: [] });
  const open = async (context: { stores: ReplicationStore[] }, keep?: { keepEvents: number; keepMs: number }) => {
    const store = await kind.open(keep);
    context.stores.push(store);
    return store;
  };
  test.before(() => kind.setUp());
  test.after.each(async (context) => {
    await Promise.all(context.stores.map((store) => store.close()));
    context.stores = [];
  });
  test.after(() => kind.tearDown());

  test('appended events come back in order, from the oldest with after=0, then after a cursor, at most limit', async (context) => {
    const store = await open(context);
    const empty = await store.readEvents({ after: '0', log: undefined, limit: 100 });
    assert.equal([empty.events, empty.last, empty.resync], [[], '0', false]);
    assert.match(empty.log, /^[0-9A-Za-z-]{1,64}$/);
    const before = Date.now();
    const a = await store.append('project-1', 'geo/demo');
    const b = await store.append('project-7', 'group/project');
    const c = await store.append('project-1', 'geo/demo');
    for (const event of [a, b, c]) {
      assert.ok(store.isEventId(event.id), event.id);
      assert.ok(event.createdAt >= before - 1000 && event.createdAt <= Date.now() + 1000, 'created_at is the store clock, near now');
    }
    const all = await store.readEvents({ after: '0', log: empty.log, limit: 100 });
    assert.equal(all.events.map((event) => [event.id, event.glRepository, event.path]), [[a.id, 'project-1', 'geo/demo'], [b.id, 'project-7', 'group/project'], [c.id, 'project-1', 'geo/demo']]);
    assert.equal([all.last, all.log, all.resync], [c.id, empty.log, false]);
    assert.equal((await store.readEvents({ after: a.id, log: undefined, limit: 1 })).events.map((event) => event.id), [b.id]);
    assert.equal((await store.readEvents({ after: c.id, log: undefined, limit: 100 })).events, []);
  });

  test('resync: another log, a cursor beyond the end, a cursor behind what was trimmed; after=0 never', async (context) => {
    const store = await open(context, { keepEvents: 3, keepMs: 0 });
    const first = await store.append('project-1', 'geo/demo');
    const { log } = await store.readEvents({ after: '0', log: undefined, limit: 1 });
    assert.is((await store.readEvents({ after: '0', log: 'another-log', limit: 10 })).resync, true);
    const beyond = await store.readEvents({ after: first.id.replace(/^[0-9]+/, (ms) => String(Number(ms) + 1000)), log, limit: 10 });
    assert.equal([beyond.resync, beyond.events, beyond.last], [true, [], first.id]);
    // Enough appends that the store trims (Redis: every 100th append); each old enough (keepMs 0) once a millisecond passed.
    for (let i = 0; i < 200; i++) await store.append('project-1', 'geo/demo');
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (let i = 0; i < 100; i++) await store.append('project-1', 'geo/demo');
    const trimmed = await store.readEvents({ after: first.id, log, limit: 10 });
    assert.equal([trimmed.resync, trimmed.events.length], [true, 0]);
    const fromStart = await store.readEvents({ after: '0', log, limit: 1000 });
    assert.is(fromStart.resync, false);
    assert.ok(fromStart.events.length < 301 && fromStart.events.length >= 3, `trimmed to ${fromStart.events.length}`);
    assert.is.not(fromStart.events[0]!.id, first.id);
  });

  test('a long poll: woken by an append, ended by its time, ended at once when the server stops', async (context) => {
    const store = await open(context);
    const { last } = await store.readEvents({ after: '0', log: undefined, limit: 1 });
    let started = Date.now();
    const woken = store.waitForEvent(last, 10_000);
    setTimeout(() => void store.append('project-1', 'geo/demo'), 100);
    await woken;
    assert.ok(Date.now() - started < 5000, 'woken by the append');
    const { last: newest } = await store.readEvents({ after: '0', log: undefined, limit: 100 });
    started = Date.now();
    await store.waitForEvent(newest, 300);
    assert.ok(Date.now() - started >= 250, 'waited its time');
    started = Date.now();
    const stopped = store.waitForEvent(newest, 10_000);
    setTimeout(() => store.stopWaiting(), 100);
    await stopped;
    assert.ok(Date.now() - started < 5000, 'ended when the server stops');
  });

  test('a status and the pending events after its cursor, read in one snapshot by the store clock', async (context) => {
    const store = await open(context);
    const a = await store.append('project-1', 'geo/demo');
    const { log } = await store.readEvents({ after: '0', log: undefined, limit: 1 });
    await store.reportStatus(2, { log, cursor: '0', reconciling: false, repositoriesFailed: 1, lastError: 'geo/demo: fetch failed' });
    await store.append('project-1', 'geo/demo');
    await store.reportStatus(3, { log, cursor: a.id, reconciling: false });
    const snapshot = await store.snapshot([2, 3, 4]);
    assert.is(snapshot.log, log);
    assert.ok(Math.abs(snapshot.now - Date.now()) < 2000);
    const two = snapshot.nodes.get(2)!;
    assert.equal([two.pendingEvents, two.oldestPendingAt, two.status?.repositoriesFailed, two.status?.lastError, two.status?.cursor], [2, a.createdAt, 1, 'geo/demo: fetch failed', '0']);
    assert.ok(two.status!.reportedAt <= snapshot.now && two.status!.reportedAt > snapshot.now - 5000);
    assert.is(snapshot.nodes.get(3)!.pendingEvents, 1);
    assert.equal(snapshot.nodes.get(4), {});
    await store.reportStatus(3, { log: 'old-log', cursor: '0', reconciling: false });
    const other = (await store.snapshot([3])).nodes.get(3)!;
    assert.equal([other.status?.log, other.pendingEvents], ['old-log', undefined]);
  });

  test("a push's snapshot is taken before its own event, in the same step", async (context) => {
    const store = await open(context);
    const first = await store.append('project-1', 'geo/demo');
    const { log } = await store.readEvents({ after: '0', log: undefined, limit: 1 });
    await store.reportStatus(2, { log, cursor: first.id, reconciling: false });
    const { snapshot, event } = await store.snapshotThenAppend([2], 'project-7', 'group/project');
    assert.equal([snapshot.nodes.get(2)!.pendingEvents, snapshot.nodes.get(2)!.oldestPendingAt], [0, undefined]);
    assert.equal((await store.readEvents({ after: first.id, log, limit: 10 })).events.map((read) => read.id), [event.id]);
    assert.is((await store.snapshot([2])).nodes.get(2)!.pendingEvents, 1);
  });

  test("a static node's lag: a PUT kept in the store, a changed file wins back", async (context) => {
    const store = await open(context);
    await store.recordFileLags(new Map([[2, 42]]));
    await store.setStaticLag(2, 99);
    await store.recordFileLags(new Map([[2, 42]]));
    const kept = (await store.snapshot([2])).nodes.get(2)!.storedLag!;
    assert.equal([kept.lagSeconds, kept.fileLagSeconds], [99, 42]);
    assert.ok(kept.setAt! >= kept.fileSince!, 'the same file value again keeps its time: the PUT stays later');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.recordFileLags(new Map([[2, 43]]));
    const changed = (await store.snapshot([2])).nodes.get(2)!.storedLag!;
    assert.ok(changed.fileSince! > changed.setAt!, 'a changed file value is newer than the PUT');
  });

  test('a store that lost its data starts a new log, and an old cursor resyncs', async (context) => {
    let store = await open(context);
    const event = await store.append('project-1', 'geo/demo');
    const { log } = await store.readEvents({ after: '0', log: undefined, limit: 1 });
    store = await kind.lose(store);
    context.stores.push(store);
    const after = await store.readEvents({ after: event.id, log, limit: 10 });
    assert.is(after.resync, true);
    assert.is.not(after.log, log);
  });

  test.run();
}

/**
 * The appends' WAIT on a master with a replica: acknowledged while the
 * replica answers; while it is connected but silent, every append said to
 * be at risk and none waiting long (one WAIT answers every append sent before
 * it, so concurrent pushes do not queue behind one another's 250 ms).
 */
const replicated = suiteNeeding<{ master?: RedisProcess; replica?: RedisProcess; store?: RedisReplicationStore }>(
  'the event log on a Redis master with a replica',
  { tools: ['redis-server'], onlyInPass: 'bundle' },
  {},
);
replicated.before(async (context) => {
  context.master = await startRedis();
  context.replica = await startRedis(['--replicaof', '127.0.0.1', String(context.master.port)]);
  const linked = async () => /master_link_status:up/.test(await infoReplication(context.replica!.port));
  for (let i = 0; i < 100 && !(await linked()); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  context.store = new RedisReplicationStore(context.master.url);
  assert.ok(await context.store.ready());
});
replicated.after(async ({ master, replica, store }) => {
  replica?.signal('SIGCONT');
  await store?.close();
  await replica?.stop();
  await master?.stop();
});

/** INFO replication whole (redisCommand reads only the first line of an answer). */
async function infoReplication(port: number): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('INFO replication\r\n'));
    let data = '';
    const timer = setTimeout(() => socket.destroy(new Error('no answer')), 2000);
    socket.on('data', (chunk) => {
      data += chunk;
      const length = /^\$(\d+)\r\n/.exec(data);
      if (length && Buffer.byteLength(data) >= length[0].length + Number(length[1]) + 2) {
        clearTimeout(timer);
        socket.end();
        resolve(data);
      }
    });
    socket.on('error', reject);
  });
}

replicated('a replica that answers acknowledges every append, 40 at once', async ({ store }) => {
  const events = await Promise.all(Array.from({ length: 40 }, (_, i) => store!.append(`project-${i}`, `group/p${i}`)));
  assert.is(events.filter((event) => event.unacknowledged === true).length, 0, 'appends not acknowledged');
});

replicated('a replica connected but silent: 8 pushers appending for 1.5 s, each append said to be at risk, none failing or waiting long', async ({ store, replica }) => {
  replica!.signal('SIGSTOP');
  try {
    const until = Date.now() + 1500;
    const results: Array<{ unacknowledged: boolean; took: number } | { error: string }> = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        while (Date.now() < until) {
          const started = Date.now();
          try {
            const event = await store!.append(`project-${worker}`, `group/p${worker}`);
            results.push({ unacknowledged: event.unacknowledged === true, took: Date.now() - started });
          } catch (error) {
            results.push({ error: String(error) });
          }
        }
      }),
    );
    const failed = results.filter((result) => 'error' in result);
    assert.is(failed.length, 0, `appends failed: ${failed.length} of ${results.length}, ${'error' in (failed[0] ?? {}) ? (failed[0] as { error: string }).error : ''}`);
    const appended = results as Array<{ unacknowledged: boolean; took: number }>;
    assert.is(appended.filter((result) => !result.unacknowledged).length, 0, 'every append is said to be at risk');
    // Two WAITs of 250 ms at most, with room for a loaded machine.
    const slowest = Math.max(...appended.map((result) => result.took));
    assert.ok(slowest < 1500, `the slowest append took ${slowest} ms`);
  } finally {
    replica!.signal('SIGCONT');
  }
});

replicated.run();
