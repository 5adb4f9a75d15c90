import path from 'node:path';
import * as assert from 'uvu/assert';
import { RedisReferrerStore } from '../../src/server/stores/redis/redisReferrerStore.js';
import { SCENARIO_IDS, runScenario } from '../../src/lab/raceScenarios.js';
import { claimsAt, signJwt } from '../../src/shared/jwt.js';
import { FIXTURES, FORWARDED, LAG, type ServeProcess, makeTempDir, refLine, runGeoHook, startServe, writeSecret } from '../helpers/geoHook.js';
import { pusherSees, startTestLab } from '../helpers/lab.js';
import { type RedisProcess, redisCommand, startRedis } from '../helpers/redis.js';
import { suiteNeeding } from '../helpers/tools.js';

const test = suiteNeeding<{ redis: RedisProcess; store: RedisReferrerStore }>('the referrer store on a real Redis', { tools: ['redis-server'] });
const PROJECT_URL = 'http://primary.geo.test/group/project.git';

test.before(async (context) => {
  context.redis = await startRedis();
  context.store = new RedisReferrerStore(context.redis.url);
  assert.ok(await context.store.ready());
});
test.after(async ({ redis, store }) => {
  await store.close();
  await redis.stop();
});

test("keys as the contract names them, with upstream's 5 minute expiry", async ({ redis, store }) => {
  await store.putCorrelation('c-keys', 3);
  await store.putLegacy('key-42', 'project-7', 2);
  assert.is(await redisCommand(redis.port, 'GET geo-hook:referrer:correlation:c-keys'), '$1');
  assert.is(await redisCommand(redis.port, 'TTL geo-hook:referrer:correlation:c-keys'), ':300');
  assert.is(await redisCommand(redis.port, 'TTL git_receive_pack:geo_node_id:key-42:project-7'), ':300');
  assert.is(await store.takeLegacy('key-42', 'project-7'), 2);
  assert.is(await store.takeCorrelation('c-keys'), 3);
  assert.is(await store.takeCorrelation('c-keys'), undefined);
});

test('take by correlation id is atomic: of 50 concurrent takers exactly one gets the entry', async ({ store }) => {
  for (let round = 0; round < 5; round++) {
    await store.putCorrelation(`atomic-${round}`, 2);
    const taken = await Promise.all(Array.from({ length: 50 }, () => store.takeCorrelation(`atomic-${round}`)));
    assert.is(taken.filter((value) => value === 2).length, 1);
  }
});

test('a non-numeric value stored by someone else is no node id', async ({ redis, store }) => {
  await redisCommand(redis.port, 'SET geo-hook:referrer:correlation:junk hello');
  assert.is(await store.takeCorrelation('junk'), undefined);
});

test('sizes for the metrics: the keys of the database and Redis\'s own evictions', async ({ redis, store }) => {
  await redisCommand(redis.port, 'FLUSHDB');
  await store.putCorrelation('sizes-1', 2);
  await store.putLegacy('key-1', 'project-1', 3);
  assert.equal(await store.sizes(), { entries: 2, evictions: 0 });
});

test.run();

const shared = suiteNeeding<{ redis: RedisProcess; a: ServeProcess; b: ServeProcess; secretFile: string; dir: string }>(
  'two server processes sharing one Redis',
  { tools: ['redis-server'] },
);
shared.before(async (context) => {
  context.redis = await startRedis();
  context.dir = await makeTempDir();
  context.secretFile = await writeSecret(context.dir, 'shared-secret');
  // The servers must know the lab's repositories: the lab's own site file is the fixture plus them.
  const args = ['--secret-file', context.secretFile, '--nodes-file', path.join(FIXTURES, 'geo-site.json'), '--store', context.redis.url];
  context.a = await startServe(args);
  context.b = await startServe(args);
});
shared.after(async ({ a, b, redis }) => {
  await a.stop();
  await b.stop();
  await redis.stop();
});

shared('the race scenarios, registered through one server, hooks calling the other: no wrong message', async (context) => {
  const lab = await startTestLab('correlation', { externalApi: { registerUrl: context.a.url, hookUrl: context.b.url, secretFile: context.secretFile } });
  try {
    for (const scenario of SCENARIO_IDS) {
      const outcomes = await runScenario(lab, scenario, { concurrency: 8, rounds: 2, path: process.env.PATH ?? '', expect: pusherSees });
      assert.is(outcomes.filter((outcome) => !outcome.ok).length, 0, JSON.stringify(outcomes.filter((o) => !o.ok)));
    }
    const registered = context.a.logs().filter((record) => record.path === '/api/v4/internal/geo/push_referrer' && record.status === 204);
    const found = context.b.logs().filter((record) => record.referrer_source === 'correlation');
    assert.ok(registered.length >= 8 * 2 * 2, `${registered.length} registered through A`);
    assert.is(found.length, registered.length, 'every registered push was found through B');
  } finally {
    await lab.close();
  }
});

shared('Redis away: the push is answered at once without the lag, logged; back again, the lag returns', async (context) => {
  const env = { GL_ID: 'key-42', GL_REPOSITORY: 'project-7', GEO_HOOK_API_URL: context.b.url, GEO_HOOK_SECRET_FILE: context.secretFile, GEO_HOOK_TIMEOUT: '5' };
  const register = (id: string) =>
    fetch(`${context.a.url}/api/v4/internal/geo/push_referrer`, {
      method: 'POST',
      headers: { 'gitlab-shell-api-request': signJwt(claimsAt(Math.floor(Date.now() / 1000)), 'shared-secret'), 'content-type': 'application/json' },
      body: JSON.stringify({ geo_node_id: 2, correlation_id: id, gl_id: 'key-42', gl_repository: 'project-7' }),
    });
  assert.is((await register('before')).status, 204);
  await context.redis.stop();
  assert.is((await register('during')).status, 503, 'the receive-pack step says the store is away');
  const during = await runGeoHook(['post-receive'], { env: { ...env, CORRELATION_ID: 'before' }, stdin: refLine() });
  assert.equal([during.code, during.stderr], [0, '']);
  assert.ok(during.ms < 4000, `answered in ${during.ms} ms`);
  assert.ok(context.b.logs().some((record) => String(record.note ?? '').includes('referrer store unavailable')));
  // Operations see it: not ready, and the store errors counted.
  const readiness = await fetch(`${context.b.url}/-/readiness`);
  assert.equal([readiness.status, await readiness.json()], [503, { status: 'referrer store not answering', store: 'redis' }]);
  const metrics = await (await fetch(`${context.b.url}/-/metrics`)).text();
  assert.ok(Number(/^geo_hook_store_errors_total (\d+)/m.exec(metrics)?.[1]) >= 1, 'store errors counted');

  await context.redis.start();
  // Both servers reconnect by themselves; wait until B says its store is reachable again.
  const reachable = async () => {
    const response = await fetch(`${context.b.url}/api/v4/internal/check`, {
      headers: { 'gitlab-shell-api-request': signJwt(claimsAt(Math.floor(Date.now() / 1000)), 'shared-secret') },
    });
    return ((await response.json()) as { store_reachable: boolean }).store_reachable;
  };
  for (let i = 0; i < 100 && !(await reachable()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.is((await fetch(`${context.b.url}/-/readiness`)).status, 200, 'ready again');
  for (let i = 0; i < 50 && (await register('after')).status !== 204; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  const after = await runGeoHook(['post-receive'], { env: { ...env, CORRELATION_ID: 'after' }, stdin: refLine() });
  assert.equal([after.code, after.stderr], [0, FORWARDED(PROJECT_URL) + LAG(42)]);
});

shared('Redis slow: post_receive still answers within its budget', async (context) => {
  const env = { GL_ID: 'key-42', GL_REPOSITORY: 'project-7', GEO_HOOK_API_URL: context.b.url, GEO_HOOK_SECRET_FILE: context.secretFile, GEO_HOOK_TIMEOUT: '5', CORRELATION_ID: 'slow-1' };
  const sleepStarted = Date.now();
  const sleeping = redisCommand(context.redis.port, 'DEBUG SLEEP 3', 6000).then((reply) => ({ reply, ms: Date.now() - sleepStarted }));
  await new Promise((resolve) => setTimeout(resolve, 100));
  const result = await runGeoHook(['post-receive'], { env, stdin: refLine() });
  const slept = await sleeping;
  // Redis really slept (Redis 7 answers DEBUG with an error unless it was started to allow it).
  assert.is(slept.reply, '+OK');
  assert.ok(slept.ms >= 2500, `Redis slept ${slept.ms} ms`);
  assert.equal([result.code, result.stderr], [0, '']);
  assert.ok(result.ms < 2500, `answered in ${result.ms} ms while Redis slept 3 s`);
  assert.ok(context.b.logs().some((record) => record.correlation_id === 'slow-1' && String(record.note ?? '').includes('referrer store unavailable')));
});

shared.run();
