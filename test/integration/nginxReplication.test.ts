import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import type { Server } from 'node:net';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { remoteText } from '../../src/lab/readPushOutput.js';
import { nodeAuthorization } from '../../src/shared/jwt.js';
import { pusherSeesLine } from '../helpers/lab.js';
import { commitAndPush, workingCopy } from '../helpers/pushes.js';
import { type ReplicateProcess, gitIn, refsOf, relayFrom, startReplicate } from '../helpers/replication.js';
import { NODE_SECRETS, hookHeaders } from '../helpers/secondary.js';
import { untilTrue } from '../helpers/sentinel.js';
import { suiteNeeding } from '../helpers/tools.js';
import { type Deployment, PRIMARY_ADDRESS, SECONDARY_ADDRESSES, basicAuth, deployNginxPrimary, replicasOf, statusFrom } from '../helpers/webServer.js';

/**
 * Replication as it is deployed (contract section 12): the shipped primary
 * nginx (node endpoints proxied, /-/geo/replication/ checked with
 * auth_request), the shipped secondary nginx files serving fetches from
 * their replicas, a real `geo-hook replicate` per secondary reaching the
 * primary from that secondary's own address, real git clients pushing
 * through the secondaries. Judged by the replicas' refs and by what
 * pushers are shown.
 */
const test = suiteNeeding<Context>('replication through the shipped nginx files: replicas served by the secondaries, the lag pushers see', {
  tools: ['nginx', 'fcgiwrap', 'openssl', 'git'],
  onlyInPass: 'executable',
});

interface Context {
  deployment: Deployment;
  relays: Server[];
  /** Where each secondary's replicator reaches the primary: a path through the network from that secondary's address. */
  primaryFrom: Map<number, string>;
  replicators: Map<number, ReplicateProcess>;
  pushes: number;
}

const STATUS_MAX_AGE = 6;
/** What the fixture's primary holds (the site file also lists geo/demo.wiki, which it has not: nothing to replicate). */
const REPOSITORIES = ['geo/demo', 'group/project'];
const LOCAL = PRIMARY_ADDRESS;

const primaryUrl = (context: Context, rest: string) => `http://${LOCAL}:${context.deployment.primary.port}${rest}`;
const nodeCredential = (nodeId: number) => nodeAuthorization(nodeId, NODE_SECRETS[nodeId]!, Math.floor(Date.now() / 1000));
const replicaDir = (context: Context, nodeId: number, repositoryPath: string) => path.join(replicasOf(context.deployment.site, nodeId), `${repositoryPath}.git`);
const primaryDir = (context: Context, repositoryPath: string) => path.join(context.deployment.site.repos, `${repositoryPath}.git`);
const converged = async (context: Context, nodeId: number, repositoryPath: string) =>
  (await refsOf(replicaDir(context, nodeId, repositoryPath)).catch(() => 'none')) === (await refsOf(primaryDir(context, repositoryPath)));
const allConverged = async (context: Context) => {
  for (const nodeId of [2, 3]) for (const repositoryPath of REPOSITORIES) if (!(await converged(context, nodeId, repositoryPath))) return false;
  return true;
};

async function node(context: Context, id: number): Promise<Record<string, unknown>> {
  const secret = (await import('node:fs/promises')).readFile(context.deployment.site.secretFile, 'utf8');
  const response = await fetch(`${context.deployment.site.serve.url}/api/v4/internal/geo/nodes`, { headers: hookHeaders((await secret).trim()) });
  return ((await response.json()) as Array<Record<string, unknown>>).find((entry) => entry.id === id)!;
}

/** A push of a new branch through a secondary's nginx, with real git; what the pusher was shown. */
async function pushThrough(context: Context, nodeId: number): Promise<string> {
  const account = context.deployment.site.accounts.find((candidate) => candidate.glId.startsWith('key-'))!;
  const secondary = context.deployment.secondaries.get(nodeId)!;
  const { dir, git } = await workingCopy(context.deployment.target, `push-${++context.pushes}`);
  const url = `http://${encodeURIComponent(account.username)}:${encodeURIComponent(account.password)}@${secondary.address}:${secondary.port}/group/project.git`;
  const pushed = await commitAndPush(git, dir, url, `replicated-${context.pushes}`);
  if (pushed.error) throw new Error(`push through ${nodeId} failed: ${pushed.stderr}`);
  return remoteText(pushed.stderr);
}

test.before(async (context) => {
  context.pushes = 0;
  context.deployment = await deployNginxPrimary('geo-node-id', { reporting: true, serveArgs: ['--status-max-age', String(STATUS_MAX_AGE)] });
  context.relays = [];
  context.primaryFrom = new Map();
  context.replicators = new Map();
  for (const nodeId of [2, 3]) {
    const relay = await relayFrom(SECONDARY_ADDRESSES[nodeId]!, LOCAL, context.deployment.primary.port);
    context.relays.push(relay.server);
    context.primaryFrom.set(nodeId, relay.url);
  }
  for (const nodeId of [2, 3]) {
    const through = context.primaryFrom.get(nodeId)!;
    context.replicators.set(
      nodeId,
      await startReplicate([
        '--api-url', through,
        '--node-id', String(nodeId),
        '--node-secret-file', path.join(path.dirname(context.deployment.site.siteFile), `node-${nodeId}.secret`),
        '--primary-git-url', `${through}/-/geo/replication`,
        '--repositories', replicasOf(context.deployment.site, nodeId),
        '--report-interval', '0.5',
      ]),
    );
  }
});

test.after(async (context) => {
  for (const replicator of context.replicators?.values() ?? []) {
    try {
      process.kill(-replicator.child.pid!, 'SIGCONT');
    } catch {}
    await replicator.ended('SIGTERM');
  }
  for (const relay of context.relays ?? []) relay.close();
  await context.deployment?.close();
});

test("the first sync: each secondary's replicas have the primary's refs and HEAD; a clone from each secondary's nginx is the primary's", async (context) => {
  await untilTrue(200, () => allConverged(context));
  for (const nodeId of [2, 3]) {
    for (const repositoryPath of REPOSITORIES) {
      assert.is(await gitIn(replicaDir(context, nodeId, repositoryPath), 'symbolic-ref', 'HEAD'), await gitIn(primaryDir(context, repositoryPath), 'symbolic-ref', 'HEAD'), repositoryPath);
    }
    const secondary = context.deployment.secondaries.get(nodeId)!;
    const clone = path.join(context.deployment.site.dir, `clone-${nodeId}`);
    await gitIn(context.deployment.site.dir, 'clone', '--quiet', '--mirror', `http://${secondary.address}:${secondary.port}/group/project.git`, clone);
    assert.is(await refsOf(clone), await refsOf(primaryDir(context, 'group/project')), `clone from secondary ${nodeId}`);
    assert.is(await readdir(replicaDir(context, nodeId, 'geo/demo.wiki')).then(() => 'made', () => 'absent'), 'absent', 'a repository the primary has not is not made up');
    await untilTrue(50, async () => (await node(context, nodeId)).lag_source === 'measured');
    const status = await node(context, nodeId);
    assert.equal([status.lag_seconds, status.healthy, status.pending_events], [0, true, 0], `node ${nodeId}`);
  }
});

test('the primary lets through at /-/geo/replication/ only upload-pack, only from a secondary, only with that secondary\'s own credential', async (context) => {
  const advertisement = '/-/geo/replication/group/project.git/info/refs?service=git-upload-pack';
  const eu = SECONDARY_ADDRESSES[2]!;
  assert.is(await statusFrom(eu, primaryUrl(context, advertisement), { authorization: nodeCredential(2) }), 200);
  assert.is(await statusFrom(LOCAL, primaryUrl(context, advertisement), { authorization: nodeCredential(2) }), 403, 'not a secondary\'s address');
  assert.is(await statusFrom(eu, primaryUrl(context, advertisement), { authorization: nodeCredential(3) }), 403, "another secondary's credential");
  assert.is(await statusFrom(eu, primaryUrl(context, advertisement), {}), 403, 'no credential');
  assert.is(await statusFrom(eu, primaryUrl(context, advertisement), { authorization: `GL-Geo 2:${'x'.repeat(40)}` }), 401, 'a forged token: serve refuses it');
  const expired = nodeAuthorization(2, NODE_SECRETS[2]!, Math.floor(Date.now() / 1000) - 3600);
  assert.is(await statusFrom(eu, primaryUrl(context, advertisement), { authorization: expired }), 401, 'an expired token');
  const account = context.deployment.site.accounts[0]!;
  assert.is(await statusFrom(eu, primaryUrl(context, advertisement), { authorization: basicAuth(account) }), 403, "a user's account is not a node's credential");
  assert.is(await statusFrom(eu, primaryUrl(context, '/-/geo/replication/group/project.git/info/refs?service=git-receive-pack'), { authorization: nodeCredential(2) }), 403, 'never a push');
  assert.is(await statusFrom(eu, primaryUrl(context, '/-/geo/replication/group/project.git/git-receive-pack'), { authorization: nodeCredential(2) }, 'POST'), 404);
  assert.is(await statusFrom(eu, primaryUrl(context, '/-/geo/replication/group/project.git/HEAD'), { authorization: nodeCredential(2) }), 404, 'no dumb HTTP');
  // The node endpoints: a secondary's address and its own credential.
  assert.is(await statusFrom(eu, primaryUrl(context, '/api/v4/internal/geo/repositories'), { authorization: nodeCredential(2) }), 200);
  assert.is(await statusFrom(LOCAL, primaryUrl(context, '/api/v4/internal/geo/repositories'), { authorization: nodeCredential(2) }), 403);
  assert.is(await statusFrom(eu, primaryUrl(context, '/api/v4/internal/geo/repositories'), { authorization: nodeCredential(3) }), 403);
  assert.is(await statusFrom(eu, primaryUrl(context, '/api/v4/internal/geo/replication_auth'), { authorization: nodeCredential(2) }), 404, 'the check itself is internal');
});

test("a secondary's own replicas serve only fetches: its removed replicas and dumb HTTP are not served", async (context) => {
  const secondary = context.deployment.secondaries.get(2)!;
  const at = (rest: string) => `http://${secondary.address}:${secondary.port}${rest}`;
  assert.is(await statusFrom(LOCAL, at('/group/project.git/info/refs?service=git-upload-pack'), {}), 200);
  assert.is(await statusFrom(LOCAL, at('/group/project.git/info/refs'), {}), 403);
  assert.is(await statusFrom(LOCAL, at('/group/project.git/HEAD'), {}), 404);
  assert.is(await statusFrom(LOCAL, at('/.removed/2026-12-02T12-00-00-000Z-unlisted/old/gone.git/info/refs?service=git-upload-pack'), {}), 404);
});

test('steady state: a push through a secondary is told nothing more than the forwarding (lag 0), and a clone through the other secondary has it within 2 s', async (context) => {
  assert.is(await pushThrough(context, 2), pusherSeesLine('group/project', undefined));
  const pushed = Date.now();
  const head = (await refsOf(primaryDir(context, 'group/project'))).split('\n').find((line) => line.startsWith(`refs/heads/replicated-${context.pushes} `))!.split(' ')[1]!;
  const ap = context.deployment.secondaries.get(3)!;
  await untilTrue(100, async () => (await gitIn(context.deployment.site.dir, 'ls-remote', `http://${ap.address}:${ap.port}/group/project.git`)).includes(head));
  assert.ok(Date.now() - pushed < 2000, `${Date.now() - pushed} ms from the push's end to the commit served by the other secondary`);
  await untilTrue(100, () => allConverged(context));
  const secondary = context.deployment.secondaries.get(3)!;
  const clone = path.join(context.deployment.site.dir, 'clone-after-push');
  await gitIn(context.deployment.site.dir, 'clone', '--quiet', '--mirror', `http://${secondary.address}:${secondary.port}/group/project.git`, clone);
  assert.is(await refsOf(clone), await refsOf(primaryDir(context, 'group/project')), 'a clone from the other secondary has the push');
});

test("one secondary's replicator paused: its pushers see the real lag, growing, the other's none; resumed, the line goes; away longer than the status age, the lag is unknown", async (context) => {
  const eu = context.replicators.get(2)!;
  const pause = () => process.kill(-eu.child.pid!, 'SIGSTOP');
  const resume = () => process.kill(-eu.child.pid!, 'SIGCONT');
  pause();
  const started = Date.now();
  try {
    // Its own event is not counted: nothing was pending before it.
    assert.is(await pushThrough(context, 2), pusherSeesLine('group/project', undefined));
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const second = await pushThrough(context, 2);
    const lag = Number(/Current replication lag: (\d+) seconds/.exec(second)?.[1]);
    assert.ok(lag >= 2 && lag <= Math.ceil((Date.now() - started) / 1000), second);
    assert.is(second, pusherSeesLine('group/project', `Current replication lag: ${lag} seconds`));
    assert.is(await pushThrough(context, 3), pusherSeesLine('group/project', undefined), 'the other secondary replicates on');
  } finally {
    resume();
  }
  await untilTrue(100, async () => (await node(context, 2)).pending_events === 0);
  assert.is(await pushThrough(context, 2), pusherSeesLine('group/project', undefined), 'caught up: no line');

  pause();
  try {
    await untilTrue(150, async () => Number((await node(context, 2)).status_age_seconds) > STATUS_MAX_AGE);
    const unknown = await pushThrough(context, 2);
    const age = Number(/last reported (\d+) seconds ago/.exec(unknown)?.[1]);
    assert.ok(age > STATUS_MAX_AGE - 1, unknown);
    assert.is(unknown, pusherSeesLine('group/project', `Current replication lag: unknown, this secondary last reported ${age} seconds ago`), 'never a stale number');
  } finally {
    resume();
  }
  await untilTrue(100, async () => (await node(context, 2)).healthy === true && (await node(context, 2)).pending_events === 0);
  await untilTrue(100, () => allConverged(context));
});

test("a long poll through the primary's nginx is answered after its 30 s, not cut by a read timeout", async (context) => {
  const eu = SECONDARY_ADDRESSES[2]!;
  const { last } = JSON.parse((await getFrom(eu, primaryUrl(context, '/api/v4/internal/geo/events?after=0&limit=1'), { authorization: nodeCredential(2) })).body) as { last: string };
  const started = Date.now();
  const answer = await getFrom(eu, primaryUrl(context, `/api/v4/internal/geo/events?after=${last}&wait=30`), { authorization: nodeCredential(2) });
  assert.is(answer.status, 200, answer.body);
  assert.equal((JSON.parse(answer.body) as { events: unknown[] }).events, []);
  assert.ok(Date.now() - started >= 29_000, `${Date.now() - started} ms`);
});

test('serve away: a replication fetch is refused (auth_request fails closed), and the replicator says the primary is away', async (context) => {
  await context.deployment.site.serve.stop();
  assert.is(await statusFrom(SECONDARY_ADDRESSES[2]!, primaryUrl(context, '/-/geo/replication/group/project.git/info/refs?service=git-upload-pack'), { authorization: nodeCredential(2) }), 500);
  await untilTrue(100, async () => context.replicators.get(2)!.logs().some((record) => record.event === 'primary_unreachable'));
  assert.ok((await readdir(replicasOf(context.deployment.site, 2))).includes('group'), 'the replicas stay, served');
});

/** A GET from a chosen local address (a secondary's), its status and body; bounded at 40 s. */
function getFrom(localAddress: string, url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const call = request({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, localAddress, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    call.on('error', reject);
    call.setTimeout(40_000, () => call.destroy(new Error(`no answer from ${url}`)));
    call.end();
  });
}

test.run();
