import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import * as assert from 'uvu/assert';
import { remoteText } from '../../src/lab/readPushOutput.js';
import { FIXTURES, FORWARDED, LAG, type ServeProcess, cleanEnv, makeTempDir, refLine, runGeoHook, startServe, writeSecret } from '../helpers/geoHook.js';
import { FUSEPY, type HangingFs, startHangingFs } from '../helpers/hangingFs.js';
import { makeBareRepository, makeWorkRepository } from '../helpers/repositories.js';
import { suiteNeeding } from '../helpers/tools.js';

/**
 * A file on a network file system whose server stopped answering: open()
 * does not return, whatever the flags, and the thread of the pool that made
 * the call stays stuck. The hook must still end at its deadline (it used to
 * wait in exit for that thread: 600 s and more). Real FUSE mount, files that
 * hang 20 s on open; the hooks' deadline is 2 s.
 */
const HANG_SECONDS = 20;
const test = suiteNeeding<{ dir: string; fs: HangingFs; serve: ServeProcess; secretFile: string }>('files on a hung file system', {
  tools: ['fusermount3'],
  also: [FUSEPY],
});

test.before(async (context) => {
  context.dir = await makeTempDir();
  const mount = path.join(context.dir, 'hung');
  await mkdir(mount);
  context.fs = await startHangingFs(mount, HANG_SECONDS);
  context.secretFile = await writeSecret(context.dir, 'hung-secret');
  context.serve = await startServe(['--secret-file', context.secretFile, '--nodes-file', path.join(FIXTURES, 'geo-site.json'), '--quiet']);
});
test.after(async ({ fs, serve }) => {
  await serve?.stop();
  await fs?.stop();
});

const ENV = { GL_ID: 'key-42', GL_REPOSITORY: 'project-7', GEO_NODE_ID: '2', GEO_HOOK_TIMEOUT: '2' };

test('the secret on a hung mount: one line at the deadline, and the process ends then, not when the mount answers', async ({ fs, serve }) => {
  const secret = path.join(fs.dir, 'secret');
  const result = await runGeoHook(['post-receive'], { env: { ...ENV, GEO_HOOK_API_URL: serve.url, GEO_HOOK_SECRET_FILE: secret }, stdin: refLine() });
  assert.equal([result.stdout, result.stderr], ['', `geo-hook: timed out reading the secret file ${secret}\n`]);
  assert.ok(result.ms < 8000, `ended after ${result.ms} ms (the mount hangs ${HANG_SECONDS} s)`);
  assert.equal([result.code, result.signal], [2, null]);
});

test('the log on a hung mount: the pusher sees the messages, and the process ends within a second of them', async ({ fs, serve, secretFile }) => {
  const env = { ...ENV, GEO_HOOK_API_URL: serve.url, GEO_HOOK_SECRET_FILE: secretFile, GEO_HOOK_LOG_FILE: path.join(fs.dir, 'hook.log') };
  const result = await runGeoHook(['post-receive'], { env, stdin: refLine() });
  assert.equal([result.code, result.stdout, result.stderr], [0, '', FORWARDED('http://primary.geo.test/group/project.git') + LAG(42)]);
  assert.ok(result.ms < 8000, `ended after ${result.ms} ms`);
});

test('files on a remote mount that answers are read and appended through the helper, errors in words', async ({ fs, serve }) => {
  // serve's secret is "hung-secret", and so is ok-secret's content.
  const log = path.join(fs.dir, 'ok.log');
  const env = { ...ENV, GEO_HOOK_API_URL: serve.url, GEO_HOOK_SECRET_FILE: path.join(fs.dir, 'ok-secret'), GEO_HOOK_LOG_FILE: log };
  for (const correlation of ['remote-1', 'remote-2']) {
    const result = await runGeoHook(['post-receive'], { env: { ...env, CORRELATION_ID: correlation }, stdin: refLine() });
    assert.equal([result.code, result.stdout, result.stderr], [0, '', FORWARDED('http://primary.geo.test/group/project.git') + LAG(42)]);
  }
  const lines = (await readFile(log, 'utf8')).split('\n').filter(Boolean).map((text) => JSON.parse(text) as Record<string, unknown>);
  assert.equal(lines.map((record) => [record.correlation_id, record.outcome]), [['remote-1', 'ok'], ['remote-2', 'ok']]);
  const missing = path.join(fs.dir, 'no-such-secret');
  const gone = await runGeoHook(['post-receive'], { env: { ...env, GEO_HOOK_SECRET_FILE: missing }, stdin: refLine() });
  assert.equal([gone.code, gone.stderr], [2, `geo-hook: secret file ${missing} does not exist\n`]);
});

test('a config file on a hung mount: one line, the process ends at the deadline', async ({ fs }) => {
  const config = path.join(fs.dir, 'config.json');
  const result = await runGeoHook(['post-receive'], { env: { ...ENV, GEO_HOOK_CONFIG: config }, stdin: refLine() });
  assert.equal([result.code, result.stdout, result.stderr], [2, '', `geo-hook: timed out reading the config file ${config}\n`]);
  assert.ok(result.ms < 8000, `ended after ${result.ms} ms`);
});

test('links into the hung mount are judged where they lead: a linked secret, a linked folder for the config, a linked log', async ({ dir, fs, serve, secretFile }) => {
  const links = path.join(dir, 'links');
  await mkdir(links, { recursive: true });
  await symlink(path.join(fs.dir, 'secret'), path.join(links, 'secret'));
  await symlink(fs.dir, path.join(links, 'etc'));
  await symlink(path.join(fs.dir, 'hook.log'), path.join(links, 'hook.log'));
  const linkedSecret = path.join(links, 'secret');
  const secret = await runGeoHook(['post-receive'], { env: { ...ENV, GEO_HOOK_API_URL: serve.url, GEO_HOOK_SECRET_FILE: linkedSecret }, stdin: refLine() });
  assert.equal([secret.code, secret.stderr], [2, `geo-hook: timed out reading the secret file ${linkedSecret}\n`]);
  assert.ok(secret.ms < 8000, `ended after ${secret.ms} ms (the mount hangs ${HANG_SECONDS} s)`);
  const config = path.join(links, 'etc', 'config.json');
  const viaFolder = await runGeoHook(['post-receive'], { env: { ...ENV, GEO_HOOK_CONFIG: config }, stdin: refLine() });
  assert.equal([viaFolder.code, viaFolder.stderr], [2, `geo-hook: timed out reading the config file ${config}\n`]);
  assert.ok(viaFolder.ms < 8000, `ended after ${viaFolder.ms} ms`);
  const env = { ...ENV, GEO_HOOK_API_URL: serve.url, GEO_HOOK_SECRET_FILE: secretFile, GEO_HOOK_LOG_FILE: path.join(links, 'hook.log') };
  const log = await runGeoHook(['post-receive'], { env, stdin: refLine() });
  assert.equal([log.code, log.stderr], [0, FORWARDED('http://primary.geo.test/group/project.git') + LAG(42)]);
  assert.ok(log.ms < 8000, `ended after ${log.ms} ms`);
});

test('a real push whose hook has its secret on a hung mount completes in seconds, refs updated, the pusher told why', async ({ dir, fs, serve }) => {
  const bare = await makeBareRepository(path.join(dir, 'hung.git'));
  const config = path.join(dir, 'hook-config.json');
  await writeFile(config, JSON.stringify({ apiUrl: serve.url, secretFile: path.join(fs.dir, 'secret'), timeout: 2 }));
  // install reads the secret first: it refuses, within its own 5 s; --force installs anyway.
  const refused = await runGeoHook(['install', bare, '--config', config]);
  assert.equal([refused.code, refused.stderr], [2, `geo-hook: secret file ${path.join(fs.dir, 'secret')} did not answer within 5 s (a hung mount?): nothing was installed (fix it, or --force to install anyway)\n`]);
  assert.ok(refused.ms < 10_000, `install took ${refused.ms} ms`);
  const installed = await runGeoHook(['install', bare, '--config', config, '--force']);
  assert.is(installed.code, 0, installed.stderr);
  const work = path.join(dir, 'work');
  const git = await makeWorkRepository(work);
  await writeFile(path.join(work, 'a.txt'), 'a\n');
  await git.add('.');
  await git.commit('a');
  let stderr = '';
  const started = Date.now();
  await git
    .env(cleanEnv({ GL_ID: 'key-42', GL_REPOSITORY: 'project-7' }))
    .outputHandler((_c, _o, errors) => errors.on('data', (chunk: Buffer) => (stderr += chunk)))
    .push(bare, 'HEAD:refs/heads/main');
  const took = Date.now() - started;
  assert.ok(took < 10_000, `the push took ${took} ms`);
  // The path is the operator's: the pusher is told in words.
  assert.is(remoteText(stderr), "geo-hook: no replication lag message this time (the server's hook is not configured right); your push succeeded");
  assert.match(await simpleGit(bare).raw(['rev-parse', 'refs/heads/main']), /^[0-9a-f]{40}\n$/);
});

test.run();
