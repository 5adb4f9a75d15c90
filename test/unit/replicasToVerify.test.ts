import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { replicasToVerify } from '../../src/replicator/runReplicator.js';

const DAY = 24 * 3600 * 1000;
const paths = (n: number) => Array.from({ length: n }, (_, i) => `g/p${i}`);

test('a day of periodic reconciles verifies every replica about once: the share is count × interval / day, at least one', () => {
  assert.is(replicasToVerify(paths(1440), new Map(), 600_000).size, 10, '1,440 replicas, every 10 minutes: 10 a pass, 1,440 a day');
  assert.is(replicasToVerify(paths(3), new Map(), 600_000).size, 1, 'at least one');
  assert.is(replicasToVerify(paths(3), new Map(), DAY * 2).size, 3, 'never more than there are');
  assert.is(replicasToVerify([], new Map(), 600_000).size, 0);
});

test('the least recently verified first, never verified before all', () => {
  const verifiedAt = new Map([['g/p0', 300], ['g/p1', 100], ['g/p3', 200]]);
  assert.equal([...replicasToVerify(paths(4), verifiedAt, DAY / 2)], ['g/p2', 'g/p1']);
});

test.run();
