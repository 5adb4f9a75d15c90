import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { type ServeProcess, makeTempDir, startServe, writeSecret } from '../helpers/geoHook.js';
import { type RedisProcess, freePort, startRedis } from '../helpers/redis.js';
import { type ReplicateProcess, type ReplicationPrimary, type SwitchableRelay, gitIn, refsOf, startReplicate, startReplicationPrimary, switchableRelay } from '../helpers/replication.js';
import { hookHeaders, writeReportingSite } from '../helpers/secondary.js';
import { untilTrue } from '../helpers/sentinel.js';
import { suiteNeeding } from '../helpers/tools.js';

/**
 * The replicator at 3 a.m. (contract section 12): a replica deleted or
 * broken, the primary's web server down for longer than the status age,
 * serve restarted on memory (a new log) and on Redis (the same log). Each
 * judged by convergence (the replicas' refs are the primary's) and by what
 * the primary says of the node, which is what its pushers are told.
 */
const SECRET = 'replication-faults-hook-secret';
const STATUS_MAX_AGE = 3;
const REPOSITORIES = { 'project-1': 'geo/demo', 'project-7': 'group/project' };

interface Context {
  dir: string;
  serveArgs: string[];
  serve: ServeProcess;
  redis?: RedisProcess;
  primary: ReplicationPrimary;
  /** The primary's web server as the secondary reaches it: the API and the Git HTTP, both through it. */
  web: SwitchableRelay;
  gitWeb: SwitchableRelay;
  replicas: string;
  replicate: ReplicateProcess;
}

const converged = async (context: Context, repositoryPath: string) =>
  (await refsOf(path.join(context.replicas, `${repositoryPath}.git`)).catch(() => 'none')) === (await refsOf(context.primary.repositoryDir(repositoryPath)));
const allConverged = async (context: Context) => (await converged(context, 'geo/demo')) && (await converged(context, 'group/project'));

async function node2(context: Context): Promise<Record<string, unknown>> {
  const response = await fetch(`${context.serve.url}/api/v4/internal/geo/nodes`, { headers: hookHeaders(SECRET) });
  return ((await response.json()) as Array<Record<string, unknown>>).find((node) => node.id === 2)!;
}
const healthy = async (context: Context) => {
  const node = await node2(context);
  return node.healthy === true && node.lag_source === 'measured' && node.pending_events === 0;
};
const events = (context: Context) => context.replicate.logs().map((record) => record.event);

async function setUp(context: Context, store: 'memory' | 'redis', reconcileInterval = 600): Promise<void> {
  context.dir = await makeTempDir();
  if (store === 'redis') context.redis = await startRedis();
  const port = await freePort();
  context.serveArgs = [
    '--listen', `127.0.0.1:${port}`,
    '--secret-file', await writeSecret(context.dir, SECRET),
    '--nodes-file', await writeReportingSite(context.dir),
    '--status-max-age', String(STATUS_MAX_AGE),
    ...(context.redis ? ['--store', context.redis.url] : []),
  ];
  context.serve = await startServe(context.serveArgs);
  context.primary = await startReplicationPrimary(context.dir, () => context.serve, SECRET, REPOSITORIES);
  context.web = await switchableRelay(port);
  context.gitWeb = await switchableRelay(Number(new URL(context.primary.gitUrl).port));
  context.replicas = path.join(context.dir, 'replicas');
  await (await import('node:fs/promises')).mkdir(context.replicas);
  context.replicate = await startReplicate([
    '--api-url', context.web.url,
    '--node-id', '2',
    '--node-secret-file', path.join(context.dir, 'node-2.secret'),
    '--primary-git-url', `${context.gitWeb.url}/-/geo/replication`,
    '--repositories', context.replicas,
    '--report-interval', '0.5',
    '--reconcile-interval', String(reconcileInterval),
    '--metrics-listen', '127.0.0.1:0',
  ]);
  await untilTrue(100, () => allConverged(context));
  await untilTrue(50, () => healthy(context));
}

async function tearDown(context: Context): Promise<void> {
  await context.replicate?.ended('SIGTERM');
  context.primary?.close();
  await context.web?.down();
  await context.gitWeb?.down();
  await context.serve?.stop();
  await context.redis?.stop();
}

async function restartServe(context: Context, whileDown: () => Promise<void> = async () => {}): Promise<void> {
  await context.serve.stop();
  await whileDown();
  context.serve = await startServe(context.serveArgs);
}

const onMemory = suiteNeeding<Context>('replication faults, serve on memory', { tools: ['git'], onlyInPass: 'bundle' });
// A reconcile every second: the verification of the replicas goes round in seconds.
onMemory.before((context) => setUp(context, 'memory', 1));
onMemory.after((context) => tearDown(context));

onMemory('a replica deleted by hand is made again at the next push of its repository', async (context) => {
  await rm(path.join(context.replicas, 'group/project.git'), { recursive: true, force: true });
  await context.primary.push('project-7', 'group/project', 'after the deletion');
  await untilTrue(100, () => converged(context, 'group/project'));
  const metrics = await (await fetch(`${context.replicate.operationsUrl}/-/metrics`)).text();
  assert.match(metrics, /^geo_hook_replicator_fetches_total\{outcome="created"\} 3$/m, 'two at the first sync, one now');
});

const removeObjects = async (replica: string) => {
  for (const entry of await readdir(path.join(replica, 'objects'))) {
    if (entry !== 'info') await rm(path.join(replica, 'objects', entry), { recursive: true, force: true });
  }
};

onMemory("a replica whose objects are gone is whole again after its next push's fetch (git asks for what it lacks)", async (context) => {
  const replica = path.join(context.replicas, 'geo/demo.git');
  await removeObjects(replica);
  await context.primary.push('project-1', 'geo/demo', 'after the corruption');
  await untilTrue(100, () => converged(context, 'geo/demo'));
  await untilTrue(50, async () => (await gitIn(replica, 'fsck', '--connectivity-only', '--no-dangling').then(() => true, () => false)));
});

onMemory('a replica whose objects are gone and that no push touches (its refs intact) is found by the verification, moved aside under .removed (never deleted) and made again', async (context) => {
  const replica = path.join(context.replicas, 'group/project.git');
  await removeObjects(replica);
  const broken = async () => (await readdir(path.join(context.replicas, '.removed')).catch(() => [] as string[])).find((name) => name.endsWith('-broken'));
  await untilTrue(100, async () => (await broken()) !== undefined);
  await untilTrue(100, () => converged(context, 'group/project'));
  await gitIn(replica, 'fsck', '--connectivity-only', '--no-dangling');
  assert.ok(context.replicate.logs().some((record) => record.event === 'replica_broken' && record.path === 'group/project'));
  assert.equal(await readdir(path.join(context.replicas, '.removed', (await broken())!, 'group')), ['project.git'], 'the broken one kept, for a person to look at');
  await untilTrue(50, () => healthy(context));
});

onMemory("the primary's web server down longer than the status age: the node shows unknown (stale), the replicator keeps trying, and catches up when it is back", async (context) => {
  await context.web.down();
  await context.gitWeb.down();
  const pushed = await context.primary.push('project-7', 'group/project', 'while the web server is down');
  await untilTrue(100, async () => (await node2(context)).unknown_reason === 'stale');
  assert.equal([(await node2(context)).lag_seconds, (await node2(context)).healthy], [null, false], 'never a stale number');
  await untilTrue(50, async () => events(context).includes('primary_unreachable'));
  await context.web.up();
  await context.gitWeb.up();
  await untilTrue(150, () => converged(context, 'group/project'));
  await untilTrue(100, () => healthy(context));
  assert.is((await node2(context)).cursor, pushed);
  assert.ok(events(context).includes('primary_back'));
});

onMemory('serve restarted on the memory store: a new log, the replicator resyncs, and a push made while serve was down (no event) is not missed', async (context) => {
  const before = events(context).filter((event) => event === 'resync').length;
  await restartServe(context, async () => {
    // serve down: the push lands in the repository, its post_receive cannot be sent, so its event never is.
    const work = path.join(context.dir, 'work', 'group/project');
    await gitIn(work, 'commit', '--quiet', '--allow-empty', '-m', 'while serve was down');
    await gitIn(work, 'push', '--quiet', context.primary.repositoryDir('group/project'), 'main');
  });
  await untilTrue(150, () => converged(context, 'group/project'));
  // The old log means nothing now: resync (the periodic reconcile may have found the push first).
  await untilTrue(150, async () => events(context).filter((event) => event === 'resync').length > before);
  await untilTrue(100, () => healthy(context));
  const event = await context.primary.push('project-1', 'geo/demo', 'after the restart');
  await untilTrue(100, () => converged(context, 'geo/demo'));
  await untilTrue(50, async () => (await node2(context)).cursor === event);
});

const onRedis = suiteNeeding<Context>('replication faults, serve on Redis', { tools: ['git', 'redis-server'], onlyInPass: 'bundle' });
onRedis.before((context) => setUp(context, 'redis'));
onRedis.after((context) => tearDown(context));

onRedis('serve on Redis restarted: the same log, no resync; the next pushes are followed from the cursor', async (context) => {
  const first = await context.primary.push('project-7', 'group/project', 'before the restart');
  await untilTrue(50, async () => (await node2(context)).cursor === first);
  await restartServe(context);
  const second = await context.primary.push('project-7', 'group/project', 'after the restart');
  const third = await context.primary.push('project-1', 'geo/demo', 'after the restart too');
  await untilTrue(100, () => allConverged(context));
  await untilTrue(100, async () => (await node2(context)).cursor === third);
  assert.is.not(second, third);
  assert.not.ok(events(context).includes('resync'), 'the log survived the restart: nothing to copy again');
  assert.is(events(context).filter((event) => event === 'reconciled').length, 1, 'only the reconcile at start');
});

onMemory.run();
onRedis.run();
