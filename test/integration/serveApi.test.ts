import { createHmac } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { claimsAt, signJwt } from '../../src/shared/jwt.js';
import { FIXTURES, type ServeProcess, makeTempDir, refLine, startServe, writeSecret } from '../helpers/geoHook.js';

const SECRET = 'serve-secret';
const test = suite<{ serve: ServeProcess }>('geo-hook serve: the internal API', {} as never);

test.before(async (context) => {
  const dir = await makeTempDir();
  context.serve = await startServe(['--secret-file', await writeSecret(dir, SECRET), '--nodes-file', path.join(FIXTURES, 'geo-site.json'), '--legacy']);
});
test.after(async ({ serve }) => serve.stop());

const token = (secret = SECRET, now = Math.floor(Date.now() / 1000)) => signJwt(claimsAt(now), secret);

async function call(serve: ServeProcess, method: string, endpoint: string, body?: unknown, jwt: string | null = token()) {
  const response = await fetch(`${serve.url}/api/v4/internal/${endpoint}`, {
    method,
    headers: { 'content-type': 'application/json', ...(jwt !== null && { 'gitlab-shell-api-request': jwt }) },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

const push = (extra: Record<string, unknown> = {}) => ({
  gl_repository: 'project-7',
  identifier: 'key-42',
  changes: refLine(),
  push_options: [],
  ...extra,
});

test('SIGHUP loads the site file again: a repository added is known at once; a broken file keeps the site as it was', async () => {
  const dir = await makeTempDir();
  const siteFile = path.join(dir, 'geo-site.json');
  const site = JSON.parse(await readFile(path.join(FIXTURES, 'geo-site.json'), 'utf8')) as { repositories: Record<string, string> };
  await writeFile(siteFile, JSON.stringify(site));
  const serve = await startServe(['--secret-file', await writeSecret(dir, SECRET), '--nodes-file', siteFile]);
  try {
    const before = await call(serve, 'POST', 'post_receive', push({ gl_repository: 'project-99', geo_node_id: 2 }));
    assert.equal([before.status, before.json!.message], [404, '404 Project Not Found']);
    await writeFile(siteFile, JSON.stringify({ ...site, repositories: { ...site.repositories, 'project-99': 'group/added' } }));
    serve.child.kill('SIGHUP');
    assert.ok(await serve.logLine((record) => record.event === 'site_reloaded'), JSON.stringify(serve.logs()));
    const after = await call(serve, 'POST', 'post_receive', push({ gl_repository: 'project-99', geo_node_id: 2 }));
    assert.is(after.status, 200);
    assert.match(JSON.stringify(after.json), /http:\/\/primary\.geo\.test\/group\/added\.git/);
    await writeFile(siteFile, '{"nodes": ');
    serve.child.kill('SIGHUP');
    const failed = await serve.logLine((record) => record.event === 'site_reload_failed');
    assert.match(String(failed?.error), /is not valid JSON|JSON/);
    assert.is((await call(serve, 'POST', 'post_receive', push({ gl_repository: 'project-99', geo_node_id: 2 }))).status, 200, 'the site as it was');
    assert.is(serve.child.exitCode, null, 'serve still runs');
  } finally {
    await serve.stop();
  }
});

test('check: authenticated health answer', async ({ serve }) => {
  const { status, json } = await call(serve, 'GET', 'check');
  assert.is(status, 200);
  assert.is(json!.api_version, 'v4');
  assert.is(json!.store, 'memory');
  assert.is(json!.store_reachable, true);
  assert.ok(Math.abs(Number(json!.server_time) - Date.now() / 1000) < 5);
  assert.is((await call(serve, 'GET', 'check', undefined, null)).status, 401);
});

test('bad tokens: 401, and the stored entry is not consumed', async ({ serve }) => {
  assert.is((await call(serve, 'POST', 'geo/push_referrer', { geo_node_id: 2, correlation_id: 'kept', gl_id: 'key-42', gl_repository: 'project-7' })).status, 204);
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = claimsAt(Math.floor(Date.now() / 1000));
  const hmac = (data: string, algorithm = 'sha256') => createHmac(algorithm, SECRET).update(data).digest('base64url');
  const forged = (header: unknown, payload: unknown, algorithm?: string) => {
    const data = `${b64(header)}.${b64(payload)}`;
    return `${data}.${hmac(data, algorithm)}`;
  };
  const valid = token();
  const [validHeader, , validSignature] = valid.split('.');
  const bad = [
    null,
    'not-a-jwt',
    `${b64({ alg: 'none' })}.${b64(claims)}.`,
    forged({ alg: 'HS512', typ: 'JWT' }, claims, 'sha512'),
    forged({ alg: 'HS256', typ: 'JWT' }, { ...claims, iss: 'gitlab-workhorse' }),
    `${validHeader}.${b64({ ...claims, exp: claims.exp + 3600 })}.${validSignature}`,
    `${valid.slice(0, -4)}AAAA`,
    token('another-installation'),
    token(SECRET, Math.floor(Date.now() / 1000) - 1000),
  ];
  for (const jwt of bad) {
    const answer = await call(serve, 'POST', 'post_receive', push({ correlation_id: 'kept' }), jwt);
    assert.is(answer.status, 401);
    assert.equal(answer.json, { message: '401 Unauthorized' });
  }
  const good = await call(serve, 'POST', 'post_receive', push({ correlation_id: 'kept' }));
  assert.is(good.status, 200);
  assert.is((good.json!.messages as unknown[]).length, 2, 'the entry was still there for the real push');
});

test('bad bodies: 400 with a JSON error', async ({ serve }) => {
  const cases: Array<[unknown, RegExp]> = [
    ['{not json', /not JSON/],
    [[1], /JSON object/],
    [push({ gl_repository: 'nope' }), /gl_repository/],
    [push({ identifier: 42 }), /identifier/],
    [push({ changes: '' }), /changes/],
    [push({ push_options: 'ci.skip' }), /push_options/],
    [push({ correlation_id: 'a b' }), /correlation_id/],
  ];
  for (const [body, pattern] of cases) {
    const answer = await call(serve, 'POST', 'post_receive', body);
    assert.is(answer.status, 400, JSON.stringify(body));
    assert.match(String(answer.json!.message), pattern);
  }
});

test('an unknown repository is 404; unknown paths 404; wrong methods 405', async ({ serve }) => {
  assert.is((await call(serve, 'POST', 'post_receive', push({ gl_repository: 'project-999' }))).status, 404);
  assert.is((await call(serve, 'GET', 'nowhere')).status, 404);
  assert.is((await call(serve, 'GET', 'post_receive')).status, 405);
});

test('odd geo_node_id values give no message and no error', async ({ serve }) => {
  for (const geoNodeId of [1, 99, 0, -2, 1e300, 2.5, '2', null, { id: 2 }]) {
    const answer = await call(serve, 'POST', 'post_receive', push({ identifier: 'key-5', geo_node_id: geoNodeId }));
    assert.is(answer.status, 200, String(geoNodeId));
    assert.equal(answer.json, { reference_counter_decreased: true, messages: [] });
  }
  const logged = serve.logs().filter((record) => typeof record.note === 'string');
  assert.ok(logged.length >= 6, 'each odd value is logged');
});

test("legacy mode finds upstream's key, once", async ({ serve }) => {
  assert.is((await call(serve, 'POST', 'geo/push_referrer', { geo_node_id: 3, gl_id: 'key-7', gl_repository: 'project-7' })).status, 204);
  const first = await call(serve, 'POST', 'post_receive', push({ identifier: 'key-7' }));
  assert.match(JSON.stringify(first.json), /Current replication lag: 7 seconds/);
  const second = await call(serve, 'POST', 'post_receive', push({ identifier: 'key-7' }));
  assert.equal(second.json!.messages, []);
});

test('a thousand random bodies: never a 500, always a JSON answer', async ({ serve }) => {
  const { seededRandom } = await import('../helpers/random.js');
  const random = seededRandom(7);
  const value = (depth: number): unknown =>
    random.pick([
      () => random.anyText(random.int(30)),
      () => random.int(1e6) - 5e5,
      () => random.next() < 0.5,
      () => null,
      () => (depth > 2 ? [] : Array.from({ length: random.int(4) }, () => value(depth + 1))),
      () => (depth > 2 ? {} : Object.fromEntries(Array.from({ length: random.int(4) }, () => [random.pick(['gl_repository', 'identifier', 'changes', 'push_options', 'geo_node_id', 'correlation_id', random.anyText(5)]), value(depth + 1)]))),
    ])();
  const statuses = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const body = random.next() < 0.3 ? random.anyText(random.int(200)) : { ...push(), [random.pick(['gl_repository', 'identifier', 'changes', 'push_options', 'geo_node_id', 'correlation_id', 'gl_username'])]: value(0) };
    const answer = await call(serve, 'POST', 'post_receive', body);
    statuses.add(answer.status);
    assert.ok([200, 400, 404].includes(answer.status), `HTTP ${answer.status} for ${JSON.stringify(body).slice(0, 200)}`);
    assert.type(answer.json, 'object');
  }
  assert.ok(statuses.has(200) && statuses.has(400), JSON.stringify([...statuses]));
});

test('push_referrer validates what it stores', async ({ serve }) => {
  assert.is((await call(serve, 'POST', 'geo/push_referrer', { geo_node_id: 0, gl_id: 'key-7', gl_repository: 'project-7' })).status, 400);
  assert.is((await call(serve, 'POST', 'geo/push_referrer', { geo_node_id: 2, correlation_id: 'a b', gl_id: 'key-7', gl_repository: 'project-7' })).status, 400);
});

test.run();
