import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { claimsAt, signJwt } from '../../src/shared/jwt.js';
import { FIXTURES, type ServeProcess, makeTempDir, refLine, runGeoHook, startServe, writeSecret } from '../helpers/geoHook.js';

const SECRET = 'referrer-secret';
const FRONTEND_TOKEN = 'web-server-token-0123456789';
const nowSeconds = () => Math.floor(Date.now() / 1000);
const jwt = () => signJwt(claimsAt(nowSeconds()), SECRET);

interface Context {
  serve: ServeProcess;
  legacy: ServeProcess;
}
const test = suite<Context>('push_referrer for a stock web server: header form, front-end token, first node kept', {} as never);

test.before(async (context) => {
  const dir = await makeTempDir();
  const tokenFile = path.join(dir, 'frontend-token');
  await writeFile(tokenFile, `  ${FRONTEND_TOKEN}\n`, { mode: 0o600 });
  const args = ['--secret-file', await writeSecret(dir, SECRET), '--nodes-file', path.join(FIXTURES, 'geo-site.json'), '--frontend-token-file', tokenFile];
  context.serve = await startServe(args);
  context.legacy = await startServe([...args, '--legacy']);
});
test.after(async ({ serve, legacy }) => {
  await serve.stop();
  await legacy.stop();
});

/** What nginx's auth_request subrequest sends: POST, no body, the values in headers. */
function register(serve: ServeProcess, headers: Record<string, string>) {
  return fetch(`${serve.url}/api/v4/internal/geo/push_referrer`, { method: 'POST', headers }).then(async (response) => ({
    status: response.status,
    text: await response.text(),
  }));
}

function postReceive(serve: ServeProcess, correlationId: string, headers: Record<string, string> = { 'gitlab-shell-api-request': jwt() }) {
  return fetch(`${serve.url}/api/v4/internal/post_receive`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ gl_repository: 'project-7', identifier: 'key-42', changes: refLine(), push_options: [], correlation_id: correlationId }),
  }).then(async (response) => ({ status: response.status, json: (await response.json()) as { messages?: Array<{ message: string }> } }));
}

test('a front-end token that could never work, or works too well, stops serve at start with one line', async () => {
  const dir = await makeTempDir();
  const secretFile = await writeSecret(dir, SECRET);
  const tokenFile = path.join(dir, 'bad-token');
  for (const [text, why] of [
    ['abcdefgh ijklmnop\n', 'holds white space inside the token'],
    [`${SECRET}\n`, "holds the hook's secret"],
    ['x\n', 'holds a token of under 16 characters'],
    ['\n', 'is empty'],
  ] as const) {
    await writeFile(tokenFile, text, { mode: 0o600 });
    const result = await runGeoHook(['serve', '--listen', '127.0.0.1:0', '--secret-file', secretFile, '--nodes-file', path.join(FIXTURES, 'geo-site.json'), '--frontend-token-file', tokenFile], { killAfterMs: 10_000 });
    assert.is(result.code, 2, result.stderr);
    assert.is(result.stderr.split('\n').length, 2, result.stderr);
    assert.ok(result.stderr.startsWith(`geo-hook: front-end token file ${tokenFile} ${why}`), result.stderr);
  }
});

const bearer = (token = FRONTEND_TOKEN) => ({ authorization: `Bearer ${token}` });
const LAG_42 = 'Current replication lag: 42 seconds';
const LAG_7 = 'Current replication lag: 7 seconds';

test('the header form with the front-end token registers; the hook then finds the node', async ({ serve }) => {
  const answer = await register(serve, { ...bearer(), 'x-request-id': 'nginx-req-1', 'x-geo-node-id': '2' });
  assert.equal(answer, { status: 204, text: '' });
  const reply = await postReceive(serve, 'nginx-req-1');
  assert.is(reply.status, 200);
  assert.is(reply.json.messages?.at(-1)?.message, LAG_42);
  const record = await serve.logLine((line) => line.correlation_id === 'nginx-req-1' && line.endpoint === 'push_referrer');
  assert.is(record?.form, 'headers');
  assert.is(record?.auth, 'frontend-token');
  assert.not.match(JSON.stringify(serve.logs()), new RegExp(FRONTEND_TOKEN), 'the token is never logged');
});

test('the JSON form with the front-end token, and the header form with a JWT, work too', async ({ serve }) => {
  const json = await fetch(`${serve.url}/api/v4/internal/geo/push_referrer`, {
    method: 'POST',
    headers: { ...bearer(), 'content-type': 'application/json' },
    body: JSON.stringify({ geo_node_id: 3, correlation_id: 'json-1' }),
  });
  assert.is(json.status, 204);
  assert.is((await postReceive(serve, 'json-1')).json.messages?.at(-1)?.message, LAG_7);
  assert.is((await register(serve, { 'gitlab-shell-api-request': jwt(), 'x-request-id': 'jwt-1', 'x-geo-node-id': '3' })).status, 204);
  assert.is((await postReceive(serve, 'jwt-1')).json.messages?.at(-1)?.message, LAG_7);
});

test('a correlation id keeps its first node: the same node again 204, another 409 and nothing changes', async ({ serve }) => {
  const headers = { ...bearer(), 'x-request-id': 'twice-1', 'x-geo-node-id': '2' };
  assert.is((await register(serve, headers)).status, 204);
  assert.is((await register(serve, headers)).status, 204);
  const other = await register(serve, { ...headers, 'x-geo-node-id': '3' });
  assert.is(other.status, 409);
  assert.equal(JSON.parse(other.text), { message: '409 correlation id already registered for another node' });
  assert.is((await postReceive(serve, 'twice-1')).json.messages?.at(-1)?.message, LAG_42, 'the first node is the one found');
});

test('the front-end token opens push_referrer and nothing else', async ({ serve }) => {
  assert.is((await register(serve, { 'x-request-id': 'kept-1', 'x-geo-node-id': '2', ...bearer() })).status, 204);
  // On post_receive, check and geo/nodes the front-end token is a 401, even beside a valid JWT, and consumes nothing.
  assert.is((await postReceive(serve, 'kept-1', bearer())).status, 401);
  assert.is((await postReceive(serve, 'kept-1', { ...bearer(), 'gitlab-shell-api-request': jwt() })).status, 401);
  for (const [method, endpoint] of [['GET', 'check'], ['GET', 'geo/nodes'], ['PUT', 'geo/nodes/2']]) {
    const response = await fetch(`${serve.url}/api/v4/internal/${endpoint}`, { method, headers: { ...bearer(), 'content-type': 'application/json' }, ...(method === 'PUT' && { body: '{"lag_seconds":1}' }) });
    assert.is(response.status, 401, `${method} ${endpoint}`);
  }
  assert.is((await postReceive(serve, 'kept-1')).json.messages?.at(-1)?.message, LAG_42, 'the entry was still there');
});

test('wrong or missing credentials: 401, nothing stored', async ({ serve }) => {
  for (const headers of [{}, bearer('not-the-token'), bearer(`${FRONTEND_TOKEN}x`), bearer(FRONTEND_TOKEN.slice(0, -1)), { authorization: FRONTEND_TOKEN }]) {
    assert.is((await register(serve, { ...headers, 'x-request-id': 'refused-1', 'x-geo-node-id': '2' })).status, 401);
  }
  assert.equal((await postReceive(serve, 'refused-1')).json.messages, []);
});

test('bad header values: 400 naming the header', async ({ serve }) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ 'x-request-id': 'h-1' }, /X-Geo-Node-Id must be a positive integer/],
    [{ 'x-request-id': 'h-1', 'x-geo-node-id': '0' }, /X-Geo-Node-Id/],
    [{ 'x-request-id': 'h-1', 'x-geo-node-id': '2x' }, /X-Geo-Node-Id/],
    [{ 'x-request-id': 'h-1', 'x-geo-node-id': '-2' }, /X-Geo-Node-Id/],
    [{ 'x-geo-node-id': '2' }, /X-Request-ID is required/],
    [{ 'x-request-id': 'h-1', 'x-geo-node-id': '2', 'x-gl-id': 'root' }, /X-Gl-Id must be like/],
    [{ 'x-request-id': 'h-1', 'x-geo-node-id': '2', 'x-gl-repository': 'group/project' }, /X-Gl-Repository must be like/],
  ];
  for (const [headers, pattern] of cases) {
    const answer = await register(serve, { ...bearer(), ...headers });
    assert.is(answer.status, 400, JSON.stringify(headers));
    assert.match(JSON.parse(answer.text).message, pattern);
  }
  // gl_id and gl_repository are optional outside legacy mode, and accepted when well formed.
  assert.is((await register(serve, { ...bearer(), 'x-request-id': 'h-2', 'x-geo-node-id': '2', 'x-gl-id': 'key-42', 'x-gl-repository': 'project-7' })).status, 204);
});

test('legacy mode: the header form needs X-Gl-Id and X-Gl-Repository, and stores upstream key', async ({ legacy }) => {
  const missing = await register(legacy, { ...bearer(), 'x-request-id': 'l-1', 'x-geo-node-id': '3' });
  assert.is(missing.status, 400);
  assert.match(JSON.parse(missing.text).message, /X-Gl-Id and X-Gl-Repository are required in legacy mode/);
  assert.is((await register(legacy, { ...bearer(), 'x-geo-node-id': '3', 'x-gl-id': 'key-42', 'x-gl-repository': 'project-7' })).status, 204);
  // No correlation id in the hook's call: found by upstream's key.
  const reply = await postReceive(legacy, 'unrelated-id');
  assert.is(reply.json.messages?.at(-1)?.message, LAG_7);
  assert.ok(await legacy.logLine((line) => line.referrer_source === 'legacy'));
});

test('token lifetime capped: no iat, no exp, a life over 120 s, issued in the future: 401', async ({ serve }) => {
  const sign = (claims: Record<string, unknown>) => {
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const data = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
    return `${data}.${createHmac('sha256', SECRET).update(data).digest('base64url')}`;
  };
  const now = nowSeconds();
  assert.is((await register(serve, { ...bearer(), 'x-request-id': 'life-1', 'x-geo-node-id': '2' })).status, 204);
  const refused = [
    { iss: 'gitlab-shell', exp: now + 60 },
    { iss: 'gitlab-shell', iat: now },
    { iss: 'gitlab-shell', iat: now, exp: now + 121 },
    { iss: 'gitlab-shell', iat: now, exp: 4102444800 },
    // Well past the 60 s leeway: the server's clock may have ticked on since now was taken (the exact edge is a unit test's).
    { iss: 'gitlab-shell', iat: now + 90, exp: now + 150 },
    { iss: 'gitlab-shell', iat: String(now), exp: now + 60 },
  ];
  for (const claims of refused) {
    assert.is((await postReceive(serve, 'life-1', { 'gitlab-shell-api-request': sign(claims) })).status, 401, JSON.stringify(claims));
  }
  // At the limits: a 120 s life, issued within the leeway ahead.
  const edge = await postReceive(serve, 'life-1', { 'gitlab-shell-api-request': sign({ iss: 'gitlab-shell', iat: now + 30, exp: now + 150 }) });
  assert.is(edge.status, 200);
  assert.is(edge.json.messages?.at(-1)?.message, LAG_42);
});

test.run();
