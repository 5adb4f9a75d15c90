import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { json, startFakeApi } from '../helpers/fakeApi.js';
import { refLine, runGeoHook, withTempDir, writeSecret } from '../helpers/geoHook.js';

/**
 * The hook never outlives its deadline, whatever blocks: a FIFO nobody writes
 * as the secret, the config, the CA or the log file is opened without
 * waiting (O_NONBLOCK) and reads empty, so the hook says so at once; and it
 * never reads more than a small file's worth.
 */
const ENV = { GL_ID: 'key-42', GL_REPOSITORY: 'project-7' };

function fifo(file: string): string {
  const made = spawnSync('mkfifo', [file]);
  if (made.status !== 0) throw new Error(`mkfifo ${file} failed`);
  return file;
}

test('a FIFO as the secret file: one line at once, the process ends', async () => {
  await withTempDir(async (dir) => {
    const secret = fifo(path.join(dir, 'secret-fifo'));
    const result = await runGeoHook(['post-receive'], { env: { ...ENV, GEO_HOOK_SECRET_FILE: secret, GEO_HOOK_TIMEOUT: '2', GEO_HOOK_API_URL: 'http://127.0.0.1:9' }, stdin: refLine(), killAfterMs: 15_000 });
    assert.equal([result.code, result.stdout, result.stderr], [2, '', `geo-hook: secret file ${secret} is empty\n`]);
    assert.ok(result.ms < 5000, `ended after ${result.ms} ms with a 2 s deadline`);
  });
});

test('a FIFO as the config file: one line, the process ends', async () => {
  await withTempDir(async (dir) => {
    const config = fifo(path.join(dir, 'config-fifo'));
    const result = await runGeoHook(['post-receive'], { env: { ...ENV, GEO_HOOK_CONFIG: config, GEO_HOOK_TIMEOUT: '2' }, stdin: refLine(), killAfterMs: 15_000 });
    assert.equal([result.code, result.stdout, result.stderr], [2, '', `geo-hook: config file ${config} is not valid JSON\n`]);
    assert.ok(result.ms < 5000, `ended after ${result.ms} ms`);
  });
});

test('a FIFO as the CA file: one line, the process ends', async () => {
  await withTempDir(async (dir) => {
    const ca = fifo(path.join(dir, 'ca-fifo'));
    const result = await runGeoHook(['post-receive'], {
      env: { ...ENV, GEO_HOOK_SECRET_FILE: await writeSecret(dir), GEO_HOOK_CA_FILE: ca, GEO_HOOK_TIMEOUT: '2', GEO_HOOK_API_URL: 'https://127.0.0.1:9' },
      stdin: refLine(),
      killAfterMs: 15_000,
    });
    assert.equal([result.code, result.stdout, result.stderr], [2, '', `geo-hook: CA file ${ca} is empty\n`]);
    assert.ok(result.ms < 5000, `ended after ${result.ms} ms`);
  });
});

test('a FIFO as the log file: the messages are shown, the run succeeds, the process ends', async () => {
  await withTempDir(async (dir) => {
    const log = fifo(path.join(dir, 'log-fifo'));
    const api = await startFakeApi((_, response) => json(response, 200, { reference_counter_decreased: true, messages: [{ type: 'basic', message: 'shown' }] }));
    try {
      const result = await runGeoHook(['post-receive'], {
        env: { ...ENV, GEO_HOOK_SECRET_FILE: await writeSecret(dir), GEO_HOOK_LOG_FILE: log, GEO_HOOK_TIMEOUT: '5', GEO_HOOK_API_URL: api.url },
        stdin: refLine(),
        killAfterMs: 15_000,
      });
      assert.equal([result.code, result.stdout, result.stderr], [0, '', '\nshown\n\n']);
      assert.ok(result.ms < 4000, `ended after ${result.ms} ms`);
    } finally {
      await api.close();
    }
  });
});

test('a secret or config that never ends (/dev/zero) or is far too large: one line, at once', async () => {
  await withTempDir(async (dir) => {
    const zero = await runGeoHook(['post-receive'], { env: { ...ENV, GEO_HOOK_SECRET_FILE: '/dev/zero', GEO_HOOK_API_URL: 'http://127.0.0.1:9' }, stdin: refLine(), killAfterMs: 15_000 });
    assert.equal([zero.code, zero.stderr], [2, 'geo-hook: secret file /dev/zero is larger than 65536 bytes: is it the right file?\n']);
    assert.ok(zero.ms < 5000);
    const big = path.join(dir, 'big.json');
    await writeFile(big, `{"apiUrl": "http://x", "pad": "${'x'.repeat(1024 * 1024)}"}`);
    const config = await runGeoHook(['post-receive'], { env: { ...ENV, GEO_HOOK_CONFIG: big }, stdin: refLine() });
    assert.equal([config.code, config.stderr], [2, `geo-hook: config file ${big} is larger than 1048576 bytes: is it the right file?\n`]);
    const folder = await runGeoHook(['post-receive'], { env: { ...ENV, GEO_HOOK_CONFIG: dir }, stdin: refLine() });
    assert.equal([folder.code, folder.stderr], [2, `geo-hook: config file ${dir} is a folder, not a file\n`]);
  });
});

test('a real push with the log on a FIFO still completes, refs updated', async () => {
  // The same as above through git: the hook's end is the push's end.
  await withTempDir(async (dir) => {
    const log = fifo(path.join(dir, 'log-fifo'));
    const api = await startFakeApi((_, response) => json(response, 200, { reference_counter_decreased: true, messages: [] }));
    try {
      const bare = path.join(dir, 'r.git');
      const git = (args: string[], cwd = dir) => spawnSync('git', args, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: dir, GIT_CONFIG_NOSYSTEM: '1' } });
      git(['init', '-q', '--bare', bare]);
      const secret = await writeSecret(dir);
      const config = path.join(dir, 'config.json');
      await writeFile(config, JSON.stringify({ apiUrl: api.url, secretFile: secret, logFile: log, timeout: 5 }));
      const install = await runGeoHook(['install', bare, '--config', config]);
      assert.is(install.code, 0, install.stderr);
      git(['init', '-q', '-b', 'main', 'work']);
      const work = path.join(dir, 'work');
      git(['-c', 'user.name=a', '-c', 'user.email=a@b', '-c', 'commit.gpgSign=false', 'commit', '-q', '--allow-empty', '-m', 'x'], work);
      const started = Date.now();
      // Not spawnSync: the fake API answers from this process's event loop.
      const pushed = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn('git', ['push', '-q', bare, 'HEAD:refs/heads/main'], { cwd: work, env: { PATH: process.env.PATH ?? '', HOME: dir, GIT_CONFIG_NOSYSTEM: '1' } });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
        const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.on('close', (status) => {
          clearTimeout(killer);
          resolve({ status, stderr });
        });
      });
      assert.is(pushed.status, 0, pushed.stderr);
      assert.ok(Date.now() - started < 5000, `the push took ${Date.now() - started} ms`);
      assert.is(git(['--git-dir', bare, 'rev-parse', 'refs/heads/main']).stdout.trim(), git(['rev-parse', 'HEAD'], work).stdout.trim());
    } finally {
      await api.close();
    }
  });
});

test.run();
