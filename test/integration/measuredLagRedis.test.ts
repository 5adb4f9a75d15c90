import * as assert from 'uvu/assert';
import { FORWARDED, LAG, type ServeProcess, makeTempDir, refLine, runGeoHook, startServe, writeSecret } from '../helpers/geoHook.js';
import { type RedisProcess, startRedis } from '../helpers/redis.js';
import { NODE_SECRETS, hookHeaders, scriptedSecondary, writeReportingSite } from '../helpers/secondary.js';
import { suiteNeeding } from '../helpers/tools.js';

/**
 * Contract section 11 on Redis: two serve processes on one Redis agree on
 * everything (the log, the statuses, the static lags, the long polls), and
 * a restarted serve finds the same log, nothing lost.
 */
const SECRET = 'redis-lag-hook-secret';
const PROJECT_URL = 'http://primary.geo.test/group/project.git';

interface Context {
  redis: RedisProcess;
  secretFile: string;
  args: string[];
  a: ServeProcess;
  b: ServeProcess;
}
const test = suiteNeeding<Context>('the measured lag with two serve processes on one Redis', { tools: ['redis-server'] });

test.before(async (context) => {
  const dir = await makeTempDir();
  context.redis = await startRedis();
  context.secretFile = await writeSecret(dir, SECRET);
  context.args = ['--secret-file', context.secretFile, '--nodes-file', await writeReportingSite(dir), '--store', context.redis.url];
  context.a = await startServe(context.args);
  context.b = await startServe(context.args);
});
test.after(async ({ a, b, redis }) => {
  await a?.stop();
  await b?.stop();
  await redis?.stop();
});

const push = (context: Context, serve: ServeProcess, nodeId?: number) =>
  runGeoHook(['post-receive'], {
    env: {
      GL_ID: 'key-42',
      GL_REPOSITORY: 'project-7',
      GEO_HOOK_API_URL: serve.url,
      GEO_HOOK_SECRET_FILE: context.secretFile,
      ...(nodeId !== undefined && { GEO_NODE_ID: String(nodeId) }),
    },
    stdin: refLine(),
  });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a status reported through one serve, the measured lag through the other', async (context) => {
  const eu = scriptedSecondary(context.a.url, 2, NODE_SECRETS[2]!);
  await push(context, context.a);
  const { body } = await eu.get('events?after=0&limit=1000');
  const cursorBefore = body.last;
  assert.is(await eu.report({ log: body.log, cursor: cursorBefore }), 204);
  await push(context, context.b);
  await sleep(1100);
  assert.is((await push(context, context.b, 2)).stderr, FORWARDED(PROJECT_URL) + LAG(1));
  const { body: all } = await eu.get(`events?after=${cursorBefore}&limit=1000`);
  assert.is(await eu.report({ log: all.log, cursor: all.last }), 204);
  assert.is((await push(context, context.b, 2)).stderr, FORWARDED(PROJECT_URL));
  // Both read one log.
  const viaB = (await scriptedSecondary(context.b.url, 2, NODE_SECRETS[2]!).get('events?after=0&limit=1000')).body;
  assert.equal([viaB.log, viaB.last], [all.log, (await eu.get('events?after=0&limit=1000')).body.last]);
});

test('a long poll on one serve, woken by a push through the other', async (context) => {
  const eu = scriptedSecondary(context.a.url, 2, NODE_SECRETS[2]!);
  const { last } = (await eu.get('events?after=0&limit=1000')).body;
  const waiting = eu.get(`events?after=${last}&wait=20`);
  await sleep(300);
  await push(context, context.b);
  const woken = await waiting;
  assert.equal([woken.status, woken.body.events.length], [200, 1]);
  assert.ok(woken.ms < 10_000, `woken after ${woken.ms} ms`);
});

test('a static PUT on one serve is what the other shows', async (context) => {
  const put = await fetch(`${context.a.url}/api/v4/internal/geo/nodes/4`, {
    method: 'PUT',
    headers: { ...hookHeaders(SECRET), 'content-type': 'application/json' },
    body: JSON.stringify({ lag_seconds: 99 }),
  });
  assert.is(put.status, 200);
  assert.is((await push(context, context.b, 4)).stderr, FORWARDED(PROJECT_URL) + LAG(99));
});

test('serve restarted on Redis: the same log, no event lost, the PUT kept, no resync for the old cursor', async (context) => {
  const eu = scriptedSecondary(context.a.url, 2, NODE_SECRETS[2]!);
  const before = (await eu.get('events?after=0&limit=1000')).body;
  await context.a.stop();
  context.a = await startServe(context.args);
  const again = scriptedSecondary(context.a.url, 2, NODE_SECRETS[2]!);
  const after = (await again.get('events?after=0&limit=1000')).body;
  assert.equal([after.log, after.events.map((event: { id: string }) => event.id)], [before.log, before.events.map((event: { id: string }) => event.id)]);
  const fromCursor = (await again.get(`events?after=${before.last}&log=${before.log}`)).body;
  assert.equal([fromCursor.resync, fromCursor.events], [false, []]);
  assert.is((await push(context, context.a, 4)).stderr, FORWARDED(PROJECT_URL) + LAG(99));
});

test('Redis away: the push is answered, with the notice and no lag line, its lost event counted', async (context) => {
  const eu = scriptedSecondary(context.a.url, 2, NODE_SECRETS[2]!);
  const { log, last } = (await eu.get('events?after=0&limit=1000')).body;
  assert.is(await eu.report({ log, cursor: last }), 204);
  await context.redis.stop();
  try {
    const result = await push(context, context.b, 2);
    assert.equal([result.code, result.stderr], [0, FORWARDED(PROJECT_URL)]);
    assert.ok(result.ms < 5000, `answered in ${result.ms} ms`);
    const metrics = await (await fetch(`${context.b.url}/-/metrics`)).text();
    assert.match(metrics, /^geo_hook_events_append_failures_total 1$/m);
    assert.not.match(metrics, /^geo_hook_node_replication_lag_seconds/m);
    assert.is((await eu.get('events')).status, 503);
  } finally {
    await context.redis.start();
  }
});

test.run();
