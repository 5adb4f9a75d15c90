import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryReferrerStore } from '../../src/server/stores/memory/memoryReferrerStore.js';

test('a correlation entry is taken once', async () => {
  const store = new MemoryReferrerStore();
  await store.putCorrelation('c1', 2);
  const [first, second] = await Promise.all([store.takeCorrelation('c1'), store.takeCorrelation('c1')]);
  assert.equal([first, second].sort(), [2, undefined].sort());
});

test('entries expire after their time', async () => {
  let now = 0;
  const store = new MemoryReferrerStore({ now: () => now, ttlSeconds: 300 });
  await store.putCorrelation('c1', 2);
  await store.putLegacy('key-1', 'project-1', 3);
  now = 299_999;
  assert.is(await store.takeCorrelation('c1'), 2);
  now = 300_000;
  assert.is(await store.takeLegacy('key-1', 'project-1'), undefined);
});

test('expired entries are dropped as others arrive, and the store is bounded', async () => {
  let now = 0;
  const store = new MemoryReferrerStore({ now: () => now, ttlSeconds: 1, maxEntries: 3 });
  for (let i = 0; i < 10; i++) await store.putCorrelation(`c${i}`, 2);
  assert.is(store.size, 3);
  assert.is(await store.takeCorrelation('c9'), 2);
  now = 5_000;
  await store.putCorrelation('late', 4);
  assert.is(store.size, 1);
});

test("legacy take is upstream's read then delete: two takers can both read", async () => {
  const store = new MemoryReferrerStore();
  await store.putLegacy('key-42', 'project-7', 2);
  const both = await Promise.all([store.takeLegacy('key-42', 'project-7'), store.takeLegacy('key-42', 'project-7')]);
  assert.equal(both, [2, 2]);
  assert.is(await store.takeLegacy('key-42', 'project-7'), undefined);
});

test('legacy keys are per actor and repository; a second push overwrites the first', async () => {
  const store = new MemoryReferrerStore();
  await store.putLegacy('key-42', 'project-7', 2);
  await store.putLegacy('key-42', 'project-7', 3);
  await store.putLegacy('key-43', 'project-7', 4);
  assert.is(await store.takeLegacy('key-42', 'project-7'), 3);
  assert.is(await store.takeLegacy('key-43', 'project-7'), 4);
});

test('replies are remembered', async () => {
  const store = new MemoryReferrerStore();
  await store.rememberReply('k', '{"x":1}');
  assert.is(await store.recallReply('k'), '{"x":1}');
  assert.is(await store.recallReply('other'), undefined);
});

test('sizes: entries held now, expired ones not counted; every eviction counted and the first logged', async () => {
  let now = 0;
  const logged: Array<Record<string, unknown>> = [];
  const store = new MemoryReferrerStore({ now: () => now, ttlSeconds: 10, maxEntries: 3, log: (record) => logged.push(record) });
  assert.equal(await store.sizes(), { entries: 0, evictions: 0 });
  for (let i = 0; i < 3; i++) await store.putCorrelation(`c${i}`, 2);
  assert.equal([await store.sizes(), logged], [{ entries: 3, evictions: 0 }, []]);
  await store.putCorrelation('c3', 2);
  await store.rememberReply('r', '{}');
  assert.equal(await store.sizes(), { entries: 3, evictions: 2 });
  assert.equal(logged, [{ event: 'referrer_store_full', max_entries: 3, evictions: 1 }]);
  now = 10_000;
  assert.equal(await store.sizes(), { entries: 0, evictions: 2 });
});

test.run();
