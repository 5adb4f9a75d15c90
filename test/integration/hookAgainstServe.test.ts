import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { claimsAt, signJwt } from '../../src/shared/jwt.js';
import {
  A40,
  FIXTURES,
  FORWARDED,
  LAG,
  type ServeProcess,
  makeTempDir,
  refLine,
  runGeoHook,
  startServe,
  writeSecret,
} from '../helpers/geoHook.js';

const PROJECT_URL = 'http://primary.geo.test/group/project.git';
const SECRET = 'integration-secret';
const test = suite<{ dir: string; secretFile: string; serve: ServeProcess }>('hook against geo-hook serve', {} as never);

test.before(async (context) => {
  context.dir = await makeTempDir();
  context.secretFile = await writeSecret(context.dir, SECRET);
  context.serve = await startServe(['--secret-file', context.secretFile, '--nodes-file', path.join(FIXTURES, 'geo-site.json')]);
});

test.after(async ({ serve }) => {
  await serve.stop();
});

const pushEnv = (context: { serve: ServeProcess; secretFile: string }, extra: Record<string, string> = {}) => ({
  GL_ID: 'key-42',
  GL_REPOSITORY: 'project-7',
  GEO_HOOK_API_URL: context.serve.url,
  GEO_HOOK_SECRET_FILE: context.secretFile,
  ...extra,
});

async function api(url: string, method: string, endpoint: string, body?: unknown) {
  const response = await fetch(`${url}/api/v4/internal/${endpoint}`, {
    method,
    headers: { 'gitlab-shell-api-request': signJwt(claimsAt(Math.floor(Date.now() / 1000)), SECRET), 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, text: await response.text() };
}

test('a push through a secondary (geo_node_id) sees where it went and that secondary lag, byte for byte', async (context) => {
  const result = await runGeoHook(['post-receive'], { env: pushEnv(context, { GEO_NODE_ID: '2' }), stdin: refLine() });
  assert.is(result.stderr, FORWARDED(PROJECT_URL) + LAG(42));
  assert.is(result.stdout, '');
  assert.is(result.code, 0);
});

test('a push straight to the primary sees nothing', async (context) => {
  const result = await runGeoHook(['post-receive'], { env: pushEnv(context), stdin: refLine() });
  assert.equal([result.code, result.stdout, result.stderr], [0, '', '']);
});

test('an id that names no secondary, or the primary, gives no message', async (context) => {
  for (const id of ['99', '1']) {
    const result = await runGeoHook(['post-receive'], { env: pushEnv(context, { GEO_NODE_ID: id }), stdin: refLine() });
    assert.equal([result.code, result.stdout, result.stderr], [0, '', '']);
  }
});

test('a secondary with no lag: only the forwarding notice', async (context) => {
  const result = await runGeoHook(['post-receive'], { env: pushEnv(context, { GEO_NODE_ID: '4' }), stdin: refLine() });
  assert.equal([result.code, result.stderr], [0, FORWARDED(PROJECT_URL)]);
});

test('correlation id: the entry the front end stored is found, once; a retry gets the same reply', async (context) => {
  const registered = await api(context.serve.url, 'POST', 'geo/push_referrer', {
    geo_node_id: 3,
    correlation_id: 'corr-1',
    gl_id: 'key-42',
    gl_repository: 'project-7',
  });
  assert.is(registered.status, 204);
  const env = pushEnv(context, { CORRELATION_ID: 'corr-1' });
  const first = await runGeoHook(['post-receive'], { env, stdin: refLine() });
  assert.equal([first.code, first.stderr], [0, FORWARDED(PROJECT_URL) + LAG(7)]);
  const retry = await runGeoHook(['post-receive'], { env, stdin: refLine() });
  assert.is(retry.stderr, first.stderr);
  const other = await runGeoHook(['post-receive'], { env, stdin: refLine(A40, '2'.repeat(40)) });
  assert.is(other.stderr, '', 'a different push with the same id does not get the entry again');
  const replayed = context.serve.logs().filter((record) => record.correlation_id === 'corr-1' && record.replayed === true);
  assert.is(replayed.length, 1);
});

test('the lag can be changed while the server runs', async (context) => {
  const changed = await api(context.serve.url, 'PUT', 'geo/nodes/3', { lag_seconds: 120 });
  assert.is(changed.status, 200);
  const result = await runGeoHook(['post-receive'], { env: pushEnv(context, { GEO_NODE_ID: '3' }), stdin: refLine() });
  assert.is(result.stderr, FORWARDED(PROJECT_URL) + LAG(120));
  assert.is((await api(context.serve.url, 'PUT', 'geo/nodes/3', { lag_seconds: -1 })).status, 400);
  assert.is((await api(context.serve.url, 'PUT', 'geo/nodes/3', { lag_seconds: 7 })).status, 200);
});

test('the wrong secret: one line, exit 1', async (context) => {
  await writeFile(path.join(context.dir, 'wrong'), 'another-installation');
  const result = await runGeoHook(['post-receive'], {
    env: pushEnv(context, { GEO_HOOK_SECRET_FILE: path.join(context.dir, 'wrong'), GEO_NODE_ID: '2' }),
    stdin: refLine(),
  });
  assert.is(result.code, 1);
  assert.is(result.stderr, 'geo-hook: the API refused our credentials (HTTP 401 Unauthorized): check the secret file: "401 Unauthorized"\n');
});

test('configuration from a file named by GEO_HOOK_CONFIG', async (context) => {
  const configFile = path.join(context.dir, 'config.json');
  await writeFile(configFile, JSON.stringify({ apiUrl: context.serve.url, secretFile: 'secret', timeout: 5 }));
  const result = await runGeoHook(['post-receive'], {
    env: { GL_ID: 'key-42', GL_REPOSITORY: 'project-7', GEO_NODE_ID: '2', GEO_HOOK_CONFIG: configFile },
    stdin: refLine(),
  });
  assert.equal([result.code, result.stderr], [0, FORWARDED(PROJECT_URL) + LAG(42)]);
});

test('--dry-run prints the request with the token hidden, and sends nothing', async (context) => {
  const before = context.serve.logs().length;
  const result = await runGeoHook(['post-receive', '--dry-run'], {
    env: pushEnv(context, { GEO_NODE_ID: '2', CORRELATION_ID: 'dry-1' }),
    stdin: refLine(),
  });
  assert.is(result.code, 0);
  assert.is(result.stderr, '');
  assert.match(result.stdout, `POST ${context.serve.url}/api/v4/internal/post_receive\n`);
  assert.match(result.stdout, 'gitlab-shell-api-request: [redacted]');
  assert.match(result.stdout, '"geo_node_id": 2');
  assert.not.match(result.stdout, /eyJ/);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.is(context.serve.logs().length, before);
});

test('the log file: one JSON line per run, never the secret or the token', async (context) => {
  const logFile = path.join(context.dir, 'hook.log');
  const env = pushEnv(context, { GEO_NODE_ID: '2', CORRELATION_ID: 'log-1', GEO_HOOK_LOG_FILE: logFile });
  await runGeoHook(['post-receive'], { env, stdin: refLine() });
  await runGeoHook(['post-receive'], { env: { ...env, GEO_HOOK_API_URL: 'http://127.0.0.1:9', GEO_HOOK_TIMEOUT: '1' }, stdin: refLine() });
  const text = await readFile(logFile, 'utf8');
  const records = text.trim().split('\n').map((line) => JSON.parse(line));
  assert.is(records.length, 2);
  assert.is(records[0].outcome, 'ok');
  assert.is(records[0].status, 200);
  assert.is(records[0].correlation_id, 'log-1');
  assert.is(records[0].geo_node_id, 2);
  assert.is(records[0].gl_repository, 'project-7');
  assert.is(records[0].refs, 1);
  assert.type(records[0].duration_ms, 'number');
  assert.is(records[1].outcome, 'error');
  assert.is(records[1].error_code, 'ECONNREFUSED');
  assert.not.match(text, SECRET);
  assert.not.match(text, /eyJ/);
});

test('a log file that cannot be written never fails the hook', async (context) => {
  const result = await runGeoHook(['post-receive'], {
    env: pushEnv(context, { GEO_NODE_ID: '2', GEO_HOOK_LOG_FILE: '/proc/no/such/dir/hook.log' }),
    stdin: refLine(),
  });
  assert.equal([result.code, result.stderr], [0, FORWARDED(PROJECT_URL) + LAG(42)]);
});

test('serve logs one line per request, without the token', async (context) => {
  const logs = context.serve.logs();
  assert.ok(logs.length >= 5);
  for (const record of logs) {
    assert.type(record.status, 'number');
    assert.type(record.duration_ms, 'number');
  }
  assert.not.ok(JSON.stringify(logs).includes('eyJ'));
});

test.run();
