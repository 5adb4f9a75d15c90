import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { remoteText } from '../../src/lab/readPushOutput.js';
import { SCENARIO_IDS, runScenario } from '../../src/lab/raceScenarios.js';
import { type FakeApi, startFakeApi } from '../helpers/fakeApi.js';
import { commitAndPush, describeWrong, hookRuns, workingCopy } from '../helpers/pushes.js';
import { pusherSees } from '../helpers/lab.js';
import { suiteNeeding } from '../helpers/tools.js';
import {
  type Deployment,
  type Mode,
  FRONTEND_TOKEN,
  PRIMARY_ADDRESS,
  SECONDARY_ADDRESSES,
  basicAuth,
  deployNginxPrimary,
  statusFrom,
} from '../helpers/webServer.js';

/**
 * The shipped nginx files (deploy/nginx/), filled in, in front of fcgiwrap and
 * git http-backend, with the built executable as the hook: a primary and two
 * secondaries on loopback addresses of their own, real git push clients.
 * Slow, so only in the executable's pass of the test run.
 */
const NEEDS = { tools: ['nginx', 'fcgiwrap', 'openssl'], onlyInPass: 'executable' };
const CONCURRENCY = 8;
const ROUNDS = 2;
const PATH = process.env.PATH ?? '/usr/bin:/bin';

const deployer = (deployment: Deployment) => deployment.site.accounts.find((account) => account.glId.startsWith('key-'))!;

for (const mode of ['geo-node-id', 'correlation'] as Mode[]) {
  const test = suiteNeeding<{ deployment: Deployment }>(`nginx + git http-backend, ${mode} mode: every pusher sees exactly its own message`, NEEDS);
  test.before(async (context) => {
    context.deployment = await deployNginxPrimary(mode);
  });
  test.after(async ({ deployment }) => deployment?.close());

  for (const scenario of SCENARIO_IDS) {
    test(`${scenario}: ${CONCURRENCY} simultaneous pushes, ${ROUNDS} rounds, through nginx secondaries and straight to the primary`, async ({ deployment }) => {
      const started = Date.now();
      const outcomes = await runScenario(deployment.target, scenario, { concurrency: CONCURRENCY, rounds: ROUNDS, path: PATH, expect: pusherSees });
      const ms = Date.now() - started;
      assert.is(outcomes.length, CONCURRENCY * ROUNDS);
      assert.is(describeWrong(outcomes), '');
      console.log(`\n    nginx ${mode} ${scenario}: ${outcomes.length} pushes, ${CONCURRENCY} at once, all correct, ${(ms / 1000).toFixed(1)} s`);
    });
  }

  test('the hook ran for every push, through the mode under test, with distinct correlation ids', async ({ deployment }) => {
    const runs = (await hookRuns(deployment.site.hookLog)).filter((record) => record.outcome === 'ok');
    assert.is(runs.length, CONCURRENCY * ROUNDS * SCENARIO_IDS.length);
    const ids = runs.map((record) => record.correlation_id);
    assert.ok(ids.every((id) => typeof id === 'string' && /^[0-9a-f]{32}$/.test(id)), "nginx's $request_id");
    assert.is(new Set(ids).size, ids.length);
    if (mode === 'geo-node-id') assert.ok(runs.some((record) => record.geo_node_id === 2) && runs.some((record) => record.geo_node_id === 3));
    else assert.ok(runs.every((record) => record.geo_node_id === null));
    const sources = new Set(deployment.site.serve.logs().filter((line) => line.endpoint === 'post_receive').map((line) => line.referrer_source));
    assert.ok(sources.has(mode === 'geo-node-id' ? 'geo_node_id' : 'correlation'), [...sources].join());
    assert.not.ok(sources.has('legacy'));
  });

  test('the prefix is refused to an address that is not a secondary, and to a secondary claiming another id', async ({ deployment }) => {
    const { primary } = deployment;
    const account = deployer(deployment);
    const auth = basicAuth(account);
    // From 127.0.0.1, straight to the primary: not a secondary's address.
    for (const prefix of ['push_from_secondary', 'from_secondary']) {
      const response = await fetch(`http://${primary.address}:${primary.port}/-/${prefix}/2/group/project.git/info/refs?service=git-receive-pack`, { headers: { authorization: auth } });
      assert.is(response.status, 403, prefix);
    }
    const { dir, git } = await workingCopy(deployment.target, 'not-a-secondary');
    const pushed = await commitAndPush(git, dir, `http://${encodeURIComponent(account.username)}:${encodeURIComponent(account.password)}@${primary.address}:${primary.port}/-/push_from_secondary/2/group/project.git`, 'refused-prefix');
    assert.ok(pushed.error, 'the push through the prefix from a non-secondary was refused');
    assert.match(pushed.stderr, /403/);
    // Secondary eu (127.0.0.2) claiming ap's id 3: refused too (a secondary sends only its own id; this one is forged).
    const forged = await statusFrom(SECONDARY_ADDRESSES[2]!, `http://${primary.address}:${primary.port}/-/push_from_secondary/3/group/project.git/info/refs?service=git-receive-pack`, { authorization: auth });
    assert.is(forged, 403);
    // The push itself, not only its advertisement, is refused (a client may skip the advertisement).
    for (const from of [PRIMARY_ADDRESS, SECONDARY_ADDRESSES[3]!]) {
      assert.is(await statusFrom(from, `http://${primary.address}:${primary.port}/-/push_from_secondary/2/group/project.git/git-receive-pack`, { authorization: auth }), 403, from);
    }
  });

  test("the client's Authorization never reaches the hook's environment", async ({ deployment }) => {
    // A hook of the operator's that was there before geo-hook keeps running after it: it records its environment.
    const bare = path.join(deployment.site.repos, 'group/project.git');
    const envFile = path.join(deployment.site.dir, 'run', 'hook-env');
    await mkdir(path.join(bare, 'hooks/post-receive.d'), { recursive: true });
    await writeFile(path.join(bare, 'hooks/post-receive.d/50-record-env'), `#!/bin/sh\nenv > ${envFile}\n`, { mode: 0o755 });
    const account = deployer(deployment);
    const { dir, git } = await workingCopy(deployment.target, 'auth-env');
    const pushed = await commitAndPush(git, dir, deployment.target.pushUrl('group/project', 2, account), 'auth-env');
    assert.is(pushed.error, undefined);
    const env = await readFile(envFile, 'utf8');
    assert.not.match(env, new RegExp(account.password));
    assert.not.match(env, new RegExp(Buffer.from(`${account.username}:${account.password}`).toString('base64')));
    assert.match(env, /^GL_ID=key-42$/m);
    assert.match(env, /^GL_REPOSITORY=project-7$/m);
    assert.match(env, /^GL_USERNAME=deployer$/m);
    assert.match(env, /^GL_PROTOCOL=http$/m);
    assert.match(env, /^CORRELATION_ID=[0-9a-f]{32}$/m);
    if (mode === 'geo-node-id') assert.match(env, /^GEO_NODE_ID=2$/m);
    else assert.not.match(env, /^GEO_NODE_ID=/m);
  });

  test('a 5 MiB push through a secondary', async ({ deployment }) => {
    const account = deployer(deployment);
    const { dir, git } = await workingCopy(deployment.target, 'big');
    const pushed = await commitAndPush(git, dir, deployment.target.pushUrl('group/project', 3, account), 'big-push', randomBytes(5 * 1024 * 1024));
    assert.is(pushed.error, undefined, String(pushed.stderr));
    assert.is(remoteText(pushed.stderr), pusherSees('group/project', 3));
    // The primary has the pushed commit (asked over HTTP, as a user would).
    const ref = (await git.listRemote([deployment.target.cloneUrl!('group/project'), 'refs/heads/big-push'])).split('\t')[0]!;
    assert.is(ref, pushed.head);
  });

  test.run();
}

// Correlation mode when the registration fails: the push must go through, only without its lag message.
const failures = suiteNeeding<{ deployment: Deployment; register: FakeApi; answer: number }>('nginx correlation mode: a failed registration never fails a push', NEEDS);
failures.before(async (context) => {
  context.answer = 204;
  context.register = await startFakeApi((_request, response) => {
    response.writeHead(context.answer, { 'content-type': 'application/json' });
    response.end(context.answer === 204 ? undefined : JSON.stringify({ message: `${context.answer}` }));
  });
  context.deployment = await deployNginxPrimary('correlation', { registerApi: new URL(context.register.url).host });
});
failures.after(async ({ deployment, register }) => {
  await deployment?.close();
  await register?.close().catch(() => {});
});

failures('the registration carries only its own headers: a client\'s large ones and its Proxy, Cookie and Proxy-Authorization reach neither serve nor the hook', async (context) => {
  const { deployment } = context;
  context.answer = 204;
  const bare = path.join(deployment.site.repos, 'group/project.git');
  const envFile = path.join(deployment.site.dir, 'run', 'hook-env-headers');
  await mkdir(path.join(bare, 'hooks/post-receive.d'), { recursive: true });
  await writeFile(path.join(bare, 'hooks/post-receive.d/50-record-env'), `#!/bin/sh\nenv > ${envFile}\n`, { mode: 0o755 });
  const before = context.register.seen.length;
  const account = deployer(deployment);
  const { dir, git } = await workingCopy(deployment.target, 'big-headers');
  // Three 7 KB headers (serve alone answers 431 to them), and the httpoxy headers.
  for (let i = 1; i <= 3; i++) await git.addConfig('http.extraHeader', `X-Big-${i}: ${'b'.repeat(7000)}`, true);
  await git.addConfig('http.extraHeader', 'Proxy: http://127.0.0.1:9/httpoxy', true);
  await git.addConfig('http.extraHeader', 'Cookie: session=from-the-client', true);
  await git.addConfig('http.extraHeader', 'Proxy-Authorization: Basic ZXZpbDpldmls', true);
  const pushed = await commitAndPush(git, dir, deployment.target.pushUrl('group/project', 2, account), 'big-headers');
  assert.is(pushed.error, undefined, pushed.stderr);
  const calls = context.register.seen.slice(before);
  assert.is(calls.length, 1);
  const names = Object.keys(calls[0]!.headers).sort();
  assert.equal(names.filter((name) => !['host', 'connection'].includes(name)), ['authorization', 'x-geo-node-id', 'x-gl-id', 'x-gl-repository', 'x-request-id']);
  const env = await readFile(envFile, 'utf8');
  for (const name of ['HTTP_PROXY', 'HTTP_COOKIE', 'HTTP_PROXY_AUTHORIZATION', 'HTTP_AUTHORIZATION']) {
    assert.ok(!new RegExp(`^${name}=.`, 'm').test(env), `${name} reached the hook: ${env.split('\n').filter((line) => line.startsWith(name)).join(' ')}`);
  }
  assert.not.match(env, /httpoxy|from-the-client|ZXZpbDpldmls/);
});

failures('only a POST to the receive-pack of a repository the site knows registers anything', async (context) => {
  const { deployment } = context;
  context.answer = 204;
  const auth = { authorization: basicAuth(deployer(deployment)) };
  const base = `http://${deployment.primary.address}:${deployment.primary.port}/-/push_from_secondary/2`;
  const before = context.register.seen.length;
  for (const [method, repository] of [['GET', 'group/project'], ['GET', 'nonexistent/repo'], ['POST', 'nonexistent/repo'], ['PUT', 'group/project']] as const) {
    await statusFrom(SECONDARY_ADDRESSES[2]!, `${base}/${repository}.git/git-receive-pack`, auth, method);
  }
  assert.is(context.register.seen.length, before, 'nothing was registered');
  const status = await statusFrom(SECONDARY_ADDRESSES[2]!, `${base}/group/project.git/git-receive-pack`, { ...auth, 'content-type': 'application/x-git-receive-pack-request', 'content-length': '0' }, 'POST');
  assert.is(context.register.seen.length, before + 1, `the POST of a push was (answered ${status})`);
});

for (const [answer, what] of [
  [301, 'answered a redirection (301)'],
  [401, 'answered 401'],
  // Not 408: nginx takes a subrequest's 408 as its own client's timeout and closes the connection
  // before any error_page is looked at (see the shipped file). serve never answers it to nginx.
  [409, 'answered 409'],
  [414, 'answered 414'],
  [431, 'answered 431'],
  [503, 'answered 503'],
  [0, 'not answered at all (the API is down)'],
] as const) {
  failures(`registration ${what}: the push through a secondary succeeds, refs updated, no lag message`, async (context) => {
    const { deployment } = context;
    if (answer === 0) await context.register.close();
    else context.answer = answer;
    const before = context.register.seen.length;
    const account = deployer(deployment);
    const { dir, git } = await workingCopy(deployment.target, `failed-${answer}`);
    const pushed = await commitAndPush(git, dir, deployment.target.pushUrl('group/project', 2, account), `failed-registration-${answer}`);
    const errors = await readFile(path.join(deployment.primary.prefix, 'logs/error.log'), 'utf8').catch(() => '');
    assert.is(pushed.error, undefined, `${pushed.stderr}\nnginx: ${errors.split('\n').slice(-4).join('\n')}`);
    assert.is(remoteText(pushed.stderr), '', 'nothing registered: no notice, no lag');
    if (answer !== 0) {
      const calls = context.register.seen.slice(before);
      assert.is(calls.length, 1, 'nginx asked once');
      assert.is(calls[0]!.headers['x-geo-node-id'], '2');
      assert.is(calls[0]!.headers.authorization, `Bearer ${FRONTEND_TOKEN}`);
      assert.match(String(calls[0]!.headers['x-request-id']), /^[0-9a-f]{32}$/);
    }
    const runs = await hookRuns(deployment.site.hookLog);
    assert.is(runs.at(-1)?.outcome, 'ok');
  });
}

failures.run();
