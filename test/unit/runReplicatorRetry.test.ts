import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FetchResult } from '../../src/replicator/fetchReplica.js';
import type { NodeStatusReport, PrimaryApi } from '../../src/replicator/primaryApi.js';
import { runReplicator } from '../../src/replicator/runReplicator.js';

/**
 * The replicator's retry timer, with a scripted primary: a failing fetch is
 * tried again even when its timer fires before the clock says the retry is
 * due (Node's timers may fire a millisecond early by Date.now; a wall clock
 * may be stepped back). Found by CI: the retry was skipped and never armed
 * again, the repository untried for ever, the cursor stuck.
 */
test('a retry whose timer fires before the clock says it is due is armed again, never dropped', async () => {
  const stop = new AbortController();
  const reports: NodeStatusReport[] = [];
  let offset = 0;
  let fetches = 0;
  let served = false;
  const api: PrimaryApi = {
    repositories: async () => [{ glRepository: 'project-1', path: 'a/x' }],
    events: async ({ waitSeconds }) => {
      if (waitSeconds === 0) return { log: 'L', last: '0', resync: false, events: [] };
      if (!served) {
        served = true;
        return { log: 'L', last: '1', resync: false, events: [{ id: '1', path: 'a/x' }] };
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { log: 'L', last: '1', resync: false, events: [] };
    },
    reportStatus: async (status) => {
      reports.push(status);
    },
  };
  const fetch = async (): Promise<FetchResult> => {
    fetches++;
    // The reconcile's fetch succeeds; the event's first fetch fails, and the clock is then stepped back 1.5 s,
    // after the retry's time was taken from it: its timer (500 ms) fires while the clock says 2 s to go.
    if (fetches === 2) {
      setTimeout(() => (offset = -1500), 100);
      return { outcome: 'failed', reason: 'the test fails it once' };
    }
    return { outcome: 'fetched' };
  };
  const running = runReplicator({
    api,
    fetch,
    moveUnlisted: async () => [],
    concurrency: 1,
    reportIntervalMs: 100,
    pollSeconds: 1,
    log: () => {},
    stopped: stop.signal,
    now: () => Date.now() + offset,
    random: () => 0,
  });
  const started = Date.now();
  while (!reports.some((report) => report.cursor === '1') && Date.now() - started < 6000) await new Promise((resolve) => setTimeout(resolve, 50));
  stop.abort();
  await running;
  assert.is(fetches, 3, 'the failed fetch was tried again');
  assert.ok(reports.some((report) => report.cursor === '1'), 'and the cursor passed its event');
});

test.run();
