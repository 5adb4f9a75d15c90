import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { claimsAt, signJwt } from '../../src/shared/jwt.js';
import { FORWARDED, LAG, type ServeProcess, makeTempDir, refLine, runGeoHook, startServe, writeSecret } from '../helpers/geoHook.js';
import { NODE_SECRETS, type ScriptedSecondary, hookHeaders, scriptedSecondary, writeReportingSite } from '../helpers/secondary.js';

/**
 * Contract section 11 end to end, on the memory store: a secondary played
 * by the test over HTTP with its own credential, the real serve, the real
 * hook. Every text a pusher can be shown, and which credential opens what.
 */
const SECRET = 'measured-lag-hook-secret';
const FRONTEND_TOKEN = 'frontend-token-0123456789abcdef';
const PROJECT_URL = 'http://primary.geo.test/group/project.git';
const STATUS_MAX_AGE = 3;
const UNKNOWN = (why: string) => `\nCurrent replication lag: unknown, ${why}\n\n`;

interface Context {
  dir: string;
  secretFile: string;
  siteFile: string;
  serve: ServeProcess;
  args: string[];
  eu: ScriptedSecondary;
  ap: ScriptedSecondary;
}
const test = suite<Context>('the measured lag: serve, the hook and a scripted secondary', {} as Context);

test.before(async (context) => {
  context.dir = await makeTempDir();
  context.secretFile = await writeSecret(context.dir, SECRET);
  context.siteFile = await writeReportingSite(context.dir);
  const tokenFile = path.join(context.dir, 'frontend-token');
  await writeFile(tokenFile, FRONTEND_TOKEN);
  context.args = ['--secret-file', context.secretFile, '--nodes-file', context.siteFile, '--frontend-token-file', tokenFile, '--status-max-age', String(STATUS_MAX_AGE)];
  context.serve = await startServe(context.args);
  context.eu = scriptedSecondary(context.serve.url, 2, NODE_SECRETS[2]!);
  context.ap = scriptedSecondary(context.serve.url, 3, NODE_SECRETS[3]!);
});
test.after(async ({ serve }) => {
  await serve?.stop();
});

const push = (context: Context, extra: Record<string, string> = {}) =>
  runGeoHook(['post-receive'], {
    env: { GL_ID: 'key-42', GL_REPOSITORY: 'project-7', GEO_HOOK_API_URL: context.serve.url, GEO_HOOK_SECRET_FILE: context.secretFile, ...extra },
    stdin: refLine(),
  });
const through = (context: Context, nodeId: number) => push(context, { GEO_NODE_ID: String(nodeId) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the whole log as the secondary would and reports it all replicated. */
async function catchUp(secondary: ScriptedSecondary): Promise<{ log: string; last: string }> {
  const { body } = await secondary.get('events?after=0&limit=1000');
  assert.is(await secondary.report({ log: body.log, cursor: body.last }), 204);
  return { log: body.log, last: body.last };
}

test('a secondary that never reported: the pusher is told so, in words, never a number', async (context) => {
  const result = await through(context, 2);
  assert.equal([result.code, result.stdout, result.stderr], [0, '', FORWARDED(PROJECT_URL) + UNKNOWN('this secondary has not reported its replication status')]);
});

test('every push answered appends one event; the secondary reads them, reports, and its pushers see no lag line', async (context) => {
  const before = (await context.eu.get('events?after=0&limit=1000')).body;
  await push(context);
  const after = (await context.eu.get('events?after=0&limit=1000')).body;
  assert.is(after.events.length, before.events.length + 1);
  const event = after.events.at(-1);
  assert.equal([event.gl_repository, event.path, after.last, after.resync], ['project-7', 'group/project', event.id, false]);
  assert.ok(Math.abs(event.created_at - Date.now()) < 5000);
  await catchUp(context.eu);
  const result = await through(context, 2);
  assert.equal([result.code, result.stderr], [0, FORWARDED(PROJECT_URL)]);
});

test("the lag is the age of the oldest event the secondary has not replicated, measured before the push's own", async (context) => {
  await catchUp(context.eu);
  await push(context);
  await sleep(2100);
  // Still fresh (reported within the status age): the lag is the unreplicated event's age, 2 seconds.
  const { log } = (await context.eu.get('events?after=0&limit=1')).body;
  const cursorBefore = (await context.eu.get('events?after=0&limit=1000')).body.events.at(-2).id;
  assert.is(await context.eu.report({ log, cursor: cursorBefore }), 204);
  const result = await through(context, 2);
  assert.is(result.stderr, FORWARDED(PROJECT_URL) + LAG(2));
  // The other secondary, caught up, sees none, though both came at once.
  await catchUp(context.ap);
  assert.is((await through(context, 3)).stderr, FORWARDED(PROJECT_URL));
});

test('a status older than the status age: unknown, with how long ago it came', async (context) => {
  await catchUp(context.eu);
  await sleep((STATUS_MAX_AGE + 1) * 1000 + 100);
  const result = await through(context, 2);
  assert.is(result.stderr, FORWARDED(PROJECT_URL) + UNKNOWN(`this secondary last reported ${STATUS_MAX_AGE + 1} seconds ago`));
});

test('reconciling, or a status of another log: unknown, each in its words', async (context) => {
  const { log, last } = await catchUp(context.eu);
  assert.is(await context.eu.report({ log, cursor: last, reconciling: true }), 204);
  assert.is((await through(context, 2)).stderr, FORWARDED(PROJECT_URL) + UNKNOWN("this secondary is still copying the primary's repositories"));
  assert.is(await context.eu.report({ log: 'an-old-log', cursor: '5' }), 204);
  assert.is((await through(context, 2)).stderr, FORWARDED(PROJECT_URL) + UNKNOWN("this secondary is catching up after the primary's event log was reset"));
});

test('events: a long poll woken by a push, one that ends by its time, resync for a cursor that means nothing', async (context) => {
  const { last, log } = (await context.eu.get('events?after=0&limit=1000')).body;
  const waiting = context.eu.get(`events?after=${last}&log=${log}&wait=20`);
  await sleep(300);
  await push(context);
  const woken = await waiting;
  assert.is(woken.status, 200);
  assert.is(woken.body.events.length, 1);
  assert.ok(woken.ms < 10_000, `woken after ${woken.ms} ms`);
  const newest = woken.body.last;
  const idle = await context.eu.get(`events?after=${newest}&wait=1`);
  assert.equal([idle.status, idle.body.events, idle.body.resync], [200, [], false]);
  assert.ok(idle.ms >= 900 && idle.ms < 5000, `waited ${idle.ms} ms`);
  const beyond = await context.eu.get(`events?after=${Number(newest) + 50}`);
  assert.equal([beyond.body.resync, beyond.body.events, beyond.body.last], [true, [], newest]);
  assert.is((await context.eu.get(`events?after=0&log=another-log`)).body.resync, true);
  for (const bad of ['after=abc', 'after=1-1', 'limit=0', 'limit=1001', 'wait=31', 'log=bad_log']) {
    assert.is((await context.eu.get(`events?${bad}`)).status, 400, bad);
  }
});

test('repositories: what the primary has, for the secondary to replicate', async (context) => {
  const { status, body } = await context.eu.get('repositories');
  assert.equal([status, body], [200, { repositories: [{ gl_repository: 'project-1', path: 'geo/demo' }, { gl_repository: 'project-7', path: 'group/project' }] }]);
});

test('credentials: a node is who its signature proves; nothing else opens its endpoints, it opens nothing else', async (context) => {
  const now = Math.floor(Date.now() / 1000);
  const { log } = (await context.eu.get('events')).body;
  // Node 3's secret under node 2's name, a token long expired, one that would live too long: 401.
  const forged = context.ap.authorization().replace(/^GL-Geo 3:/, 'GL-Geo 2:');
  const expired = context.eu.authorization(now - 200);
  const tooLong = `GL-Geo 2:${signJwt({ iss: 'geo-hook-node', iat: now, exp: now + 3600 }, NODE_SECRETS[2]!)}`;
  const hookToken = `GL-Geo 2:${signJwt(claimsAt(now), NODE_SECRETS[2]!)}`;
  for (const authorization of [forged, expired, tooLong, hookToken, `Bearer ${FRONTEND_TOKEN}`, 'GL-Geo 4:x.y.z', '']) {
    for (const endpoint of ['repositories', 'events', 'replication_auth']) {
      assert.is((await context.eu.get(endpoint, authorization)).status, 401, `${endpoint} with ${authorization.slice(0, 12)}`);
    }
    assert.is(await context.eu.report({ log, cursor: '0' }, authorization), 401);
  }
  // The hook's JWT and the front-end token open none of them either.
  for (const headers of [hookHeaders(SECRET), { authorization: `Bearer ${FRONTEND_TOKEN}` }]) {
    const response = await fetch(`${context.serve.url}/api/v4/internal/geo/events`, { headers });
    assert.is(response.status, 401);
  }
  assert.is((await context.eu.get('replication_auth')).status, 204);
  // A body naming another node: 403, and nothing recorded.
  assert.is(await context.eu.report({ geo_node_id: 3, log, cursor: '0' }), 403);
  assert.is(await context.eu.report({ geo_node_id: 2, log, cursor: '0' }), 204);
  // The node's credential on the hook's endpoints: 401.
  for (const [method, endpoint] of [['GET', 'check'], ['GET', 'geo/nodes'], ['POST', 'post_receive'], ['POST', 'geo/push_referrer']] as const) {
    const response = await fetch(`${context.serve.url}/api/v4/internal/${endpoint}`, { method, headers: { authorization: context.eu.authorization(), 'content-type': 'application/json' }, ...(method === 'POST' && { body: '{}' }) });
    assert.is(response.status, 401, endpoint);
  }
});

test('GET geo/nodes: every node, its lag and its source, its last report, pending events, health', async (context) => {
  const { log, last } = await catchUp(context.eu);
  assert.is(await context.eu.report({ log, cursor: last, repositories_failed: 1, last_error: 'geo/demo: fetch failed' }), 204);
  await push(context);
  const response = await fetch(`${context.serve.url}/api/v4/internal/geo/nodes`, { headers: hookHeaders(SECRET) });
  const nodes = (await response.json()) as Array<Record<string, unknown>>;
  const [primary, eu, ap, us] = nodes;
  assert.equal(primary, { id: 1, name: 'primary', url: 'http://primary.geo.test', primary: true, lag_seconds: null, lag_source: 'primary', unknown_reason: null, last_report_at: null, status_age_seconds: null, cursor: null, pending_events: null, repositories_failed: null, last_error: null, healthy: true });
  assert.equal([eu!.lag_source, eu!.lag_seconds, eu!.cursor, eu!.pending_events, eu!.repositories_failed, eu!.last_error, eu!.healthy], ['measured', 0, last, 1, 1, 'geo/demo: fetch failed', false]);
  assert.ok(typeof eu!.last_report_at === 'number' && Math.abs((eu!.last_report_at as number) - Date.now()) < 5000);
  assert.is(eu!.status_age_seconds, 0);
  assert.equal([us!.lag_source, us!.lag_seconds, us!.healthy, us!.pending_events], ['static', 7, true, null]);
  assert.ok(ap!.lag_source === 'measured' || ap!.lag_source === 'unknown');
  const metrics = await (await fetch(`${context.serve.url}/-/metrics`)).text();
  assert.match(metrics, /^geo_hook_node_replication_lag_seconds\{node="2"\} 0$/m);
  assert.match(metrics, /^geo_hook_node_replication_lag_seconds\{node="4"\} 7$/m);
  assert.match(metrics, /^geo_hook_node_status_age_seconds\{node="2"\} 0$/m);
  assert.not.match(metrics, /^geo_hook_node_status_age_seconds\{node="4"\}/m);
  assert.ok(Number(/^geo_hook_events_appended_total (\d+)$/m.exec(metrics)?.[1]) >= 5);
  assert.match(metrics, /^geo_hook_http_requests_total\{endpoint="geo_events",status="200"\} \d+$/m);
  assert.match(metrics, /^geo_hook_http_requests_total\{endpoint="geo_status",status="204"\} \d+$/m);
  assert.match(metrics, /^geo_hook_http_requests_total\{endpoint="geo_replication_auth",status="204"\} \d+$/m);
  assert.match(metrics, /^geo_hook_http_requests_total\{endpoint="geo_repositories",status="200"\} \d+$/m);
});

test("PUT a static node's lag: shown to its pushers; a reporting node's or the primary's: 409", async (context) => {
  const put = (id: number, body: unknown) =>
    fetch(`${context.serve.url}/api/v4/internal/geo/nodes/${id}`, { method: 'PUT', headers: { ...hookHeaders(SECRET), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const changed = await put(4, { lag_seconds: 120 });
  assert.is(changed.status, 200);
  assert.equal((((await changed.json()) as Record<string, unknown>).lag_seconds), 120);
  assert.is((await through(context, 4)).stderr, FORWARDED(PROJECT_URL) + LAG(120));
  assert.is((await put(2, { lag_seconds: 5 })).status, 409);
  assert.is((await put(1, { lag_seconds: 5 })).status, 409);
  assert.is((await put(4, { lag_seconds: 7 })).status, 200);
});

test('serve restarted on the memory store: a new log, and the old cursor resyncs', async (context) => {
  const { log, last } = await catchUp(context.eu);
  await context.serve.stop();
  context.serve = await startServe(context.args);
  context.eu = scriptedSecondary(context.serve.url, 2, NODE_SECRETS[2]!);
  const answer = (await context.eu.get(`events?after=${last}&log=${log}`)).body;
  assert.equal([answer.resync, answer.events], [true, []]);
  assert.is.not(answer.log, log);
  // Its last status is gone with the process: unknown until it reports again.
  assert.is((await through(context, 2)).stderr, FORWARDED(PROJECT_URL) + UNKNOWN('this secondary has not reported its replication status'));
});

test('a site loaded again (SIGHUP) with a node secret readable by everyone is refused: the old site and secrets stay', async (context) => {
  const two = path.join(context.dir, 'node-2.secret');
  await chmod(two, 0o644);
  try {
    context.serve.child.kill('SIGHUP');
    const failed = await context.serve.logLine((record) => record.event === 'site_reload_failed');
    assert.match(String(failed?.error), /^node 2's secret file .*node-2\.secret can be read by every user/);
    assert.is((await context.eu.get('replication_auth')).status, 204, 'the secret loaded at start still holds');
  } finally {
    await chmod(two, 0o600);
  }
});

test('serve refuses node secrets that would let someone else speak for a node: one line, exit 2', async (context) => {
  const refused = async (prepare: () => Promise<void>, pattern: RegExp) => {
    await prepare();
    const result = await runGeoHook(['serve', '--listen', '127.0.0.1:0', ...context.args], {});
    assert.is(result.code, 2, result.stderr);
    assert.match(result.stderr, pattern);
    assert.is(result.stderr.trim().split('\n').length, 1, result.stderr);
  };
  const two = path.join(context.dir, 'node-2.secret');
  const three = path.join(context.dir, 'node-3.secret');
  await refused(() => chmod(two, 0o644), /^geo-hook: node 2's secret file .*node-2\.secret can be read by every user/);
  await chmod(two, 0o600);
  await refused(() => writeFile(three, NODE_SECRETS[2]!), /^geo-hook: node 3's secret file .* holds the same secret as node 2's/);
  await refused(() => writeFile(three, SECRET), /^geo-hook: node 3's secret file .* holds the hook's secret/);
  await refused(() => writeFile(three, FRONTEND_TOKEN), /^geo-hook: node 3's secret file .* holds the front-end token/);
  await refused(() => writeFile(three, '  \n'), /^geo-hook: node 3's secret file .* is empty/);
  await writeFile(three, NODE_SECRETS[3]!);
});

test.run();
