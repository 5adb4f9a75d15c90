import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, readFile, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { test } from 'uvu';
import { suiteNeeding } from '../helpers/tools.js';
import * as assert from 'uvu/assert';
import { EMPTY_REPLY, type FakeHandler, json, startFakeApi } from '../helpers/fakeApi.js';
import { RULE, geoHookAsNobody, geoHookCommand, geoHookShellLine, refLine, runGeoHook, withTempDir, writeSecret } from '../helpers/geoHook.js';

const ENV = { GL_ID: 'key-42', GL_REPOSITORY: 'project-7' };

/** Runs the hook once against a fake API answering with `handler`. */
async function against(handler: FakeHandler, extraEnv: Record<string, string> = {}, args: string[] = []) {
  return withTempDir(async (dir) => {
    const api = await startFakeApi(handler);
    try {
      const result = await runGeoHook(['post-receive', ...args], {
        env: { ...ENV, GEO_HOOK_API_URL: api.url, GEO_HOOK_SECRET_FILE: await writeSecret(dir), GEO_HOOK_TIMEOUT: '3', ...extraEnv },
        stdin: refLine(),
      });
      return { ...result, seen: api.seen };
    } finally {
      await api.close();
    }
  });
}

/** Exactly one line on stderr, starting geo-hook:, nothing on stdout. */
function oneLine(result: { stdout: string; stderr: string }, pattern: RegExp) {
  assert.is(result.stdout, '');
  assert.is(result.stderr.split('\n').length, 2, result.stderr);
  assert.match(result.stderr, /^geo-hook: .*\n$/);
  assert.match(result.stderr, pattern);
  assert.not.match(result.stderr, /\n\s+at /);
}

test('what the API receives: headers and body', async () => {
  const result = await against((_, response) => json(response, 200, EMPTY_REPLY), { CORRELATION_ID: 'req-9', GEO_NODE_ID: '3' });
  assert.is(result.code, 0);
  const [request] = result.seen;
  assert.is(request!.method, 'POST');
  assert.is(request!.url, '/api/v4/internal/post_receive');
  assert.is(request!.headers['content-type'], 'application/json');
  assert.is(request!.headers['x-request-id'], 'req-9');
  assert.match(request!.headers['user-agent'] ?? '', /^geo-hook\/\d+\.\d+\.\d+/);
  assert.match(String(request!.headers['gitlab-shell-api-request']), /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.equal(JSON.parse(request!.body), {
    gl_repository: 'project-7',
    identifier: 'key-42',
    changes: refLine(),
    push_options: [],
    geo_node_id: 3,
    correlation_id: 'req-9',
  });
});

test('alert messages and control bytes as the pusher sees them', async () => {
  const result = await against((_, response) =>
    json(response, 200, {
      reference_counter_decreased: true,
      messages: [
        { type: 'alert', message: 'Your push is too large' },
        { type: 'basic', message: 'evil\x1b[2J\rfake line\u009b31m\x7f' },
      ],
    }),
  );
  assert.is(result.code, 0);
  assert.is(
    result.stderr,
    `\n${RULE}\n\n${' '.repeat(25)}Your push is too large\n\n${RULE}\n\n\nevil^[[2J^Mfake lineM-^[31m^?\n\n`,
  );
});

test('bidirectional overrides and zero-width characters reach the pusher as <U+XXXX>, after the alert is wrapped', async () => {
  const result = await against((_, response) =>
    json(response, 200, {
      reference_counter_decreased: true,
      messages: [
        { type: 'basic', message: 'lag \u202e0 sdnoces 24\u202c\u200b\ufeff' },
        { type: 'alert', message: 'a\u2066b' },
      ],
    }),
  );
  assert.is(result.code, 0);
  // The alert is wrapped and centred on its real bytes (a⁦b is 5 bytes: 33 spaces), then the code point is shown.
  assert.is(result.stderr, `\nlag <U+202E>0 sdnoces 24<U+202C><U+200B><U+FEFF>\n\n\n${RULE}\n\n${' '.repeat(33)}a<U+2066>b\n\n${RULE}\n\n`);
});

test('a reply of 33,000 empty alerts (just under its 1 MiB) shows the pusher 64 KiB and one line saying how much more there was', async () => {
  const messages = Array.from({ length: 33_000 }, () => ({ type: 'alert', message: '' }));
  const result = await against((_, response) => json(response, 200, { reference_counter_decreased: true, messages }));
  assert.is(result.code, 0, result.stderr);
  // Each empty alert renders as 1 + 72 + 2 + 36 + 2 + 72 + 2 = 187 bytes (section 5): 6,171,000 bytes in all.
  const whole = 187 * 33_000;
  const bytes = Buffer.byteLength(result.stderr);
  assert.ok(bytes <= 65_536 + 60, `${bytes} bytes shown`);
  const left = Number(/\n\((\d+) more bytes of messages not shown\)\n$/.exec(result.stderr)?.[1]);
  const shown = bytes - Buffer.byteLength(`(${left} more bytes of messages not shown)\n`);
  assert.ok(shown <= 65_536 && shown > 65_536 - 187, String(shown));
  assert.is(shown + left, whole);
});

test('reference_counter_decreased false: messages, then one line, exit 3', async () => {
  const result = await against((_, response) =>
    json(response, 200, { reference_counter_decreased: false, messages: [{ type: 'basic', message: 'hello' }] }),
  );
  assert.is(result.code, 3);
  assert.is(result.stderr, '\nhello\n\ngeo-hook: the API did not decrease the reference counter (reference_counter_decreased: false)\n');
});

const failures: Array<[string, FakeHandler, RegExp, number]> = [
  ['HTML instead of JSON', (_, r) => (r.writeHead(200, { 'content-type': 'text/html' }), r.end('<html>')), /not JSON \(text\/html\)/, 1],
  ['JSON of the wrong shape', (_, r) => json(r, 200, { ok: true }), /not a post_receive reply: "reference_counter_decreased"/, 1],
  ['an unknown message type', (_, r) => json(r, 200, { reference_counter_decreased: true, messages: [{ type: 'x', message: '' }] }), /unknown type "x"/, 1],
  ['partial JSON', (_, r) => (r.writeHead(200, { 'content-type': 'application/json' }), r.end('{"reference_counter_decreased": tr')), /not JSON/, 1],
  ['401', (_, r) => json(r, 401, { message: '401 Unauthorized' }), /refused our credentials \(HTTP 401 Unauthorized\)/, 1],
  ['403', (_, r) => json(r, 403, { message: 'Forbidden' }), /refused our credentials \(HTTP 403 Forbidden\)/, 1],
  ['404', (_, r) => (r.writeHead(404, { 'content-type': 'text/html' }), r.end('<h1>404</h1>')), /HTTP 404 Not Found\): check the API URL/, 1],
  ['500, not retried', (_, r) => json(r, 500, { message: 'boom' }), /the API failed \(HTTP 500 Internal Server Error\): "boom"/, 1],
  ['a connection reset mid-request, not retried', (_, r) => r.socket?.destroy(), /closed the connection before answering/, 1],
  ['a huge body, not read to the end', (_, r) => (r.writeHead(200, { 'content-type': 'application/json' }), r.end('[' + '0,'.repeat(3_000_000) + '0]')), /larger than 1048576 bytes/, 1],
];

for (const [name, handler, pattern, requests] of failures) {
  test(`failure: ${name}`, async () => {
    const result = await against(handler);
    assert.is(result.code, 1);
    oneLine(result, pattern);
    assert.is(result.seen.length, requests, 'requests the API saw');
  });
}

test('503 and 502 are retried, and a later success counts', async () => {
  const result = await against((_, response, attempt) =>
    attempt === 1 ? json(response, 503, {}) : attempt === 2 ? json(response, 502, {}) : json(response, 200, { reference_counter_decreased: true, messages: [{ type: 'basic', message: 'third time' }] }),
  );
  assert.equal([result.code, result.stderr, result.seen.length], [0, '\nthird time\n\n', 3]);
});

test('503 for ever: retried a bounded number of times, then one line', async () => {
  const result = await against((_, response) => json(response, 503, { message: 'down for maintenance' }));
  assert.is(result.code, 1);
  oneLine(result, /HTTP 503 Service Unavailable\): "down for maintenance"/);
  assert.ok(result.seen.length >= 2 && result.seen.length <= 4, `${result.seen.length} attempts`);
});

test('an API slower than the deadline: the run ends at its deadline with one line', async () => {
  const result = await against(() => {}, { GEO_HOOK_TIMEOUT: '1' });
  assert.is(result.code, 1);
  oneLine(result, /did not answer within 1 s/);
  assert.ok(result.ms < 4000, `took ${result.ms} ms`);
});

/** Runs the hook against an API URL where no server answers. */
function unreachable(apiUrl: string, timeout: string) {
  return withTempDir(async (dir) =>
    runGeoHook(['post-receive'], {
      env: { ...ENV, GEO_HOOK_API_URL: apiUrl, GEO_HOOK_SECRET_FILE: await writeSecret(dir), GEO_HOOK_TIMEOUT: timeout },
      stdin: refLine(),
    }),
  );
}

test('nothing listening: refused, retried within the deadline, one line', async () => {
  const result = await unreachable('http://127.0.0.1:9', '2');
  assert.is(result.code, 1);
  oneLine(result, /cannot reach the API at http:\/\/127.0.0.1:9\/api\/v4\/internal\/post_receive: connection refused/);
  assert.ok(result.ms < 5000);
});

test('a host name that does not resolve', async () => {
  const result = await unreachable('http://no-such-host.invalid', '3');
  assert.is(result.code, 1);
  oneLine(result, /cannot reach the API at http:\/\/no-such-host.invalid\/.*: the host name (does not resolve|could not be resolved)/);
});

test('a Unix socket API, and a missing socket', async () => {
  await withTempDir(async (dir) => {
    const socketPath = path.join(dir, 'api.socket');
    const api = await startFakeApi((_, r) => json(r, 200, { reference_counter_decreased: true, messages: [{ type: 'basic', message: 'via socket' }] }), { socketPath });
    const env = { ...ENV, GEO_HOOK_SECRET_FILE: await writeSecret(dir), GEO_HOOK_TIMEOUT: '2' };
    try {
      const ok = await runGeoHook(['post-receive'], { env: { ...env, GEO_HOOK_API_URL: api.url }, stdin: refLine() });
      assert.equal([ok.code, ok.stderr], [0, '\nvia socket\n\n']);
      assert.is(api.seen[0]!.url, '/api/v4/internal/post_receive');
    } finally {
      await api.close();
    }
    const missing = await runGeoHook(['post-receive'], {
      env: { ...env, GEO_HOOK_API_URL: `http+unix://${encodeURIComponent(path.join(dir, 'gone.socket'))}` },
      stdin: refLine(),
    });
    assert.is(missing.code, 1);
    oneLine(missing, /cannot reach the API at http\+unix:\/\/%2F.*gone.socket\/api\/v4\/internal\/post_receive: the socket does not exist/);
  });
});

test('https with a CA file and basic auth; without the CA, a clear trust error', async () => {
  await withTempDir(async (dir) => {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const { readFile } = await import('node:fs/promises');
    const api = await startFakeApi((_, r) => json(r, 200, { reference_counter_decreased: true, messages: [{ type: 'basic', message: 'over tls' }] }), {
      tls: { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') },
    });
    const env = { ...ENV, GEO_HOOK_API_URL: api.url, GEO_HOOK_SECRET_FILE: await writeSecret(dir), GEO_HOOK_TIMEOUT: '3' };
    try {
      const ok = await runGeoHook(['post-receive'], { env: { ...env, GEO_HOOK_CA_FILE: cert, GEO_HOOK_USER: 'ops', GEO_HOOK_PASSWORD: 'pw-123' }, stdin: refLine() });
      assert.equal([ok.code, ok.stderr], [0, '\nover tls\n\n']);
      assert.is(api.seen[0]!.headers.authorization, `Basic ${Buffer.from('ops:pw-123').toString('base64')}`);
      const untrusted = await runGeoHook(['post-receive'], { env, stdin: refLine() });
      assert.is(untrusted.code, 1);
      oneLine(untrusted, /cannot trust the API at https:.*TLS certificate failed .*set caFile/);
    } finally {
      await api.close();
    }
  });
});

test('bad input and environment: exit 2, one line, nothing sent', async () => {
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [{}, '', /hook got no reference updates/],
    [{}, 'garbage\n', /standard input, line 1: expected/],
    [{ GL_ID: '' }, refLine(), /GL_ID is not set/],
    [{ GEO_NODE_ID: 'two' }, refLine(), /GEO_NODE_ID is "two", expected a positive integer/],
    [{ GEO_HOOK_TIMEOUT: 'soon' }, refLine(), /GEO_HOOK_TIMEOUT "soon" is not a number/],
  ];
  for (const [env, stdin, pattern] of cases) {
    await withTempDir(async (dir) => {
      const api = await startFakeApi((_, r) => json(r, 200, EMPTY_REPLY));
      try {
        const result = await runGeoHook(['post-receive'], {
          env: { ...ENV, GEO_HOOK_API_URL: api.url, GEO_HOOK_SECRET_FILE: await writeSecret(dir), ...env },
          stdin,
        });
        assert.is(result.code, 2, result.stderr);
        oneLine(result, pattern);
        assert.is(api.seen.length, 0);
      } finally {
        await api.close();
      }
    });
  }
});

for (const [how, gitDir] of [['', undefined], [', and run by git it says so in the same words (the push\'s own input, nothing of the server\'s)', '.']] as const) test(`standard input that never ends: the hook gives up at its deadline instead of hanging${how}`, async () => {
  const { spawn } = await import('node:child_process');
  const { cleanEnv, geoHookCommand } = await import('../helpers/geoHook.js');
  const [command, args] = geoHookCommand();
  const started = Date.now();
  const child = spawn(command, [...args, 'post-receive'], {
    env: cleanEnv({ ...ENV, GEO_HOOK_API_URL: 'http://127.0.0.1:9', GEO_HOOK_SECRET_FILE: '/nonexistent', GEO_HOOK_TIMEOUT: '1', GIT_DIR: gitDir }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.write(refLine()); // and never closed
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await new Promise((resolve) => child.on('exit', resolve));
  clearTimeout(killer);
  child.stdin.destroy();
  assert.is(code, 2);
  assert.is(stderr, 'geo-hook: timed out reading the ref updates on standard input\n');
  assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
});

test('the secret file: missing, unreadable, empty, not configured', async () => {
  await withTempDir(async (dir) => {
    const empty = path.join(dir, 'empty');
    await writeFile(empty, ' \n');
    const run = (env: Record<string, string>) => runGeoHook(['post-receive'], { env: { ...ENV, GEO_HOOK_API_URL: 'http://127.0.0.1:9', ...env }, stdin: refLine() });
    oneLine(await run({ GEO_HOOK_SECRET_FILE: path.join(dir, 'nope') }), /secret file .*nope does not exist/);
    oneLine(await run({ GEO_HOOK_SECRET_FILE: empty }), /secret file .*empty is empty/);
    oneLine(await run({}), /no secret file: set --secret-file/);
    // Root reads any file: run as nobody, who may not read a secret kept for its owner (mode 0600).
    const locked = await writeSecret(dir);
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) await chmod(locked, 0o000);
    const denied = await runGeoHook(['post-receive'], {
      env: { ...ENV, GEO_HOOK_API_URL: 'http://127.0.0.1:9', GEO_HOOK_SECRET_FILE: locked },
      stdin: refLine(),
      ...(asRoot && { command: await geoHookAsNobody(dir) }),
    });
    assert.is(denied.code, 2);
    assert.equal([denied.stdout, denied.stderr], ['', `geo-hook: secret file ${locked} cannot be read by this user (permission denied)\n`]);
  });
});

test('a bad flag is one usage line, exit 2', async () => {
  const result = await runGeoHook(['post-receive', '--no-such-flag'], { env: ENV, stdin: refLine() });
  assert.is(result.code, 2);
  oneLine(result, /^geo-hook: Unknown argument: no-such-flag \(see geo-hook --help\)\n$/);
});

test('invoked under the name post-receive (a symlink), it is the hook', async () => {
  await withTempDir(async (dir) => {
    const api = await startFakeApi((_, r) => json(r, 200, { reference_counter_decreased: true, messages: [{ type: 'basic', message: 'as a hook' }] }));
    try {
      // A symlink named post-receive to what is under test; no argument names the command.
      const [command, args] = geoHookCommand();
      const hook = path.join(dir, 'post-receive');
      await symlink(args.at(-1) ?? command, hook);
      const env = { ...ENV, GEO_HOOK_API_URL: api.url, GEO_HOOK_SECRET_FILE: await writeSecret(dir) };
      const result = await runGeoHook([], { env, stdin: refLine(), command: args.length === 0 ? [hook, []] : [command, [...args.slice(0, -1), hook]] });
      assert.equal([result.code, result.stdout, result.stderr], [0, '', '\nas a hook\n\n']);
    } finally {
      await api.close();
    }
  });
});

test("run by git for a pusher (GIT_DIR set), a failure naming the server's address or files is said in the pusher's words; --verbose and the log keep the whole line", async () => {
  await withTempDir(async (dir) => {
    const secret = await writeSecret(dir);
    const log = path.join(dir, 'hook.log');
    const env = { ...ENV, GIT_DIR: '.', GEO_HOOK_API_URL: 'http://127.0.0.1:9', GEO_HOOK_SECRET_FILE: secret, GEO_HOOK_TIMEOUT: '2', GEO_HOOK_LOG_FILE: log };
    const unreachable = await runGeoHook(['post-receive'], { env, stdin: refLine() });
    assert.equal([unreachable.code, unreachable.stderr], [1, "geo-hook: no replication lag message this time (the server's hook could not reach its API); your push succeeded\n"]);
    assert.match(await readFile(log, 'utf8'), /"error":"cannot reach the API at http:\/\/127\.0\.0\.1:9\/api\/v4\/internal\/post_receive: connection refused/);
    const verbose = await runGeoHook(['post-receive', '--verbose'], { env, stdin: refLine() });
    assert.match(verbose.stderr, /\] the whole line: cannot reach the API at http:\/\/127\.0\.0\.1:9/);
    assert.is(verbose.stderr.split('\n').filter((line) => line.startsWith('geo-hook: ')).length, 1);
    const missing = await runGeoHook(['post-receive'], { env: { ...env, GEO_HOOK_SECRET_FILE: path.join(dir, 'gone') }, stdin: refLine() });
    assert.is(missing.stderr, "geo-hook: no replication lag message this time (the server's hook is not configured right); your push succeeded\n");
    const config = await runGeoHook(['post-receive'], { env: { ...env, GEO_HOOK_CONFIG: path.join(dir, 'no-config.json') }, stdin: refLine() });
    assert.equal([config.code, config.stderr], [2, "geo-hook: no replication lag message this time (the server's hook is not configured right); your push succeeded\n"]);
    // The push's own input is said as it is: nothing of the server's in it.
    const noActor = await runGeoHook(['post-receive'], { env: { ...env, GL_ID: '' }, stdin: refLine() });
    assert.match(noActor.stderr, /^geo-hook: GL_ID is not set/);
    // Without GIT_DIR (run by anything but git) the whole line, as before.
    const direct = await runGeoHook(['post-receive'], { env: { ...env, GIT_DIR: undefined }, stdin: refLine() });
    assert.match(direct.stderr, /^geo-hook: cannot reach the API at http:\/\/127\.0\.0\.1:9\/api\/v4\/internal\/post_receive: connection refused/);
  });
});

test('a config that cannot be read or parsed (so no log file): the whole line goes to syslog, through logger', async () => {
  await withTempDir(async (dir) => {
    const socket = path.join(dir, 'syslog.socket');
    let received = '';
    const listener = net.createServer((connection) => connection.setEncoding('utf8').on('data', (chunk: string) => (received += chunk)));
    await new Promise<void>((resolve) => listener.listen(socket, resolve));
    try {
      const broken = path.join(dir, 'broken.json');
      await writeFile(broken, '{"apiUrl": ');
      const missing = path.join(dir, 'missing.json');
      for (const [config, line] of [
        [broken, `config file ${broken} is not valid JSON`],
        [missing, `config file ${missing} does not exist`],
      ] as const) {
        const result = await runGeoHook(['post-receive'], { env: { ...ENV, GIT_DIR: '.', GEO_HOOK_CONFIG: config, GEO_HOOK_SYSLOG_SOCKET: socket }, stdin: refLine() });
        assert.is(result.code, 2, result.stderr);
        for (let i = 0; i < 100 && !received.includes(line); i++) await new Promise((resolve) => setTimeout(resolve, 50));
        assert.ok(received.includes(line), `syslog got: ${JSON.stringify(received)}`);
        assert.match(received, /geo-hook/);
      }
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });
});

test.run();

// A real pseudo-terminal comes from script(1).
const onTerminal = suiteNeeding('the hook on a terminal', { tools: ['script'] });

onTerminal('run by hand on a terminal, it says how it is meant to be run instead of waiting', async () => {
  const script = spawnSync('script', ['-qec', `${geoHookShellLine()} post-receive`, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', GL_ID: 'key-1', GL_REPOSITORY: 'project-1' },
    timeout: 15_000,
    encoding: 'utf8',
    input: '',
  });
  assert.is(script.status, 2);
  assert.match(script.stdout, /post-receive hook: git runs it after a push/);
});

onTerminal('run by hand with stderr on a terminal, the whole line even with GIT_DIR set', async () => {
  await withTempDir(async (dir) => {
    const secret = await writeSecret(dir);
    const script = spawnSync('script', ['-qec', `printf '%s\\n' '${refLine().trim()}' | ${geoHookShellLine()} post-receive`, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', GL_ID: 'key-1', GL_REPOSITORY: 'project-1', GIT_DIR: '.', GEO_HOOK_API_URL: 'http://127.0.0.1:9', GEO_HOOK_SECRET_FILE: secret, GEO_HOOK_TIMEOUT: '2' },
      timeout: 15_000,
      encoding: 'utf8',
      input: '',
    });
    assert.match(script.stdout, /geo-hook: cannot reach the API at http:\/\/127\.0\.0\.1:9/);
  });
});

onTerminal.run();
