import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type ServeProcess, makeTempDir, runGeoHook, startServe, writeSecret } from '../helpers/geoHook.js';
import { NODE_SECRETS, scriptedSecondary, writeReportingSite } from '../helpers/secondary.js';

/**
 * `geo-hook status` (contract section 12) against a real serve whose site
 * has a healthy reporting secondary, a stale one that also reports failed
 * repositories, and a static one: the table, --json, the exit status.
 */
const SECRET = 'status-command-secret';
const test = suite<{ serve: ServeProcess; env: Record<string, string> }>('geo-hook status', {} as never);

test.before(async (context) => {
  const dir = await makeTempDir();
  const secretFile = await writeSecret(dir, SECRET);
  context.serve = await startServe(['--secret-file', secretFile, '--nodes-file', await writeReportingSite(dir), '--status-max-age', '2']);
  context.env = { GEO_HOOK_API_URL: context.serve.url, GEO_HOOK_SECRET_FILE: secretFile };
  const eu = scriptedSecondary(context.serve.url, 2, NODE_SECRETS[2]!);
  const ap = scriptedSecondary(context.serve.url, 3, NODE_SECRETS[3]!);
  const { log } = (await eu.get('events')).body;
  assert.is(await ap.report({ log, cursor: '0', repositories_failed: 2, last_error: 'geo/demo: fetch failed: HTTP 502' }), 204);
  await new Promise((resolve) => setTimeout(resolve, 3100));
  assert.is(await eu.report({ log, cursor: '0' }), 204);
});
test.after(async ({ serve }) => {
  await serve?.stop();
});

test('the table: role, lag and its source, last report, pending, health; why the unhealthy one is; exit 1', async ({ serve, env }) => {
  const result = await runGeoHook(['status'], { env });
  assert.equal([result.code, result.stderr], [1, '']);
  const lines = result.stdout.split('\n');
  assert.equal(lines.slice(0, 8), [
    `geo-hook status of ${serve.url}`,
    '',
    'NODE  NAME          ROLE                    LAG                      LAST REPORT  PENDING  HEALTH',
    '1     primary       primary                 -                        -            -        ok',
    // A report a moment ago: 0 s, or 1 s on a slow machine.
    lines[4]!.replace(/\b1 s ago/, '0 s ago'),
    lines[5]!.replace(/\b[34] s ago/, '3 s ago'),
    '4     secondary-us  secondary (static lag)  7 s (static)             -            -        ok',
    '',
  ]);
  assert.match(lines[4]!, /^2     secondary-eu  secondary               0 s \(measured\)           [01] s ago      0        ok$/);
  assert.match(lines[5]!, /^3     secondary-ap  secondary               unknown: status too old  [34] s ago      0        UNHEALTHY$/);
  assert.match(lines[8]!, /^secondary-ap \(node 3\) is unhealthy:$/);
  assert.match(lines[9]!, /^ {2}- its last status came [34] s ago: is its replicator running, and can it reach the primary\?$/);
  assert.equal(lines.slice(10), ['  - 2 repositories fail to replicate', '  - last error: geo/demo: fetch failed: HTTP 502', '', 'Replication needs attention: 1 of 2 reporting secondaries is unhealthy.', '']);
});

test('--json: the answer of GET geo/nodes', async ({ env }) => {
  const result = await runGeoHook(['status', '--json'], { env });
  assert.is(result.code, 1);
  const nodes = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
  assert.equal(nodes.map((node) => [node.id, node.lag_source, node.unknown_reason, node.healthy]), [
    [1, 'primary', null, true],
    [2, 'measured', null, true],
    [3, 'unknown', 'stale', false],
    [4, 'static', null, true],
  ]);
});

test('healthy again: exit 0, and the verdict says so', async ({ serve, env }) => {
  const ap = scriptedSecondary(serve.url, 3, NODE_SECRETS[3]!);
  const { log } = (await ap.get('events')).body;
  assert.is(await ap.report({ log, cursor: '0' }), 204);
  const eu = scriptedSecondary(serve.url, 2, NODE_SECRETS[2]!);
  assert.is(await eu.report({ log, cursor: '0' }), 204);
  const result = await runGeoHook(['status'], { env });
  assert.equal([result.code, result.stderr, result.stdout.trimEnd().split('\n').at(-1)], [0, '', 'Replication is working: all 2 reporting secondaries are healthy.']);
});

test('the API unreachable or refusing: one geo-hook line, exit 1; a usage error: exit 2', async ({ env }) => {
  const away = await runGeoHook(['status'], { env: { ...env, GEO_HOOK_API_URL: 'http://127.0.0.1:9', GEO_HOOK_TIMEOUT: '2' } });
  assert.equal([away.code, away.stdout], [1, '']);
  assert.match(away.stderr, /^geo-hook: cannot reach the API at http:\/\/127\.0\.0\.1:9\/api\/v4\/internal\/geo\/nodes: connection refused \(is it running\?\)\n$/);
  const dir = await makeTempDir();
  const wrong = await runGeoHook(['status'], { env: { ...env, GEO_HOOK_SECRET_FILE: await writeSecret(dir, 'not-the-secret') } });
  assert.equal([wrong.code, wrong.stdout], [1, '']);
  assert.match(wrong.stderr, /^geo-hook: the API refused our credentials \(HTTP 401\) at .*: check the secret file\n$/);
  const usage = await runGeoHook(['status', '--bogus'], { env });
  assert.is(usage.code, 2);
  const noSecret = await runGeoHook(['status'], { env: { GEO_HOOK_API_URL: env.GEO_HOOK_API_URL! } });
  assert.is(noSecret.code, 2);
});

test.run();
