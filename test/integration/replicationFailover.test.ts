import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { type ServeProcess, makeTempDir, startServe, writeSecret } from '../helpers/geoHook.js';
import { type ReplicateProcess, type ReplicationPrimary, refsOf, startReplicate, startReplicationPrimary } from '../helpers/replication.js';
import { hookHeaders, writeReportingSite } from '../helpers/secondary.js';
import { type SentinelSet, startSentinelSet, untilTrue } from '../helpers/sentinel.js';
import { suiteNeeding } from '../helpers/tools.js';

/**
 * A Sentinel failover while pushes and replication run (contract sections 11
 * and 12): serve's event log on Redis behind Sentinel, a real replicator
 * following it, pushers pushing, the master killed. Every push is answered;
 * an event the failover lost is found by the replicator's reconcile; in the
 * end the replicas are the primary's and the node is healthy with nothing
 * pending. The slow Redis suites run in the executable's pass only.
 */
const SECRET = 'replication-failover-hook-secret';
const REPOSITORIES = { 'project-1': 'geo/demo', 'project-7': 'group/project' };

interface Context {
  set: SentinelSet;
  serve: ServeProcess;
  primary: ReplicationPrimary;
  replicas: string;
  replicate: ReplicateProcess;
}

const test = suiteNeeding<Context>('replication across a Sentinel failover', { tools: ['git', 'redis-server', 'redis-sentinel'], onlyInPass: 'executable' });

const converged = async (context: Context, repositoryPath: string) =>
  (await refsOf(path.join(context.replicas, `${repositoryPath}.git`)).catch(() => 'none')) === (await refsOf(context.primary.repositoryDir(repositoryPath)));

async function node2(context: Context): Promise<Record<string, unknown>> {
  const response = await fetch(`${context.serve.url}/api/v4/internal/geo/nodes`, { headers: hookHeaders(SECRET), signal: AbortSignal.timeout(5000) });
  return ((await response.json()) as Array<Record<string, unknown>>).find((node) => node.id === 2)!;
}

test.before(async (context) => {
  const dir = await makeTempDir();
  context.set = await startSentinelSet(dir);
  context.serve = await startServe(['--secret-file', await writeSecret(dir, SECRET), '--nodes-file', await writeReportingSite(dir), '--store', context.set.url]);
  context.primary = await startReplicationPrimary(dir, context.serve, SECRET, REPOSITORIES);
  context.replicas = path.join(dir, 'replicas');
  await mkdir(context.replicas);
  context.replicate = await startReplicate([
    '--api-url', context.serve.url,
    '--node-id', '2',
    '--node-secret-file', path.join(dir, 'node-2.secret'),
    '--primary-git-url', context.primary.gitUrl,
    '--repositories', context.replicas,
    '--report-interval', '0.5',
    // Often, so that a change whose event the failover lost is found within the test.
    '--reconcile-interval', '2',
  ]);
  await untilTrue(100, async () => (await converged(context, 'geo/demo')) && (await converged(context, 'group/project')));
});

test.after(async (context) => {
  await context.replicate?.ended('SIGTERM');
  context.primary?.close();
  await context.serve?.stop();
  await context.set?.stop();
});

test('pushes go on through the failover; afterwards the replicas are the primary\'s and the node is healthy with nothing pending', async (context) => {
  let pushing = true;
  let pushed = 0;
  const failures: string[] = [];
  const pushers = Object.entries(REPOSITORIES).map(async ([glRepository, repositoryPath]) => {
    while (pushing) {
      // A push whose post_receive failed is still a push: the commit is in the repository.
      await context.primary.push(glRepository, repositoryPath, `push ${++pushed}`).catch((error: Error) => failures.push(error.message));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const before = await context.set.masterPort();
  await context.set.master.stop();
  await untilTrue(200, async () => (await context.set.masterPort().catch(() => before)) !== before);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  pushing = false;
  await Promise.all(pushers);
  console.log(`\n    failover with replication: ${pushed} pushes, ${failures.length} without their post_receive's event line`);
  await untilTrue(300, async () => (await converged(context, 'geo/demo')) && (await converged(context, 'group/project')));
  await untilTrue(200, async () => {
    const node = await node2(context).catch(() => undefined);
    return node?.healthy === true && node.pending_events === 0;
  });
  assert.ok(pushed > 10, `${pushed} pushes`);
});

test.run();
