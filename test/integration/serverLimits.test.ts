import { type Socket, connect } from 'node:net';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { claimsAt, signJwt } from '../../src/shared/jwt.js';
import { FIXTURES, type ServeProcess, makeTempDir, startServe, writeSecret } from '../helpers/geoHook.js';
import { suiteNeeding } from '../helpers/tools.js';

/** Contract section 7's limits, against a real serve over raw sockets: what a hostile or broken client can do. */
const SECRET = 'limits-secret';
const MAX_CONNECTIONS = 4;
const token = () => signJwt(claimsAt(Math.floor(Date.now() / 1000)), SECRET);

async function startLimitedServe(extra: string[] = []): Promise<ServeProcess> {
  const dir = await makeTempDir();
  const secretFile = await writeSecret(dir, SECRET);
  return startServe(['--secret-file', secretFile, '--nodes-file', path.join(FIXTURES, 'geo-site.json'), ...extra]);
}

interface RawConnection {
  readonly socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves when the server sent text matching, or the connection ended; with what came. */
  until(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the ms from opening until the server closed it (or undefined at the timeout). */
  closed(timeoutMs: number): Promise<number | undefined>;
}

async function open(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const opened = Date.now();
  const socket = connect(Number(port), hostname);
  let text = '';
  let ended: number | undefined;
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((wakeUp) => wakeUp());
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
    wake();
  });
  socket.on('close', () => {
    ended = Date.now() - opened;
    wake();
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const wait = (done: () => boolean, timeoutMs: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      const check = () => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  return {
    socket,
    received: () => text,
    until: async (pattern, timeoutMs = 5000) => {
      await wait(() => pattern.test(text) || ended !== undefined, timeoutMs);
      return text;
    },
    closed: async (timeoutMs) => {
      await wait(() => ended !== undefined, timeoutMs);
      return ended;
    },
  };
}

function postHead(url: string, headers: Record<string, string | number>): string {
  const lines = [`POST /api/v4/internal/post_receive HTTP/1.1`, `Host: ${new URL(url).host}`, 'Content-Type: application/json'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const body = JSON.stringify({ gl_repository: 'project-7', identifier: 'key-42', changes: `${'0'.repeat(40)} ${'a'.repeat(40)} refs/heads/main\n`, push_options: [] });

const test = suite<{ serve: ServeProcess }>('serve: limits on what a client may send');
test.before(async (context) => {
  context.serve = await startLimitedServe();
});
test.after(async ({ serve }) => serve?.stop());

test('a body nested a million deep is refused before it is parsed, and named', async ({ serve }) => {
  const response = await fetch(`${serve.url}/api/v4/internal/post_receive`, {
    method: 'POST',
    headers: { 'gitlab-shell-api-request': token(), 'content-type': 'application/json' },
    body: '['.repeat(1_000_000),
  });
  assert.equal([response.status, await response.json()], [400, { message: 'body nested deeper than 4 levels' }]);
  const line = await serve.logLine((record) => record.status === 400 && record.endpoint === 'post_receive');
  assert.ok(line, 'logged as a 400 of post_receive');
});

test('100 Continue only after the credential: a wrong token gets its 401 at once, and the connection ends', async ({ serve }) => {
  const refused = await open(serve.url);
  refused.socket.write(postHead(serve.url, { 'Gitlab-Shell-Api-Request': 'not-a-token', 'Content-Length': body.length, Expect: '100-continue' }));
  const answer = await refused.until(/\r\n\r\n/);
  assert.match(answer, /^HTTP\/1\.1 401 Unauthorized\r\n/);
  assert.not.match(answer, /100 Continue/);
  assert.match(answer, /\r\nConnection: close\r\n/i);
  assert.ok((await refused.closed(5000)) !== undefined, 'the server closed the connection');

  const accepted = await open(serve.url);
  accepted.socket.write(postHead(serve.url, { 'Gitlab-Shell-Api-Request': token(), 'Content-Length': body.length, Expect: '100-continue' }));
  assert.match(await accepted.until(/\r\n\r\n/), /^HTTP\/1\.1 100 Continue\r\n\r\n$/);
  accepted.socket.write(body);
  assert.match(await accepted.until(/"reference_counter_decreased"/), /\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  accepted.socket.destroy();
});

test('a client that goes away mid-body is logged as 499 of post_receive, not as a 500', async ({ serve }) => {
  const leaving = await open(serve.url);
  leaving.socket.write(postHead(serve.url, { 'Gitlab-Shell-Api-Request': token(), 'Content-Length': 1000 }));
  leaving.socket.write(body.slice(0, 10));
  await new Promise((resolve) => setTimeout(resolve, 200));
  leaving.socket.destroy();
  const line = await serve.logLine((record) => record.status === 499);
  assert.equal([line?.endpoint, line?.note], ['post_receive', 'the client went away after 10 bytes of the body']);
  assert.not.ok(serve.logs().some((record) => record.status === 500), 'no 500 logged');
  assert.is((await fetch(`${serve.url}/-/liveness`)).status, 200);
});

test('bodies in flight are bounded (256 MiB): twelve bodies of 30 MiB at once, the ones past the budget get 503 busy, the rest 200', async ({ serve }) => {
  const lines = Array.from({ length: 300_000 }, (_, i) => `${'0'.repeat(40)} ${i.toString(16).padStart(40, 'a')} refs/heads/b-${i}\n`).join('');
  const big = Buffer.from(JSON.stringify({ gl_repository: 'project-7', identifier: 'key-42', changes: lines, push_options: [] }));
  assert.ok(big.length > 29 * 2 ** 20 && big.length < 32 * 2 ** 20, `${big.length} bytes`);
  const answers = await Promise.all(
    Array.from({ length: 12 }, async () => {
      const response = await fetch(`${serve.url}/api/v4/internal/post_receive`, {
        method: 'POST',
        headers: { 'gitlab-shell-api-request': token(), 'content-type': 'application/json' },
        body: big,
      });
      return [response.status, response.status === 200 ? '' : ((await response.json()) as { message: string }).message] as const;
    }),
  );
  const busy = answers.filter(([status]) => status === 503);
  // 256 MiB hold eight 30 MiB bodies: at least four of twelve wait their turn.
  assert.ok(busy.length >= 4, JSON.stringify(answers));
  assert.ok(busy.every(([, message]) => message === 'the server is reading too many large bodies at once: try again'));
  assert.ok(answers.every(([status]) => status === 200 || status === 503), JSON.stringify(answers));
  assert.ok(answers.some(([status]) => status === 200));
  // Given back: one more, alone, is answered.
  const after = await fetch(`${serve.url}/api/v4/internal/post_receive`, { method: 'POST', headers: { 'gitlab-shell-api-request': token(), 'content-type': 'application/json' }, body: big });
  assert.is(after.status, 200);
});

test(`--max-connections ${MAX_CONNECTIONS}: one more is closed as it comes and counted; then served again`, async () => {
  // A server of its own: the kept-alive connections of the tests before would take places.
  const serve = await startLimitedServe(['--max-connections', String(MAX_CONNECTIONS)]);
  try {
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => open(serve.url)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const extra = await open(serve.url);
    extra.socket.write(`GET /-/liveness HTTP/1.1\r\nHost: x\r\n\r\n`);
    const closedAfter = await extra.closed(5000);
    assert.ok(closedAfter !== undefined, 'the connection over the limit was closed');
    assert.is(extra.received(), '', 'and got no answer');
    for (const connection of held) connection.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const metrics = await (await fetch(`${serve.url}/-/metrics`)).text();
    assert.match(metrics, /^geo_hook_connections_dropped_total 1$/m);
  } finally {
    await serve.stop();
  }
});

test.run();

/** The slow clients take 10 and 30 s: run once, in the executable's pass, both at the same time. */
const slow = suiteNeeding<{ serve: ServeProcess }>('serve: slow clients are cut off', { onlyInPass: 'executable' });
slow.before(async (context) => {
  context.serve = await startLimitedServe();
});
slow.after(async ({ serve }) => serve?.stop());

slow('headers not done in 10 s, or a whole request not in 30 s: 408 and the connection closed', async ({ serve }) => {
  const trickle = (connection: RawConnection, text: string) => {
    let i = 0;
    const timer = setInterval(() => {
      if (i < text.length && !connection.socket.destroyed) connection.socket.write(text[i++]!);
    }, 1000);
    return () => clearInterval(timer);
  };
  const slowHeaders = await open(serve.url);
  slowHeaders.socket.write(`POST /api/v4/internal/post_receive HTTP/1.1\r\nHost: x\r\n`);
  const stopHeaders = trickle(slowHeaders, `X-Slow: ${'a'.repeat(100)}`);
  const slowBody = await open(serve.url);
  slowBody.socket.write(postHead(serve.url, { 'Gitlab-Shell-Api-Request': token(), 'Content-Length': body.length }));
  const stopBody = trickle(slowBody, body);
  try {
    const [headersClosed, bodyClosed] = await Promise.all([slowHeaders.closed(25_000), slowBody.closed(50_000)]);
    assert.ok(headersClosed !== undefined && headersClosed >= 9000 && headersClosed < 20_000, `slow headers closed after ${headersClosed} ms`);
    assert.ok(bodyClosed !== undefined && bodyClosed >= 29_000 && bodyClosed < 45_000, `slow body closed after ${bodyClosed} ms`);
    assert.match(slowHeaders.received(), /^HTTP\/1\.1 408 /);
    assert.match(slowBody.received(), /^HTTP\/1\.1 408 /);
  } finally {
    stopHeaders();
    stopBody();
  }
  assert.is((await fetch(`${serve.url}/-/liveness`)).status, 200, 'and the server goes on');
});

slow.run();
