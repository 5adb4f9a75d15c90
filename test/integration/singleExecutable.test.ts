import { execFile, spawnSync } from 'node:child_process';
import { access, copyFile, mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { json, startFakeApi } from '../helpers/fakeApi.js';
import { ROOT, refLine, runGeoHook, withTempDir, writeSecret } from '../helpers/geoHook.js';
import { makeBareRepository } from '../helpers/repositories.js';

const EXECUTABLE = path.join(ROOT, 'dist/geo-hook');

/** Runs a command without blocking, so the in-process fake API can answer its hook. */
function run(file: string, args: string[], options: { cwd?: string; env: Record<string, string> }) {
  return new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(file, args, { ...options, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
const TOOLS = ['git', 'sh', 'cat', 'mktemp', 'rm', 'dirname'];

/** A folder holding the executable alone, and a PATH with git and a shell but no node. */
async function isolate(dir: string): Promise<{ exe: string; PATH: string }> {
  const exe = path.join(dir, 'alone', 'geo-hook');
  await mkdir(path.dirname(exe));
  await copyFile(EXECUTABLE, exe);
  spawnSync('chmod', ['755', exe]);
  const bin = path.join(dir, 'bin');
  await mkdir(bin);
  for (const tool of TOOLS) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found) await symlink(found, path.join(bin, tool));
  }
  return { exe, PATH: bin };
}

test('dist/geo-hook was built', async () => {
  await access(EXECUTABLE);
  console.log(`  dist/geo-hook: ${((await stat(EXECUTABLE)).size / 1024 / 1024).toFixed(1)} MiB`);
});

test('it runs with neither node on the PATH nor node_modules', async () => {
  await withTempDir(async (dir) => {
    const { exe, PATH } = await isolate(dir);
    assert.is.not(spawnSync('sh', ['-c', 'command -v node'], { env: { PATH } }).status, 0, 'node is not on this PATH');
    const version = spawnSync(exe, ['--version'], { env: { PATH }, encoding: 'utf8', cwd: path.dirname(exe) });
    assert.equal([version.status, version.stderr], [0, '']);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});

test('as a hook, it runs on the code cache its build made after a hook run: V8 takes it', async () => {
  await withTempDir(async (dir) => {
    const { exe, PATH } = await isolate(dir);
    const api = await startFakeApi((_, response) =>
      json(response, 200, { reference_counter_decreased: true, messages: [{ type: 'basic', message: 'Current replication lag: 42 seconds' }] }),
    );
    try {
      const env = { PATH, GL_ID: 'key-42', GL_REPOSITORY: 'project-7', GEO_NODE_ID: '2', GEO_HOOK_API_URL: api.url, GEO_HOOK_SECRET_FILE: await writeSecret(dir), GEO_HOOK_VERBOSE: '1' };
      const result = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = execFile(exe, ['post-receive'], { env, encoding: 'utf8', timeout: 60_000 }, (error, _stdout, stderr) => resolve({ status: error ? 1 : 0, stderr }));
        child.stdin?.end(refLine());
      });
      assert.is(result.status, 0, result.stderr);
      assert.ok(result.stderr.includes('\nCurrent replication lag: 42 seconds\n\n'), result.stderr);
      assert.match(result.stderr, /geo-hook loaded; .*; V8 code cache accepted\n/);
    } finally {
      await api.close();
    }
  });
});

test('installed with its own installer, it is the hook of a real push; as post-receive (a symlink) too', async () => {
  await withTempDir(async (dir) => {
    const { exe, PATH } = await isolate(dir);
    const api = await startFakeApi((_, response) =>
      json(response, 200, { reference_counter_decreased: true, messages: [{ type: 'basic', message: 'Current replication lag: 42 seconds' }] }),
    );
    try {
      const config = path.join(dir, 'config.json');
      await writeFile(config, JSON.stringify({ apiUrl: api.url, secretFile: await writeSecret(dir) }));
      const bare = await makeBareRepository(path.join(dir, 'a.git'));
      const install = await run(exe, ['install', bare, '--config', config], { env: { PATH } });
      assert.is(install.status, 0, install.stderr);

      const work = path.join(dir, 'work');
      const git = (args: string[], env: Record<string, string> = {}) =>
        run(path.join(PATH, 'git'), args, { cwd: work, env: { PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: '1', ...env } });
      await mkdir(work);
      await git(['init', '-q', '--initial-branch=main']);
      await git(['-c', 'user.name=T', '-c', 'user.email=t@t', '-c', 'commit.gpgSign=false', 'commit', '-q', '--allow-empty', '-m', 'x']);
      const pushed = await git(['push', bare, 'HEAD:refs/heads/main'], { GL_ID: 'key-42', GL_REPOSITORY: 'project-7', GEO_NODE_ID: '2' });
      assert.is(pushed.status, 0, pushed.stderr);
      assert.match(pushed.stderr, /^remote: Current replication lag: 42 seconds\s*$/m, pushed.stderr);
      assert.is(api.seen.length, 1);

      const hook = path.join(dir, 'post-receive');
      await symlink(exe, hook);
      const direct = await runGeoHook([], {
        command: [hook, []],
        env: { PATH, GL_ID: 'key-42', GL_REPOSITORY: 'project-7', GEO_HOOK_CONFIG: config },
        stdin: refLine(),
      });
      assert.equal([direct.code, direct.stdout, direct.stderr], [0, '', '\nCurrent replication lag: 42 seconds\n\n']);
    } finally {
      await api.close();
    }
  });
});

test.run();
