import { randomBytes } from 'node:crypto';
import { chmod, readFile, readdir, readlink, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { type ServeProcess, makeTempDir, runGeoHook, startServe, writeSecret } from '../helpers/geoHook.js';
import { type ReplicateProcess, type ReplicationPrimary, gitIn, refsOf, startReplicate, startReplicationPrimary } from '../helpers/replication.js';
import { NODE_SECRETS, hookHeaders, writeReportingSite } from '../helpers/secondary.js';
import { untilTrue } from '../helpers/sentinel.js';
import { suiteNeeding } from '../helpers/tools.js';

/**
 * `geo-hook replicate` as an operator runs it (contract section 12): a real
 * process against the real serve and real git http-backend behind a
 * replication_auth check, judged by the replicas' refs and HEAD, by what
 * the primary says of the node, and by its operations endpoints.
 */
const SECRET = 'replicate-command-hook-secret';
const REPOSITORIES = { 'project-1': 'geo/demo', 'project-7': 'group/project' };

interface Context {
  dir: string;
  serve: ServeProcess;
  primary: ReplicationPrimary;
  replicas: string;
  replicate: ReplicateProcess;
}

const test = suiteNeeding<Context>('geo-hook replicate', { tools: ['git'] });

const replicaDir = (context: Context, repositoryPath: string) => path.join(context.replicas, `${repositoryPath}.git`);
const converged = async (context: Context, repositoryPath: string) =>
  (await refsOf(replicaDir(context, repositoryPath)).catch(() => 'none')) === (await refsOf(context.primary.repositoryDir(repositoryPath)));
/** The arguments with one flag's value changed (or the flag left out, for undefined). */
const withFlag = (given: string[], flag: string, value: string | undefined) => {
  const at = given.indexOf(flag);
  return value === undefined ? [...given.slice(0, at), ...given.slice(at + 2)] : [...given.slice(0, at + 1), value, ...given.slice(at + 2)];
};
const args = (context: Context, ...more: string[]) => [
  '--api-url', context.serve.url,
  '--node-id', '2',
  '--node-secret-file', path.join(context.dir, 'node-2.secret'),
  '--primary-git-url', context.primary.gitUrl,
  '--repositories', context.replicas,
  '--report-interval', '0.5',
  '--concurrency', '2',
  ...more,
];

async function node2(context: Context): Promise<Record<string, unknown>> {
  const response = await fetch(`${context.serve.url}/api/v4/internal/geo/nodes`, { headers: hookHeaders(SECRET) });
  return ((await response.json()) as Array<Record<string, unknown>>).find((node) => node.id === 2)!;
}

test.before(async (context) => {
  context.dir = await makeTempDir();
  context.serve = await startServe(['--secret-file', await writeSecret(context.dir, SECRET), '--nodes-file', await writeReportingSite(context.dir)]);
  context.primary = await startReplicationPrimary(context.dir, context.serve, SECRET, REPOSITORIES);
  context.replicas = path.join(context.dir, 'replicas');
  await (await import('node:fs/promises')).mkdir(context.replicas);
});

test.after(async (context) => {
  await context.replicate?.ended('SIGKILL');
  context.primary?.close();
  await context.serve?.stop();
});

test('a configuration that cannot work is one line and exit 2, nothing started', async (context) => {
  const open = path.join(context.dir, 'open.secret');
  await writeFile(open, `${NODE_SECRETS[2]}\n`);
  await chmod(open, 0o644);
  const cases: Array<[string[], string]> = [
    [withFlag(args(context), '--node-id', undefined), "geo-hook: replicate needs this secondary's node id (its id in the primary's site file): --node-id, or \"nodeId\" in the config file"],
    [withFlag(args(context), '--node-secret-file', open), `geo-hook: node secret file ${open} can be read by every user: chmod o-r it (the node's secret is its word to the primary)`],
    [withFlag(args(context), '--repositories', path.join(context.dir, 'nowhere')), `geo-hook: the repositories folder ${path.join(context.dir, 'nowhere')} does not exist (make it, owned by the user the replicator runs as)`],
    [withFlag(args(context), '--primary-git-url', 'https://node:pw@primary.example.com/-/geo/replication'), 'geo-hook: --primary-git-url "https://node:***@primary.example.com/-/geo/replication" must hold no user or password: the node authenticates with its secret'],
    [withFlag(args(context), '--concurrency', '0'), 'geo-hook: --concurrency 0 must be a whole number from 1 to 64'],
    [[...args(context), '--concurrency', '3'], 'geo-hook: --concurrency is given more than once'],
  ];
  for (const [given, line] of cases) {
    const result = await runGeoHook(['replicate', ...given], { killAfterMs: 10_000 });
    assert.equal([result.code, result.stderr], [2, `${line}\n`], given.join(' '));
  }
  assert.equal(await readdir(context.replicas), [], 'nothing made, no lock left');
});

test("the first sync: every replica has the primary's refs and HEAD, the primary shows the node healthy at lag 0, readiness and metrics say so", async (context) => {
  // The primary's default branch is not main for one repository: HEAD must follow it.
  await gitIn(context.primary.repositoryDir('group/project'), 'branch', 'stable', 'main');
  await gitIn(context.primary.repositoryDir('group/project'), 'symbolic-ref', 'HEAD', 'refs/heads/stable');
  context.replicate = await startReplicate(args(context, '--metrics-listen', '127.0.0.1:0'));
  await untilTrue(100, async () => (await converged(context, 'geo/demo')) && (await converged(context, 'group/project')));
  assert.is((await gitIn(replicaDir(context, 'group/project'), 'symbolic-ref', 'HEAD')).trim(), 'refs/heads/stable');
  assert.is((await gitIn(replicaDir(context, 'geo/demo'), 'symbolic-ref', 'HEAD')).trim(), 'refs/heads/main');
  await untilTrue(50, async () => (await node2(context)).lag_source === 'measured');
  const node = await node2(context);
  assert.equal([node.lag_seconds, node.healthy, node.pending_events], [0, true, 0]);

  const operations = context.replicate.operationsUrl!;
  assert.match(operations, /^http:\/\/127\.0\.0\.1:\d+$/, 'loopback, as asked');
  assert.equal(await (await fetch(`${operations}/-/liveness`)).json(), { status: 'ok' });
  await untilTrue(30, async () => (await fetch(`${operations}/-/readiness`)).status === 200);
  const metrics = await (await fetch(`${operations}/-/metrics`)).text();
  assert.match(metrics, /^geo_hook_replicator_fetches_total\{outcome="created"\} 2$/m);
  assert.match(metrics, /^geo_hook_replicator_events_behind 0$/m);
  assert.match(metrics, /^geo_hook_replicator_fetch_duration_seconds_count 2$/m);
  assert.not.match(metrics, new RegExp(NODE_SECRETS[2]!));
  assert.is((await fetch(`${operations}/-/metrics`, { method: 'POST' })).status, 405);
});

test('a second replicator on the same folder is refused, saying which process keeps it', async (context) => {
  const second = await runGeoHook(['replicate', ...args(context)], { killAfterMs: 10_000 });
  assert.equal(
    [second.code, second.stderr],
    [2, `geo-hook: another geo-hook replicate (pid ${context.replicate.child.pid}) keeps ${context.replicas}: one replicator per folder (${path.join(context.replicas, '.geo-hook-replicate.lock')})\n`],
  );
});

test('a push is in the replica within seconds, and the cursor is its event', async (context) => {
  const event = await context.primary.push('project-7', 'group/project', 'second');
  await untilTrue(50, () => converged(context, 'group/project'));
  await untilTrue(30, async () => (await node2(context)).cursor === event);
});

test("a ref lock left by a git killed mid-fetch does not stop the replica's fetches for ever", async (context) => {
  // What git leaves when it dies while updating a ref: the lock, older than any live fetch holds one.
  const lock = path.join(replicaDir(context, 'geo/demo'), 'refs', 'heads', 'main.lock');
  await writeFile(lock, `${'0'.repeat(40)}\n`);
  const old = new Date(Date.now() - 10 * 60_000);
  await utimes(lock, old, old);
  const event = await context.primary.push('project-1', 'geo/demo', 'after a crash');
  await untilTrue(80, () => converged(context, 'geo/demo'));
  await untilTrue(30, async () => (await node2(context)).cursor === event);
  assert.ok(context.replicate.logs().some((record) => record.event === 'stale_lock_removed' && String(record.file).endsWith('main.lock')));
});

test('SIGTERM in the middle of a long poll: exit 0 within seconds, a last report, the lock released', async (context) => {
  const started = Date.now();
  const { code } = await context.replicate.ended('SIGTERM');
  assert.is(code, 0);
  assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms (the long poll waits 30 s)`);
  const events = context.replicate.logs().map((record) => record.event);
  assert.equal(events.slice(-2), ['replicator_stopping', 'replicator_stopped']);
  assert.equal((await readdir(context.replicas)).filter((name) => name.startsWith('.geo-hook')), []);
});

test('killed with SIGKILL while a fetch runs (the process and its git), started again: the stale lock is taken over and the replica converges', async (context) => {
  context.replicate = await startReplicate(args(context));
  await untilTrue(50, async () => context.replicate.logs().some((record) => record.event === 'reconciled'));
  // A large push fetched slowly, so that the fetch is under way when the group is killed, as systemd kills a unit.
  context.primary.slow = true;
  void context.primary.push('project-7', 'group/project', 'large', { name: 'large.bin', bytes: randomBytes(16 * 1024 * 1024) });
  await untilTrue(150, () => gitFetchRunningIn(replicaDir(context, 'group/project')));
  process.kill(-context.replicate.child.pid!, 'SIGKILL');
  await context.replicate.ended();
  const lockText = await readFile(path.join(context.replicas, '.geo-hook-replicate.lock'), 'utf8');
  assert.match(lockText, new RegExp(`^${context.replicate.child.pid} `), 'the dead process still names itself in the lock');
  context.primary.slow = false;
  context.replicate = await startReplicate(args(context));
  await untilTrue(150, () => converged(context, 'group/project'));
  await gitIn(replicaDir(context, 'group/project'), 'fsck', '--connectivity-only', '--no-dangling');
  assert.ok((await stat(replicaDir(context, 'group/project'))).isDirectory());
  assert.equal((await readdir(path.dirname(replicaDir(context, 'group/project')))).filter((name) => name.includes('.new-')), [], 'no half-made replica left');
});

/** Whether a `git fetch` runs in that folder now (the process list, as ps shows it). */
async function gitFetchRunningIn(dir: string): Promise<boolean> {
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const [cmdline, cwd] = await Promise.all([readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''), readlink(`/proc/${pid}/cwd`).catch(() => '')]);
    if (cwd === dir && cmdline.split('\0').includes('fetch')) return true;
  }
  return false;
}

test.run();
