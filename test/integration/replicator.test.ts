import { execFile } from 'node:child_process';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import * as assert from 'uvu/assert';
import { runHttpBackend } from '../../src/lab/httpBackend.js';
import { fetchReplica } from '../../src/replicator/fetchReplica.js';
import { primaryApi } from '../../src/replicator/primaryApi.js';
import { replicaInSync } from '../../src/replicator/replicaInSync.js';
import { runReplicator } from '../../src/replicator/runReplicator.js';
import { moveUnlistedAside } from '../../src/replicator/unlistedReplicas.js';
import { parseApiUrl } from '../../src/shared/apiUrl.js';
import { nodeAuthorization } from '../../src/shared/jwt.js';
import { type ServeProcess, makeTempDir, startServe, writeSecret } from '../helpers/geoHook.js';
import { NODE_SECRETS, hookHeaders, writeReportingSite } from '../helpers/secondary.js';
import { untilTrue } from '../helpers/sentinel.js';
import { suiteNeeding } from '../helpers/tools.js';

/**
 * The replicator's loop (contract section 12) against the real serve
 * (memory store) and a stand-in for the primary's web server: real
 * `git http-backend`, each request checked with serve's replication_auth
 * as nginx's auth_request does. Pushes land in the primary's repositories
 * with real git, then post_receive appends their events, as the hook does.
 */
const run = promisify(execFile);
const SECRET = 'replicator-hook-secret';
const GIT_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent' };
const IDENTITY = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_NOSYSTEM: '1' };
const gitIn = async (dir: string, ...args: string[]) => (await run('git', args, { cwd: dir, env: { ...GIT_ENV, ...IDENTITY } })).stdout;
const REPOSITORIES: Record<string, string> = { 'project-1': 'geo/demo', 'project-7': 'group/project' };

interface Context {
  dir: string;
  serve: ServeProcess;
  git: Server;
  gitUrl: string;
  /** Paths the stand-in web server refuses for now (a repository failing to fetch). */
  refused: Set<string>;
  /** Paths whose fetch throws instead of answering (a folder that cannot be made, a disk full). */
  throwing: Set<string>;
  stop: AbortController;
  replicator: Promise<void>;
  logs: Array<Record<string, unknown>>;
}

const test = suiteNeeding<Context>('the replicator: first sync, pushes followed, a failing repository', { tools: ['git'], onlyInPass: 'bundle' });

const primaryDir = (context: Context, repositoryPath: string) => path.join(context.dir, 'primary', `${repositoryPath}.git`);
const replicaDir = (context: Context, repositoryPath: string) => path.join(context.dir, 'replicas', `${repositoryPath}.git`);
const refs = (gitDir: string) => gitIn(gitDir, 'for-each-ref', '--format=%(refname) %(objectname)');
const converged = async (context: Context, repositoryPath: string) =>
  (await refs(replicaDir(context, repositoryPath)).catch(() => 'none')) === (await refs(primaryDir(context, repositoryPath)));

/** A commit pushed to the primary with git, then its post_receive, as the hook sends it; the event id appended. */
async function push(context: Context, glRepository: string, text: string): Promise<string> {
  const repositoryPath = REPOSITORIES[glRepository]!;
  const work = path.join(context.dir, 'work', repositoryPath);
  await writeFile(path.join(work, 'file'), `${text}\n`);
  await gitIn(work, 'commit', '--quiet', '-am', text);
  await gitIn(work, 'push', '--quiet', primaryDir(context, repositoryPath), 'main');
  const response = await fetch(`${context.serve.url}/api/v4/internal/post_receive`, {
    method: 'POST',
    headers: { ...hookHeaders(SECRET), 'content-type': 'application/json' },
    body: JSON.stringify({ gl_repository: glRepository, identifier: 'key-1', changes: `${'0'.repeat(40)} ${'1'.repeat(40)} refs/heads/main\n`, push_options: [] }),
  });
  assert.is(response.status, 200);
  await response.arrayBuffer();
  const record = await context.serve.logLine((line) => line.gl_repository === glRepository && typeof line.event_id === 'string' && !seenEvents.has(String(line.event_id)));
  const id = String(record!.event_id);
  seenEvents.add(id);
  return id;
}
const seenEvents = new Set<string>();

async function node2(context: Context): Promise<Record<string, unknown>> {
  const response = await fetch(`${context.serve.url}/api/v4/internal/geo/nodes`, { headers: hookHeaders(SECRET) });
  const nodes = (await response.json()) as Array<Record<string, unknown>>;
  return nodes.find((node) => node.id === 2)!;
}

test.before(async (context) => {
  context.dir = await makeTempDir();
  context.refused = new Set();
  context.throwing = new Set();
  context.logs = [];
  for (const repositoryPath of Object.values(REPOSITORIES)) {
    const work = path.join(context.dir, 'work', repositoryPath);
    await gitIn(context.dir, 'init', '--quiet', '--bare', '--initial-branch=main', primaryDir(context, repositoryPath));
    await gitIn(context.dir, 'init', '--quiet', '--initial-branch=main', work);
    await writeFile(path.join(work, 'file'), 'first\n');
    await gitIn(work, 'add', 'file');
    await gitIn(work, 'commit', '--quiet', '-m', 'first');
    await gitIn(work, 'push', '--quiet', primaryDir(context, repositoryPath), 'main');
  }
  const secretFile = await writeSecret(context.dir, SECRET);
  context.serve = await startServe(['--secret-file', secretFile, '--nodes-file', await writeReportingSite(context.dir)]);
  context.git = createServer(async (request, response) => {
    // As the primary's nginx: every replication request checked by serve (auth_request), failing closed.
    const checked = await fetch(`${context.serve.url}/api/v4/internal/geo/replication_auth`, { headers: { authorization: String(request.headers.authorization ?? '') } }).catch(() => undefined);
    if (checked?.status !== 204) {
      response.writeHead(401, { 'content-type': 'text/plain' }).end('refused\n');
      return;
    }
    const pathInfo = new URL(request.url ?? '/', 'http://primary').pathname.replace(/^\/-\/geo\/replication/, '');
    if ([...context.refused].some((refused) => pathInfo.startsWith(`/${refused}.git/`))) {
      response.writeHead(500, { 'content-type': 'text/plain' }).end('broken for the test\n');
      return;
    }
    void runHttpBackend(request, response, { projectRoot: path.join(context.dir, 'primary'), pathInfo, remoteUser: undefined, env: { PATH: GIT_ENV.PATH } });
  });
  await new Promise<void>((resolve) => context.git.listen(0, '127.0.0.1', resolve));
  const address = context.git.address();
  context.gitUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/-/geo/replication`;

  // A replica of a repository the primary no longer lists, and a link that must not be followed.
  await gitIn(context.dir, 'init', '--quiet', '--bare', replicaDir(context, 'old/gone'));
  await mkdir(path.join(context.dir, 'elsewhere', 'keep.git'), { recursive: true });
  await symlink(path.join(context.dir, 'elsewhere'), path.join(context.dir, 'replicas', 'linked'));

  const api = parseApiUrl(context.serve.url);
  if ('error' in api) throw new Error(api.error);
  context.stop = new AbortController();
  context.replicator = runReplicator({
    api: primaryApi({ api, nodeId: 2, secret: NODE_SECRETS[2]!, version: 'test', timeoutSeconds: 5 }),
    fetch: async (repositoryPath) => {
      if (context.throwing.has(repositoryPath)) throw new Error('ENOSPC: no space left on device, mkdir');
      return fetchReplica({
        folder: path.join(context.dir, 'replicas'),
        repositoryPath,
        primaryGitUrl: context.gitUrl,
        authorization: () => nodeAuthorization(2, NODE_SECRETS[2]!, Math.floor(Date.now() / 1000)),
        silenceTimeoutMs: 20_000,
        environment: GIT_ENV,
        now: () => new Date(),
      });
    },
    moveUnlisted: (listed) => moveUnlistedAside(path.join(context.dir, 'replicas'), listed, new Date('2026-12-02T12:00:00Z')),
    inSync: (repositoryPath) =>
      replicaInSync(
        {
          folder: path.join(context.dir, 'replicas'),
          primaryGitUrl: context.gitUrl,
          authorization: () => nodeAuthorization(2, NODE_SECRETS[2]!, Math.floor(Date.now() / 1000)),
          timeoutSeconds: 5,
          environment: GIT_ENV,
          version: 'test',
        },
        repositoryPath,
      ),
    concurrency: 2,
    reportIntervalMs: 500,
    reconcileIntervalMs: 1500,
    pollSeconds: 2,
    log: (record) => context.logs.push(record),
    stopped: context.stop.signal,
  });
});

test.after(async (context) => {
  context.stop?.abort();
  await context.replicator;
  context.git?.close();
  await context.serve?.stop();
});

test('the first sync: every repository the primary lists replicated, the node healthy with lag 0', async (context) => {
  await untilTrue(100, async () => (await converged(context, 'geo/demo')) && (await converged(context, 'group/project')));
  assert.is((await gitIn(replicaDir(context, 'group/project'), 'symbolic-ref', 'HEAD')).trim(), 'refs/heads/main');
  await untilTrue(50, async () => (await node2(context)).lag_source === 'measured');
  const node = await node2(context);
  assert.equal([node.lag_seconds, node.healthy, node.pending_events], [0, true, 0]);
});

test('a replica the primary no longer lists is moved aside under .removed, never deleted; a link is not followed', async (context) => {
  const removed = path.join(context.dir, 'replicas', '.removed', '2026-12-02T12-00-00-000Z-unlisted');
  assert.equal(await readdir(path.join(removed, 'old')), ['gone.git']);
  assert.equal(await readdir(path.join(context.dir, 'replicas', 'old')), []);
  assert.equal(await readdir(path.join(context.dir, 'elsewhere')), ['keep.git'], 'what the link points at is left alone');
  assert.ok(context.logs.some((record) => record.event === 'replica_moved_aside' && record.path === 'old/gone'));
});

test("a push is in the replica within seconds, and the node's cursor is its event", async (context) => {
  const event = await push(context, 'project-7', 'second');
  await untilTrue(50, () => converged(context, 'group/project'));
  await untilTrue(30, async () => (await node2(context)).cursor === event);
  assert.equal([(await node2(context)).pending_events, (await node2(context)).lag_seconds], [0, 0]);
});

test('a repository failing to fetch holds the cursor before its event while the others go on, then catches up', async (context) => {
  context.refused.add('group/project');
  const stuck = await push(context, 'project-7', 'third');
  await push(context, 'project-1', 'other');
  await untilTrue(50, () => converged(context, 'geo/demo'));
  await untilTrue(50, async () => (await node2(context)).repositories_failed === 1);
  const held = await node2(context);
  assert.is.not(held.cursor, stuck, 'the cursor does not pass the failing repository');
  assert.equal([held.pending_events, held.healthy], [2, false]);
  assert.ok(context.logs.some((record) => record.event === 'fetch_failed' && record.path === 'group/project'));
  context.refused.clear();
  await untilTrue(100, () => converged(context, 'group/project'));
  await untilTrue(50, async () => (await node2(context)).pending_events === 0);
  assert.equal([(await node2(context)).repositories_failed, (await node2(context)).healthy], [0, true]);
});

test('a fetch that throws is a failed fetch: retried, the cursor held, then caught up', async (context) => {
  context.throwing.add('group/project');
  const stuck = await push(context, 'project-7', 'fourth');
  await untilTrue(50, async () => (await node2(context)).repositories_failed === 1);
  assert.is.not((await node2(context)).cursor, stuck);
  assert.ok(context.logs.some((record) => record.event === 'fetch_failed' && String(record.message).startsWith('ENOSPC')));
  context.throwing.clear();
  await untilTrue(100, () => converged(context, 'group/project'));
  await untilTrue(50, async () => (await node2(context)).cursor === stuck);
});

test('the periodic reconcile: replicas in sync are compared, not fetched; one changed behind its back (no event) is put right', async (context) => {
  const reconciles = () => context.logs.filter((record) => record.event === 'reconciled');
  const before = reconciles().length;
  await untilTrue(50, async () => reconciles().length > before);
  assert.equal(reconciles().at(-1), { event: 'reconciled', repositories: 2, fetched: 0, failed: 0, seconds: reconciles().at(-1)!.seconds });
  await gitIn(replicaDir(context, 'geo/demo'), 'update-ref', '-d', 'refs/heads/main');
  await gitIn(replicaDir(context, 'group/project'), 'symbolic-ref', 'HEAD', 'refs/heads/elsewhere');
  await untilTrue(50, async () => (await converged(context, 'geo/demo')) && (await gitIn(replicaDir(context, 'group/project'), 'symbolic-ref', 'HEAD')).trim() === 'refs/heads/main');
  assert.ok(reconciles().some((record) => record.fetched === 2), 'both found by comparing, none by an event');
});

test('stopped: the loop ends within its poll time, with a last report', async (context) => {
  const started = Date.now();
  context.stop.abort();
  await context.replicator;
  assert.ok(Date.now() - started < 8000, `${Date.now() - started} ms`);
});

test.run();
