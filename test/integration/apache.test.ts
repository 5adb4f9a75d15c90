import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { SCENARIO_IDS, type ScenarioTarget, runScenario } from '../../src/lab/raceScenarios.js';
import { runGeoHook } from '../helpers/geoHook.js';
import { pusherSees } from '../helpers/lab.js';
import { commitAndPush, describeWrong, hookRuns, workingCopy } from '../helpers/pushes.js';
import { suiteNeeding } from '../helpers/tools.js';
import {
  DEPLOY,
  GIT_HTTP_BACKEND,
  type GitSite,
  type Nginx,
  PRIMARY_ADDRESS,
  SECONDARY_ADDRESSES,
  basicAuth,
  fillTemplate,
  pushTarget,
  startApache,
  startGitSite,
  startSecondaries,
  statusFrom,
  writeAccounts,
} from '../helpers/webServer.js';

/**
 * The shipped Apache site (deploy/apache/), filled in, with mod_cgid running
 * git http-backend and the built executable as the hook, in geo_node_id mode;
 * the secondaries are the shipped nginx secondaries. Executable pass only.
 */
const CONCURRENCY = 8;
const ROUNDS = 2;

interface Context {
  site: GitSite;
  primary: Nginx;
  secondaries: Map<number, Nginx>;
  target: ScenarioTarget;
}

const test = suiteNeeding<Context>('Apache + mod_cgid + git http-backend, geo_node_id mode: every pusher sees exactly its own message', {
  tools: ['apache2', 'nginx', 'openssl'],
  onlyInPass: 'executable',
});

test.before(async (context) => {
  context.site = await startGitSite();
  const conf = path.join(context.site.dir, 'apache-conf');
  const { htpasswd, glIdTxt } = await writeAccounts(context.site, conf);
  const generated = await runGeoHook(['deploy-config', 'apache', '--site', context.site.siteFile], { command: context.site.geoHook });
  assert.equal([generated.code, generated.stderr], [0, ''], 'deploy-config');
  const siteConfig = path.join(conf, 'geo-hook-site.conf');
  await writeFile(siteConfig, generated.stdout);
  context.primary = await startApache(context.site.dir, 'primary', PRIMARY_ADDRESS, async (port) =>
    fillTemplate(path.join(DEPLOY, 'apache/geo-hook-primary.conf'), {
      LISTEN: `${PRIMARY_ADDRESS}:${port}`,
      SITE_CONFIG: siteConfig,
      GL_ID_MAP: glIdTxt,
      HTPASSWD: htpasswd,
      REPOS: context.site.repos,
      GIT_HTTP_BACKEND,
    }),
  );
  context.secondaries = await startSecondaries(context.site, context.primary);
  context.target = pushTarget(context.site, context.primary, context.secondaries);
});

test.after(async ({ site, primary, secondaries }) => {
  for (const secondary of secondaries?.values() ?? []) await secondary.stop();
  await primary?.stop();
  await site?.close();
});

for (const scenario of SCENARIO_IDS) {
  test(`${scenario}: ${CONCURRENCY} simultaneous pushes, ${ROUNDS} rounds`, async ({ target }) => {
    const started = Date.now();
    const outcomes = await runScenario(target, scenario, { concurrency: CONCURRENCY, rounds: ROUNDS, path: process.env.PATH ?? '', expect: pusherSees });
    assert.is(outcomes.length, CONCURRENCY * ROUNDS);
    assert.is(describeWrong(outcomes), '');
    console.log(`\n    apache geo-node-id ${scenario}: ${outcomes.length} pushes, ${CONCURRENCY} at once, all correct, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
}

test('every push ran the hook with GEO_NODE_ID from the prefix and a distinct correlation id', async ({ site }) => {
  const runs = (await hookRuns(site.hookLog)).filter((record) => record.outcome === 'ok');
  assert.is(runs.length, CONCURRENCY * ROUNDS * SCENARIO_IDS.length);
  assert.ok(runs.some((record) => record.geo_node_id === 2) && runs.some((record) => record.geo_node_id === 3));
  const ids = runs.map((record) => record.correlation_id);
  assert.ok(ids.every((id) => typeof id === 'string' && id.length > 0), "mod_unique_id's UNIQUE_ID");
  assert.is(new Set(ids).size, ids.length);
});

test('the prefix: refused from an address that is not a secondary, and to a secondary claiming another id', async ({ primary, site }) => {
  const auth = { authorization: basicAuth(site.accounts[0]!) };
  const base = `http://${primary.address}:${primary.port}`;
  assert.is(await statusFrom(PRIMARY_ADDRESS, `${base}/-/push_from_secondary/2/group/project.git/info/refs?service=git-receive-pack`, auth), 403);
  assert.is(await statusFrom(SECONDARY_ADDRESSES[2]!, `${base}/-/push_from_secondary/3/group/project.git/info/refs?service=git-receive-pack`, auth), 403);
  assert.is(await statusFrom(SECONDARY_ADDRESSES[2]!, `${base}/-/push_from_secondary/2/group/project.git/info/refs?service=git-receive-pack`, auth), 200);
  assert.is(await statusFrom(PRIMARY_ADDRESS, `${base}/-/push_from_secondary/2/group/project.git/git-receive-pack`, auth), 403);
  // And a push still needs a user there.
  assert.is(await statusFrom(SECONDARY_ADDRESSES[2]!, `${base}/-/push_from_secondary/2/group/project.git/info/refs?service=git-receive-pack`, {}), 401);
});

test("a replication fetch is refused: stock Apache cannot check it with serve, so it fails closed, with a user's account too", async ({ primary, site }) => {
  const base = `http://${primary.address}:${primary.port}`;
  for (const headers of [{}, { authorization: basicAuth(site.accounts[0]!) }, { authorization: 'GL-Geo 2:x.y.z' }] as Array<Record<string, string>>) {
    assert.is(await statusFrom(SECONDARY_ADDRESSES[2]!, `${base}/-/geo/replication/group/project.git/info/refs?service=git-upload-pack`, headers), 403);
  }
});

test("the client's Authorization, Proxy, Cookie and Proxy-Authorization never reach the hook's environment", async ({ site, target }) => {
  const bare = path.join(site.repos, 'group/project.git');
  const envFile = path.join(site.dir, 'run', 'hook-env');
  await mkdir(path.join(bare, 'hooks/post-receive.d'), { recursive: true });
  await writeFile(path.join(bare, 'hooks/post-receive.d/50-record-env'), `#!/bin/sh\nenv > ${envFile}\n`, { mode: 0o755 });
  const account = site.accounts.find((candidate) => candidate.glId.startsWith('key-'))!;
  const { dir, git } = await workingCopy(target, 'auth-env');
  // httpoxy and friends: client headers that must not become HTTP_* for the hooks.
  await git.addConfig('http.extraHeader', 'Proxy: http://127.0.0.1:9/httpoxy', true);
  await git.addConfig('http.extraHeader', 'Cookie: session=from-the-client', true);
  await git.addConfig('http.extraHeader', 'Proxy-Authorization: Basic ZXZpbDpldmls', true);
  const pushed = await commitAndPush(git, dir, target.pushUrl('group/project', 3, account), 'auth-env');
  assert.is(pushed.error, undefined, pushed.stderr);
  const env = await readFile(envFile, 'utf8');
  assert.not.match(env, new RegExp(account.password));
  assert.not.match(env, /^HTTP_AUTHORIZATION=/m);
  assert.not.match(env, /^HTTP_(?:PROXY|COOKIE|PROXY_AUTHORIZATION)=/m);
  assert.not.match(env, /httpoxy|from-the-client|ZXZpbDpldmls/);
  assert.match(env, /^GL_ID=key-42$/m);
  assert.match(env, /^GL_USERNAME=deployer$/m);
  assert.match(env, /^GL_REPOSITORY=project-7$/m);
  assert.match(env, /^GEO_NODE_ID=3$/m);
});

test.run();
