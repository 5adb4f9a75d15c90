import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emptyQueue, eventsRead, fetchFailed, fetchStarted, fetchSucceeded, fetchesToStart, replicatedOutside, retryDelayMs } from '../../src/replicator/replicationQueue.js';

const NOW = 1_800_000_000_000;
const page = (...pairs: Array<[string, string]>) => pairs.map(([id, path]) => ({ id, path }));
const start = (queue: ReturnType<typeof emptyQueue>, ...paths: string[]) => paths.reduce(fetchStarted, queue);
const ids = (queue: ReturnType<typeof emptyQueue>) => queue.events.map((event) => event.id);

test('one fetch for many events of one repository, oldest first, at most concurrency at a time', () => {
  const queue = eventsRead(emptyQueue('0'), page(['1', 'a/x'], ['2', 'b/y'], ['3', 'a/x'], ['4', 'c/z'], ['5', 'd/w']));
  assert.equal(fetchesToStart(queue, { now: NOW, concurrency: 3 }), ['a/x', 'b/y', 'c/z']);
  const running = start(queue, 'a/x', 'b/y');
  assert.equal(fetchesToStart(running, { now: NOW, concurrency: 3 }), ['c/z'], 'one slot left, the running ones not again');
  assert.equal(fetchesToStart(start(running, 'c/z'), { now: NOW, concurrency: 3 }), []);
});

test('the cursor passes only events whose repository is replicated, in log order', () => {
  let queue = start(eventsRead(emptyQueue('0'), page(['1', 'a/x'], ['2', 'b/y'], ['3', 'a/x'])), 'a/x', 'b/y');
  queue = fetchSucceeded(queue, 'b/y');
  assert.is(queue.cursor, '0', 'event 1 (a/x) is still being fetched: nothing passed');
  assert.equal(ids(queue), ['1', '2', '3']);
  queue = fetchSucceeded(queue, 'a/x');
  assert.is(queue.cursor, '3');
  assert.equal(ids(queue), []);
});

test('an event read while its repository is being fetched needs another fetch: the running one may predate its push', () => {
  let queue = start(eventsRead(emptyQueue('0'), page(['1', 'a/x'])), 'a/x');
  queue = eventsRead(queue, page(['2', 'a/x']));
  assert.equal(fetchesToStart(queue, { now: NOW, concurrency: 4 }), [], 'not twice at once');
  queue = fetchSucceeded(queue, 'a/x');
  assert.is(queue.cursor, '1');
  assert.equal(fetchesToStart(queue, { now: NOW, concurrency: 4 }), ['a/x']);
  queue = fetchSucceeded(start(queue, 'a/x'), 'a/x');
  assert.is(queue.cursor, '2');
});

test('a failed fetch keeps its events pending and waits for its retry; the others go on, the cursor stops before it', () => {
  let queue = start(eventsRead(emptyQueue('0'), page(['1', 'b/y'], ['2', 'a/x'], ['3', 'b/y'])), 'b/y', 'a/x');
  queue = fetchFailed(queue, 'b/y', NOW, () => 4000);
  queue = fetchSucceeded(queue, 'a/x');
  assert.is(queue.cursor, '0');
  assert.equal(ids(queue), ['1', '2', '3']);
  assert.equal(queue.retry.get('b/y'), { attempt: 1, at: NOW + 4000 });
  assert.equal(fetchesToStart(queue, { now: NOW + 3999, concurrency: 4 }), []);
  assert.equal(fetchesToStart(queue, { now: NOW + 4000, concurrency: 4 }), ['b/y']);
  queue = fetchFailed(start(queue, 'b/y'), 'b/y', NOW + 4000, (attempt) => attempt * 1000);
  assert.equal(queue.retry.get('b/y'), { attempt: 2, at: NOW + 6000 }, 'attempts counted in a row');
  queue = fetchSucceeded(start(queue, 'b/y'), 'b/y');
  assert.is(queue.cursor, '3');
  assert.is(queue.retry.has('b/y'), false, 'a success forgets the failures');
});

test('a result for a fetch that is not running changes nothing', () => {
  const queue = eventsRead(emptyQueue('7'), page(['8', 'a/x']));
  assert.is(fetchSucceeded(queue, 'a/x'), queue);
  assert.is(fetchFailed(queue, 'a/x', NOW, () => 1), queue);
  assert.is(eventsRead(queue, []), queue);
});

test('retry delays: doubling from 1 s, at most 5 minutes, spread between half and all of it', () => {
  assert.equal([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, 0.999999)), [1000, 2000, 4000, 8000]);
  assert.is(retryDelayMs(1, 0), 500);
  assert.is(retryDelayMs(30, 0.999999), 300_000);
  assert.is(retryDelayMs(1000, 0), 150_000);
});

test('a reconcile that found a repository replicated covers the events read before it began, and ends a retry waiting for them', () => {
  let queue = start(eventsRead(emptyQueue('0'), page(['1', 'a/x'], ['2', 'b/y'])), 'a/x', 'b/y');
  queue = fetchFailed(queue, 'a/x', NOW, () => 60_000);
  queue = fetchSucceeded(queue, 'b/y');
  assert.is(queue.cursor, '0');
  const mark = queue.read;
  queue = eventsRead(queue, page(['3', 'a/x']));
  queue = replicatedOutside(queue, 'a/x', mark);
  assert.is(queue.cursor, '2', 'events 1 and 2 behind the cursor; 3, read after the reconcile began, not');
  assert.ok(queue.retry.has('a/x'), 'event 3 still needs a fetch: the retry stays');
  queue = replicatedOutside(queue, 'a/x', queue.read);
  assert.equal([queue.cursor, queue.retry.has('a/x')], ['3', false]);
  assert.is(replicatedOutside(queue, 'a/x', 1), queue, 'an older mark changes nothing');
});

test('a fetch that fails after a reconcile replicated its events leaves no retry behind (the node is not shown failing)', () => {
  let queue = start(eventsRead(emptyQueue('0'), page(['1', 'a/x'])), 'a/x');
  queue = replicatedOutside(queue, 'a/x', queue.read);
  queue = fetchFailed(queue, 'a/x', NOW, () => 60_000);
  assert.equal([queue.cursor, queue.retry.size, queue.running.size], ['1', 0, 0]);
});

test.run();
