import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { claimsAt, signJwt } from '../../src/shared/jwt.js';
import { A40, FIXTURES, Z40, geoHookCommand, refLine, runGeoHook, withTempDir, writeSecret } from '../helpers/geoHook.js';

const ENV = { GL_ID: 'key-42', GL_REPOSITORY: 'project-7' };
const MAX = 32 * 1024 * 1024;

test('a password in the API URL is never shown: flag, environment, config file', async () => {
  await withTempDir(async (dir) => {
    const secretFile = await writeSecret(dir);
    const config = path.join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ apiUrl: 'http://deploy:s3cret-in-file@127.0.0.1:9', secretFile }));
    const runs = [
      await runGeoHook(['post-receive', '--api-url', 'http://deploy:s3cret-in-flag@127.0.0.1:9', '--secret-file', secretFile], { env: ENV, stdin: refLine() }),
      await runGeoHook(['post-receive'], { env: { ...ENV, GEO_HOOK_API_URL: 'http://deploy:s3cret-in-env@127.0.0.1:9', GEO_HOOK_SECRET_FILE: secretFile }, stdin: refLine() }),
      await runGeoHook(['post-receive'], { env: { ...ENV, GEO_HOOK_CONFIG: config }, stdin: refLine() }),
    ];
    for (const result of runs) {
      assert.is(result.code, 2);
      assert.not.match(result.stderr, /s3cret/);
      assert.match(result.stderr, /^geo-hook: .*"http:\/\/deploy:\*\*\*@127\.0\.0\.1:9" must not hold credentials: use user and password\n$/);
    }
  });
});

test('a config file that is not JSON is placed by line and column, never quoted', async () => {
  await withTempDir(async (dir) => {
    const config = path.join(dir, 'config.json');
    await writeFile(config, '{\n  "password": "hunter2-secret",\n  "apiUrl": "http://x",,\n}\n');
    const result = await runGeoHook(['post-receive'], { env: { ...ENV, GEO_HOOK_CONFIG: config }, stdin: refLine() });
    assert.is(result.code, 2);
    assert.not.match(result.stderr, /hunter2/);
    assert.is(result.stderr, `geo-hook: config file ${config} is not valid JSON (line 3, column 24)\n`);
  });
});

test('--dry-run needs no secret; --timeout -1 is out of range, not "not a number"', async () => {
  const dry = await runGeoHook(['post-receive', '--dry-run'], { env: ENV, stdin: refLine() });
  assert.is(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^POST http:\/\/127\.0\.0\.1:8080\/api\/v4\/internal\/post_receive\n/);
  assert.match(dry.stdout, /^gitlab-shell-api-request: \[redacted\]$/m);
  const negative = await runGeoHook(['post-receive', '--timeout', '-1'], { env: ENV, stdin: refLine() });
  assert.equal([negative.code, negative.stderr], [2, 'geo-hook: --timeout -1 must be above 0 and at most 3600\n']);
});

test("a push whose request would pass the API's 32 MiB is refused before sending, naming the limit", async () => {
  await withTempDir(async (dir) => {
    // Standard input just under the limit: the request (JSON-escaped, with its fields) is over it.
    const line = (i: number) => `${Z40} ${A40} refs/heads/${String(i).padStart(12, '0')}\n`;
    const count = Math.floor((MAX - 1000) / line(0).length);
    const input = Array.from({ length: count }, (_, i) => line(i)).join('');
    const result = await runGeoHook(['post-receive'], {
      env: { ...ENV, GEO_HOOK_API_URL: 'http://127.0.0.1:9', GEO_HOOK_SECRET_FILE: await writeSecret(dir) },
      stdin: input,
      killAfterMs: 60_000,
    });
    assert.is(result.code, 2);
    assert.match(result.stderr, /^geo-hook: the push is too large to report: its request would be \d+ bytes, over the API's limit of 32 MiB\n$/);
  });
});

test('serve: a log reader that goes away never stops the server', async () => {
  await withTempDir(async (dir) => {
    const secret = 'closed-pipe-secret';
    const secretFile = await writeSecret(dir, secret);
    const [command, args] = geoHookCommand();
    const child = spawn(command, [...args, 'serve', '--listen', '127.0.0.1:0', '--secret-file', secretFile, '--nodes-file', path.join(FIXTURES, 'geo-site.json')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stderr = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr!.on('data', (chunk: Buffer) => {
          stderr += chunk;
          const match = /listening on (\S+)/.exec(stderr);
          if (match) resolve(match[1]!);
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
      });
      // The reader of its log goes away.
      child.stdout!.destroy();
      // Anyone can make it log: 401s, many of them.
      for (let i = 0; i < 50; i++) assert.is((await fetch(`${url}/api/v4/internal/check`)).status, 401);
      const check = await fetch(`${url}/api/v4/internal/check`, { headers: { 'gitlab-shell-api-request': signJwt(claimsAt(Math.floor(Date.now() / 1000)), secret) } });
      assert.is(check.status, 200);
      assert.is(child.exitCode, null, 'still running');
      assert.not.match(stderr, /EPIPE|Error/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

test.run();
