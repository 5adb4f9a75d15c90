import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeSecretProblem } from '../../src/server/nodeSecrets.js';
import { validateEventsQuery, validateStatusReport } from '../../src/server/validateReplication.js';

const decimal = (text: string) => /^(?:0|[1-9][0-9]*)$/.test(text);
const query = (text: string) => validateEventsQuery(new URLSearchParams(text), decimal);

test('events query: defaults, bounds, one form', () => {
  assert.equal(query(''), { after: '0', log: undefined, limit: 100, waitSeconds: 0 });
  assert.equal(query('after=12&log=ab-9&limit=1000&wait=30'), { after: '12', log: 'ab-9', limit: 1000, waitSeconds: 30 });
  for (const bad of ['after=x', 'after=1-2', 'limit=0', 'limit=1001', 'limit=1.5', 'wait=31', 'wait=-1', 'log=a_b', `log=${'a'.repeat(65)}`, 'after=1&after=2']) {
    assert.ok('error' in query(bad), bad);
  }
});

test('status: the node is the credential\'s; the body names it or says nothing', () => {
  const good = { log: 'log-1', cursor: '5' };
  assert.equal(validateStatusReport(good, 2, decimal), { log: 'log-1', cursor: '5', reconciling: false, repositoriesSynced: undefined, repositoriesFailed: undefined, lastError: undefined });
  assert.equal(validateStatusReport({ ...good, geo_node_id: 2, reconciling: true, repositories_synced: 3, repositories_failed: 1, last_error: 'fetch failed' }, 2, decimal), {
    log: 'log-1',
    cursor: '5',
    reconciling: true,
    repositoriesSynced: 3,
    repositoriesFailed: 1,
    lastError: 'fetch failed',
  });
  assert.equal(validateStatusReport({ ...good, geo_node_id: 3 }, 2, decimal), { error: 'geo_node_id 3 is not the node this credential is for', status: 403 });
  for (const bad of [{ cursor: '5' }, { log: 'log-1' }, { ...good, cursor: 'x' }, { ...good, reconciling: 'yes' }, { ...good, repositories_failed: -1 }, { ...good, last_error: 5 }, []]) {
    const verdict = validateStatusReport(bad, 2, decimal);
    assert.ok('error' in verdict && verdict.status === 400, JSON.stringify(bad));
  }
  const long = validateStatusReport({ ...good, last_error: 'x'.repeat(5000) }, 2, decimal);
  assert.is('lastError' in long && long.lastError?.length, 1000);
});

test("node secrets: refused when empty, world-readable, the hook's, the front-end token's, or another node's", () => {
  const file = (nodeId: number, secret: string, mode = 0o640) => ({ nodeId, file: `/etc/geo-hook/node-${nodeId}.secret`, secret, mode });
  assert.is(nodeSecretProblem([file(2, 'a'.repeat(32)), file(3, 'b'.repeat(32))], 'hook-secret', 'front-token'), undefined);
  assert.is(nodeSecretProblem([file(2, '')], 'h', undefined), 'node 2\'s secret file /etc/geo-hook/node-2.secret is empty');
  assert.match(nodeSecretProblem([file(2, 's2', 0o644)], 'h', undefined)!, /^node 2's secret file \/etc\/geo-hook\/node-2.secret can be read by every user/);
  assert.match(nodeSecretProblem([file(2, 'hook-secret')], 'hook-secret', undefined)!, /holds the hook's secret/);
  assert.match(nodeSecretProblem([file(2, 'front-token')], 'h', 'front-token')!, /holds the front-end token/);
  assert.match(nodeSecretProblem([file(2, 'same'), file(3, 'same')], 'h', undefined)!, /^node 3's secret file .* holds the same secret as node 2's/);
});

test.run();
