import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { measuredLag, nodeLag, staticLag } from '../../src/server/replicationLag.js';
import { geoMessages } from '../../src/server/geoMessages.js';
import { parseGeoSite } from '../../src/server/geoSite.js';
import type { NodeSnapshot } from '../../src/server/stores/replicationStore.js';

const NOW = 1_800_000_000_000;
const MAX = 60_000;
const LOG = 'log-a';
const status = (over: Partial<NonNullable<NodeSnapshot['status']>> = {}) => ({ log: LOG, cursor: '7', reconciling: false, reportedAt: NOW - 5_000, ...over });
const lag = (snapshot: NodeSnapshot | undefined, now = NOW) => measuredLag({ now, log: LOG, snapshot, statusMaxAgeMs: MAX });

test('no status: unknown, never reported', () => {
  assert.equal(lag(undefined), { source: 'unknown', reason: 'never_reported' });
  assert.equal(lag({}), { source: 'unknown', reason: 'never_reported' });
});

test('no pending event: 0; the oldest pending event: its age in whole seconds, rounded down', () => {
  assert.equal(lag({ status: status(), pendingEvents: 0 }), { source: 'measured', seconds: 0 });
  assert.equal(lag({ status: status(), pendingEvents: 3, oldestPendingAt: NOW - 12_999 }), { source: 'measured', seconds: 12 });
  assert.equal(lag({ status: status(), pendingEvents: 1, oldestPendingAt: NOW - 999 }), { source: 'measured', seconds: 0 });
});

test('the status age at the boundary: 60.000 s is fresh, 60.001 s is stale, said with its whole seconds', () => {
  assert.equal(lag({ status: status({ reportedAt: NOW - 60_000 }) }), { source: 'measured', seconds: 0 });
  assert.equal(lag({ status: status({ reportedAt: NOW - 60_001 }) }), { source: 'unknown', reason: 'stale', statusAgeSeconds: 60 });
  assert.equal(lag({ status: status({ reportedAt: NOW - 61_000 }) }), { source: 'unknown', reason: 'stale', statusAgeSeconds: 61 });
});

test('stale is said as stale, whatever else the status says', () => {
  assert.equal(lag({ status: status({ reportedAt: NOW - 3_600_000, log: 'old', reconciling: true }) }), { source: 'unknown', reason: 'stale', statusAgeSeconds: 3600 });
});

test('another log: catching up after a reset; reconciling: still copying', () => {
  assert.equal(lag({ status: status({ log: 'log-b' }), pendingEvents: 0 }), { source: 'unknown', reason: 'other_log' });
  assert.equal(lag({ status: status({ reconciling: true }), pendingEvents: 0 }), { source: 'unknown', reason: 'reconciling' });
  assert.equal(lag({ status: status({ log: 'log-b', reconciling: true }) }), { source: 'unknown', reason: 'other_log' });
});

test('never below 0: an event or a status from a clock ahead', () => {
  assert.equal(lag({ status: status({ reportedAt: NOW + 5_000 }), pendingEvents: 1, oldestPendingAt: NOW + 3_000 }), { source: 'measured', seconds: 0 });
});

test("the push's own event is not its lag: computed before the append, a lone push sees 0", () => {
  // The snapshot is taken before this push's event exists: nothing pending.
  assert.equal(lag({ status: status({ cursor: '7' }), pendingEvents: 0 }), { source: 'measured', seconds: 0 });
});

test('a static node: the file, or a later PUT; a file that changed after the PUT wins back', () => {
  assert.is(staticLag(42, undefined), 42);
  assert.is(staticLag(42, { fileLagSeconds: 42, fileSince: 100 }), 42);
  assert.is(staticLag(42, { lagSeconds: 99, setAt: 200, fileLagSeconds: 42, fileSince: 100 }), 99);
  assert.is(staticLag(42, { lagSeconds: 99, setAt: 100, fileLagSeconds: 42, fileSince: 200 }), 42);
  // This server's file says another value than the store has recorded: its file is the newer word.
  assert.is(staticLag(43, { lagSeconds: 99, setAt: 200, fileLagSeconds: 42, fileSince: 100 }), 43);
});

const SITE = parseGeoSite(
  JSON.stringify({
    nodes: [
      { id: 1, name: 'p', url: 'http://p.test', primary: true },
      { id: 2, name: 's', url: 'http://s.test', primary: false, lag_seconds: 42 },
      { id: 3, name: 'r', url: 'http://r.test', primary: false, secret_file: 'node-3.secret' },
    ],
    repositories: { 'project-7': 'group/project' },
  }),
  '/etc/geo-hook/site.json',
);

test('nodeLag: the primary has none, a static node its number, a reporting one is measured', () => {
  const input = { now: NOW, log: LOG, statusMaxAgeMs: MAX };
  assert.equal(nodeLag(SITE.nodes.get(1)!, { ...input, snapshot: undefined }), { source: 'primary' });
  assert.equal(nodeLag(SITE.nodes.get(2)!, { ...input, snapshot: undefined }), { source: 'static', seconds: 42 });
  assert.equal(nodeLag(SITE.nodes.get(3)!, { ...input, snapshot: undefined }), { source: 'unknown', reason: 'never_reported' });
  assert.is(SITE.nodes.get(3)!.secretFile, '/etc/geo-hook/node-3.secret');
});

const NOTICE = 'This request to a Geo secondary node will be forwarded to the\nGeo primary node:\n\n  http://p.test/group/project.git\n';
const texts = (lagValue: Parameters<typeof geoMessages>[3]) => geoMessages(SITE, 'group/project', SITE.nodes.get(3), lagValue).map((message) => message.message);

test("the contract's texts: a number above 0, nothing at 0, words when unknown, the notice alone when the store cannot say", () => {
  assert.equal(texts({ source: 'measured', seconds: 5 }), [NOTICE, 'Current replication lag: 5 seconds']);
  assert.equal(texts({ source: 'measured', seconds: 0 }), [NOTICE]);
  assert.equal(texts(undefined), [NOTICE]);
  assert.equal(texts({ source: 'unknown', reason: 'never_reported' }), [NOTICE, 'Current replication lag: unknown, this secondary has not reported its replication status']);
  assert.equal(texts({ source: 'unknown', reason: 'stale', statusAgeSeconds: 75 }), [NOTICE, 'Current replication lag: unknown, this secondary last reported 75 seconds ago']);
  assert.equal(texts({ source: 'unknown', reason: 'other_log' }), [NOTICE, "Current replication lag: unknown, this secondary is catching up after the primary's event log was reset"]);
  assert.equal(texts({ source: 'unknown', reason: 'reconciling' }), [NOTICE, "Current replication lag: unknown, this secondary is still copying the primary's repositories"]);
});

test.run();
