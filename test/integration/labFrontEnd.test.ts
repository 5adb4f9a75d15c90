import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { simpleGit, type SimpleGit } from 'simple-git';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { remoteText } from '../../src/lab/readPushOutput.js';
import type { Lab } from '../../src/lab/startLab.js';
import { type FakeApi, json, startFakeApi } from '../helpers/fakeApi.js';
import { makeTempDir, writeSecret } from '../helpers/geoHook.js';
import { hookLog, startTestLab } from '../helpers/lab.js';

const test = suite<{ lab: Lab; work: string }>('the lab front end: smart HTTP over git http-backend', {} as never);
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', HOME: '/nonexistent' };
const git = (dir: string): SimpleGit =>
  simpleGit({ baseDir: dir, allowEnvironment: ['GIT_TERMINAL_PROMPT', 'GIT_CONFIG_NOSYSTEM'], timeout: { block: 60_000 } }).env(env);

test.before(async (context) => {
  context.lab = await startTestLab('geo-node-id');
  context.work = await makeTempDir();
});
test.after(async ({ lab }) => lab.close());

async function cloneTo(context: { lab: Lab; work: string }, name: string, url: string) {
  const dir = path.join(context.work, name);
  await git(context.work).clone(url, dir);
  const repo = git(dir);
  for (const [key, value] of [['user.name', 'Tester'], ['user.email', 't@geo-hook.invalid'], ['commit.gpgSign', 'false'], ['gc.auto', '0']] as const) {
    await repo.addConfig(key, value);
  }
  return { dir, repo };
}

async function pushCapturing(repo: SimpleGit, url: string, refspec: string, options: string[] = []) {
  let stderr = '';
  await repo.outputHandler((_c, _o, errors) => errors.on('data', (chunk: Buffer) => (stderr += chunk))).push(url, refspec, options);
  return stderr;
}

test('clone and fetch anonymously, at the plain path and through a secondary', async (context) => {
  const { lab } = context;
  const plain = await cloneTo(context, 'plain', lab.pushUrl('group/project'));
  assert.match(await plain.repo.raw(['log', '--oneline']), /Add the CI configuration/);
  const viaSecondary = await cloneTo(context, 'via-secondary', lab.pushUrl('group/project', 3));
  await viaSecondary.repo.fetch();
  assert.is((await viaSecondary.repo.revparse(['HEAD'])).trim(), (await plain.repo.revparse(['HEAD'])).trim());
});

test('a push as the deploy key: the hook ran with GL_ID, GL_USERNAME, GL_PROTOCOL, a correlation id and the node id', async (context) => {
  const { lab } = context;
  const account = lab.fixture.accounts[0]!;
  const { dir, repo } = await cloneTo(context, 'pusher', lab.pushUrl('group/project'));
  await writeFile(path.join(dir, 'a.txt'), 'a\n');
  await repo.add('a.txt').commit('a');
  const stderr = await pushCapturing(repo, lab.pushUrl('group/project', 2, account), 'HEAD:refs/heads/feature-a', ['-o', 'ci.skip']);
  assert.match(remoteText(stderr), /Current replication lag: 42 seconds/);
  const last = (await hookLog(lab)).at(-1)!;
  assert.is(last.gl_id, account.glId);
  assert.is(last.gl_repository, 'project-7');
  assert.is(last.geo_node_id, 2);
  assert.match(String(last.correlation_id), /^[0-9a-f-]{36}$/);
  assert.is(last.outcome, 'ok');
});

test('the /-/from_secondary/ prefix of GitLab 17.10 works too', async (context) => {
  const { lab } = context;
  const { dir, repo } = await cloneTo(context, 'from-secondary', lab.pushUrl('group/project'));
  await writeFile(path.join(dir, 'b.txt'), 'b\n');
  await repo.add('b.txt').commit('b');
  const url = lab.pushUrl('group/project', 3, lab.fixture.accounts[0]).replace('/-/push_from_secondary/', '/-/from_secondary/');
  assert.match(remoteText(await pushCapturing(repo, url, 'HEAD:refs/heads/feature-b')), /Current replication lag: 7 seconds/);
});

test('a person pushing: GL_ID is theirs', async (context) => {
  const { lab } = context;
  const alice = lab.fixture.accounts.find((account) => account.glId.startsWith('user-'))!;
  const { dir, repo } = await cloneTo(context, 'alice', lab.pushUrl('geo/demo'));
  await writeFile(path.join(dir, 'c.txt'), 'c\n');
  await repo.add('c.txt').commit('c');
  await pushCapturing(repo, lab.pushUrl('geo/demo', undefined, alice), 'HEAD:refs/heads/alice');
  const last = (await hookLog(lab)).at(-1)!;
  assert.equal([last.gl_id, last.gl_repository, last.geo_node_id], [alice.glId, 'project-1', null]);
});

test('a large pack (sent chunked) is received whole', async (context) => {
  const { lab } = context;
  const { dir, repo } = await cloneTo(context, 'large', lab.pushUrl('group/project'));
  const blob = randomBytes(6 * 1024 * 1024);
  await writeFile(path.join(dir, 'large.bin'), blob);
  await repo.add('large.bin').commit('large');
  const stderr = await pushCapturing(repo, lab.pushUrl('group/project', 2, lab.fixture.accounts[0]), 'HEAD:refs/heads/large');
  assert.match(remoteText(stderr), /Current replication lag: 42 seconds/);
  const check = await cloneTo(context, 'large-check', lab.pushUrl('group/project'));
  await check.repo.fetch('origin', 'large');
  assert.is((await check.repo.raw(['cat-file', '-s', 'FETCH_HEAD:large.bin'])).trim(), String(blob.length));
});

test('a gzip-encoded upload-pack request', async (context) => {
  const { lab } = context;
  const { repo } = await cloneTo(context, 'gzip', lab.pushUrl('group/project'));
  const head = (await repo.revparse(['HEAD'])).trim();
  const pkt = (line: string) => `${(line.length + 4).toString(16).padStart(4, '0')}${line}`;
  const body = gzipSync(Buffer.from(`${pkt(`want ${head} ofs-delta\n`)}0000${pkt('done\n')}`));
  const response = await fetch(`${lab.pushUrl('group/project')}/git-upload-pack`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-git-upload-pack-request', 'content-encoding': 'gzip' },
    body,
  });
  assert.is(response.status, 200);
  const bytes = Buffer.from(await response.arrayBuffer());
  assert.ok(bytes.includes(Buffer.from('PACK')), 'a pack came back');
});

test('a push without credentials, or with a wrong password, is refused and runs no hook', async (context) => {
  const { lab } = context;
  const before = (await hookLog(lab)).length;
  const { dir, repo } = await cloneTo(context, 'refused', lab.pushUrl('group/project'));
  await writeFile(path.join(dir, 'd.txt'), 'd\n');
  await repo.add('d.txt').commit('d');
  const wrong = { ...lab.fixture.accounts[0]!, password: 'not-the-password' };
  for (const url of [lab.pushUrl('group/project', 2), lab.pushUrl('group/project', 2, wrong)]) {
    try {
      await repo.push(url, 'HEAD:refs/heads/refused');
      assert.unreachable('the push was accepted');
    } catch (error) {
      assert.match(String(error), /Authentication failed|could not read Username|401/);
    }
  }
  assert.is((await hookLog(lab)).length, before);
});

test('unknown repositories and paths that climb out are 404', async ({ lab }) => {
  for (const pathname of ['/nope/nothing.git/info/refs?service=git-upload-pack', '/group/project.git/../../../etc/passwd', '/-/push_from_secondary/2/../../etc.git/info/refs', '/-/push_from_secondary/2/group/project.git/../../../../../etc/passwd', '/group/project.git/config']) {
    // node:http sends the path as written; fetch would resolve the dots first.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const { hostname, port } = new URL(lab.url);
      get({ hostname, port, path: pathname }, (response) => {
        response.resume();
        resolve(response.statusCode);
      }).on('error', reject);
    });
    assert.is(status, 404, pathname);
  }
});

test.run();

const atApi = suite<{ api: FakeApi; lab: Lab; work: string }>('what a real push sends the API', {} as never);

atApi.before(async (context) => {
  context.work = await makeTempDir();
  context.api = await startFakeApi((_, response) => json(response, 200, { reference_counter_decreased: true, messages: [{ type: 'basic', message: 'recorded' }] }));
  const secretFile = await writeSecret(context.work);
  context.lab = await startTestLab('geo-node-id', { externalApi: { registerUrl: context.api.url, hookUrl: context.api.url, secretFile } });
});
atApi.after(async ({ api, lab }) => {
  await lab.close();
  await api.close();
});

atApi('push options (git push -o) reach the API in push_options, in order, with the node id and the push', async (context) => {
  const { lab, api } = context;
  const account = lab.fixture.accounts[0]!;
  const { dir, repo } = await cloneTo(context, 'with-options', lab.pushUrl('group/project'));
  await writeFile(path.join(dir, 'o.txt'), 'o\n');
  await repo.add('o.txt').commit('o');
  const head = (await repo.revparse(['HEAD'])).trim();
  const stderr = await pushCapturing(repo, lab.pushUrl('group/project', 2, account), 'HEAD:refs/heads/with-options', ['-o', 'ci.skip', '-o', 'merge_request.create']);
  assert.match(remoteText(stderr), /^recorded$/m);
  const calls = api.seen.filter((request) => request.url === '/api/v4/internal/post_receive');
  assert.is(calls.length, 1);
  const body = JSON.parse(calls[0]!.body) as Record<string, unknown>;
  assert.equal(body.push_options, ['ci.skip', 'merge_request.create']);
  assert.is(body.geo_node_id, 2);
  assert.is(body.identifier, 'key-42');
  assert.is(body.gl_repository, 'project-7');
  assert.is(body.changes, `${'0'.repeat(40)} ${head} refs/heads/with-options\n`);
});

atApi.run();
