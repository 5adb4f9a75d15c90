import { connect } from 'node:net';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { claimsAt, signJwt } from '../../src/shared/jwt.js';
import { FIXTURES, refLine, startServe, withTempDir, writeSecret } from '../helpers/geoHook.js';
import { freePort } from '../helpers/redis.js';

const SECRET = 'operations-secret';
const jwt = () => signJwt(claimsAt(Math.floor(Date.now() / 1000)), SECRET);
const site = path.join(FIXTURES, 'geo-site.json');

function postReceive(url: string, extra: Record<string, unknown>) {
  return fetch(`${url}/api/v4/internal/post_receive`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'gitlab-shell-api-request': jwt() },
    body: JSON.stringify({ gl_repository: 'project-7', identifier: 'key-42', changes: refLine(), ...extra }),
  });
}

/** The value of one series in Prometheus text, 0 when absent. */
function series(text: string, name: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

test('liveness, readiness and metrics: no token, no secret, the counts of contract section 7', async () => {
  await withTempDir(async (dir) => {
    const serve = await startServe(['--secret-file', await writeSecret(dir, SECRET), '--nodes-file', site]);
    try {
      const live = await fetch(`${serve.url}/-/liveness`);
      assert.equal([live.status, await live.json()], [200, { status: 'ok' }]);
      const ready = await fetch(`${serve.url}/-/readiness`);
      assert.equal([ready.status, await ready.json()], [200, { status: 'ok', store: 'memory' }]);
      await postReceive(serve.url, { geo_node_id: 2 });
      await postReceive(serve.url, { geo_node_id: 3 });
      await postReceive(serve.url, { correlation_id: 'nobody-registered-this' });
      await fetch(`${serve.url}/api/v4/internal/check`);
      await fetch(`${serve.url}/some/raw/path/with/a/secret-looking-name`);
      const response = await fetch(`${serve.url}/-/metrics`);
      assert.is(response.status, 200);
      assert.match(String(response.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      assert.is(series(text, 'geo_hook_referrer_lookups_total{source="geo_node_id"}'), 2);
      assert.is(series(text, 'geo_hook_referrer_lookups_total{source="none"}'), 1);
      assert.is(series(text, 'geo_hook_referrer_lookups_total{source="correlation"}'), 0);
      assert.is(series(text, 'geo_hook_referrer_lookups_total{source="legacy"}'), 0);
      assert.is(series(text, 'geo_hook_http_requests_total{endpoint="post_receive",status="200"}'), 3);
      assert.is(series(text, 'geo_hook_http_requests_total{endpoint="check",status="401"}'), 1);
      assert.is(series(text, 'geo_hook_http_requests_total{endpoint="other",status="404"}'), 1);
      assert.is(series(text, 'geo_hook_http_requests_total{endpoint="liveness",status="200"}'), 1);
      assert.is(series(text, 'geo_hook_http_request_duration_seconds_count{endpoint="post_receive"}'), 3);
      assert.is(series(text, 'geo_hook_store_errors_total'), 0);
      assert.is(series(text, 'geo_hook_log_lines_dropped_total'), 0);
      // The replayable reply of the correlated post_receive is the one entry held.
      assert.is(series(text, 'geo_hook_referrer_store_entries'), 1);
      assert.is(series(text, 'geo_hook_referrer_store_evictions_total'), 0);
      assert.match(text, /^process_resident_memory_bytes \d+/m);
      assert.not.match(text, /secret-looking-name|operations-secret/);
      // Probes are counted, not logged.
      assert.not.ok(serve.logs().some((line) => String(line.path).startsWith('/-/')));
    } finally {
      await serve.stop();
    }
  });
});

test('--metrics-listen moves the operations endpoints to their own address, off the main one', async () => {
  await withTempDir(async (dir) => {
    const port = await freePort();
    const serve = await startServe(['--secret-file', await writeSecret(dir, SECRET), '--nodes-file', site, '--metrics-listen', `127.0.0.1:${port}`]);
    try {
      assert.is((await fetch(`${serve.url}/-/metrics`)).status, 404);
      assert.is((await fetch(`${serve.url}/-/liveness`)).status, 404);
      const own = `http://127.0.0.1:${port}`;
      assert.is((await fetch(`${own}/-/liveness`)).status, 200);
      assert.match(await (await fetch(`${own}/-/metrics`)).text(), /geo_hook_http_requests_total/);
      // And the API is not there.
      assert.is((await fetch(`${own}/api/v4/internal/check`, { headers: { 'gitlab-shell-api-request': jwt() } })).status, 404);
    } finally {
      await serve.stop();
    }
  });
});

test('SIGTERM: stops accepting, answers the request still arriving, exits 0', async () => {
  await withTempDir(async (dir) => {
    const serve = await startServe(['--secret-file', await writeSecret(dir, SECRET), '--nodes-file', site]);
    const { port } = new URL(serve.url);
    const body = JSON.stringify({ gl_repository: 'project-7', identifier: 'key-42', changes: refLine(), geo_node_id: 2 });
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    const ended = new Promise((resolve) => socket.once('close', resolve));
    const head = `POST /api/v4/internal/post_receive HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nGitlab-Shell-Api-Request: ${jwt()}\r\nContent-Length: ${body.length}\r\n\r\n`;
    socket.write(head + body.slice(0, 20));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const exited = new Promise<number | null>((resolve) => serve.child.once('exit', (code) => resolve(code)));
    serve.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // New connections are refused now.
    const refused = await fetch(`${serve.url}/-/liveness`).then(() => false, () => true);
    assert.ok(refused, 'a new connection was accepted after SIGTERM');
    socket.write(body.slice(20));
    await ended;
    assert.match(answer, /^HTTP\/1\.1 200 OK/);
    assert.match(answer, /Current replication lag: 42 seconds/);
    assert.is(await exited, 0);
  });
});

test.run();
