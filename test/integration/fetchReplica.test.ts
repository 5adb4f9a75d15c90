import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import * as assert from 'uvu/assert';
import { runHttpBackend } from '../../src/lab/httpBackend.js';
import { fetchReplica } from '../../src/replicator/fetchReplica.js';
import { makeTempDir } from '../helpers/geoHook.js';
import { suiteNeeding } from '../helpers/tools.js';

/**
 * One replica brought to the primary's refs and HEAD with real git over
 * real HTTP (`git http-backend`), the node's credential checked by the
 * stand-in primary on every request (contract section 12).
 */
const run = promisify(execFile);
const CREDENTIAL = 'GL-Geo 2:header.payload.signature';
const GIT_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', GIT_CONFIG_NOSYSTEM: '1' };
const gitIn = async (dir: string, ...args: string[]) =>
  (await run('git', args, { cwd: dir, env: { ...GIT_ENV, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } })).stdout;

interface Context {
  dir: string;
  primary: string;
  work: string;
  server: Server;
  url: string;
  seen: string[];
  /** Command lines that held the credential, looked at while git's requests arrive. */
  exposed: string[];
}
const context = {} as Context;
// Never runs the executable: once, in the bundle's pass.
const test = suiteNeeding('fetchReplica: one replica over git http-backend', { tools: ['git'], onlyInPass: 'bundle' });

test.before(async () => {
  context.dir = await makeTempDir();
  context.primary = path.join(context.dir, 'primary');
  context.work = path.join(context.dir, 'work');
  context.seen = [];
  context.exposed = [];
  await gitIn(context.dir, 'init', '--quiet', '--bare', '--initial-branch=main', path.join(context.primary, 'group/project.git'));
  await gitIn(context.dir, 'init', '--quiet', '--initial-branch=main', context.work);
  await writeFile(path.join(context.work, 'a'), 'one\n');
  await gitIn(context.work, 'add', 'a');
  await gitIn(context.work, 'commit', '--quiet', '-m', 'one');
  await gitIn(context.work, 'push', '--quiet', path.join(context.primary, 'group/project.git'), 'main', 'main:refs/heads/old', 'main:refs/tags/v1');
  context.server = createServer((request, response) => {
    context.seen.push(String(request.headers.authorization ?? ''));
    context.exposed.push(...commandLinesWith(CREDENTIAL.split(' ')[1]!));
    if (request.headers.authorization !== CREDENTIAL) {
      response.writeHead(401, { 'content-type': 'text/plain' }).end('no\n');
      return;
    }
    const pathInfo = new URL(request.url ?? '/', 'http://primary').pathname.replace(/^\/-\/geo\/replication/, '');
    void runHttpBackend(request, response, { projectRoot: context.primary, pathInfo, remoteUser: undefined, env: { PATH: GIT_ENV.PATH } });
  });
  await new Promise<void>((resolve) => context.server.listen(0, '127.0.0.1', resolve));
  const address = context.server.address();
  context.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/-/geo/replication`;
});
test.after(async () => {
  context.server?.close();
  if (context.dir) await rm(context.dir, { recursive: true, force: true });
});

/** Every process's command line (as `ps` shows it) that contains `text`. */
function commandLinesWith(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (line.includes(text)) found.push(line);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

const fetch = (over: { credential?: string; repositoryPath?: string } = {}) =>
  fetchReplica({
    folder: path.join(context.dir, 'replicas'),
    repositoryPath: over.repositoryPath ?? 'group/project',
    primaryGitUrl: context.url,
    authorization: () => over.credential ?? CREDENTIAL,
    silenceTimeoutMs: 20_000,
    environment: { PATH: GIT_ENV.PATH, HOME: GIT_ENV.HOME },
    now: () => new Date('2026-12-02T12:00:00Z'),
  });
const refs = (gitDir: string) => gitIn(gitDir, 'for-each-ref', '--format=%(refname) %(objectname)');
const head = (gitDir: string) => gitIn(gitDir, 'symbolic-ref', 'HEAD');
const replica = () => path.join(context.dir, 'replicas', 'group/project.git');
const origin = () => path.join(context.primary, 'group/project.git');

test('a missing replica is made: refs and HEAD as the primary has them, the credential on every request', async () => {
  assert.equal(await fetch(), { outcome: 'created' });
  assert.is(await refs(replica()), await refs(origin()));
  assert.is(await head(replica()), 'refs/heads/main\n');
  assert.ok(context.seen.length > 0 && context.seen.every((seen) => seen === CREDENTIAL), 'every request carried the credential');
  assert.equal(context.exposed, [], 'no command line holds the credential while git fetches');
});

test('after a push: new commits fetched, a deleted branch pruned, a changed default branch followed', async () => {
  await writeFile(path.join(context.work, 'a'), 'two\n');
  await gitIn(context.work, 'commit', '--quiet', '-am', 'two');
  await gitIn(context.work, 'push', '--quiet', origin(), 'main', 'main:refs/heads/next', ':refs/heads/old');
  await gitIn(origin(), 'symbolic-ref', 'HEAD', 'refs/heads/next');
  assert.equal(await fetch(), { outcome: 'fetched' });
  assert.is(await refs(replica()), await refs(origin()));
  assert.not.match(await refs(replica()), 'refs/heads/old');
  assert.is(await head(replica()), 'refs/heads/next\n');
});

test('a refused credential fails the fetch in words and leaves the replica as it was', async () => {
  const before = await refs(replica());
  const result = await fetch({ credential: 'GL-Geo 3:wrong' });
  assert.is(result.outcome, 'failed');
  assert.match((result as { reason: string }).reason, /^the primary refused this node's credential/, (result as { reason: string }).reason);
  assert.not.match((result as { reason: string }).reason, 'GL-Geo');
  assert.is(await refs(replica()), before);
});

test('a repository the primary does not have is gone, and no replica is made for it', async () => {
  assert.equal(await fetch({ repositoryPath: 'group/nothing' }), { outcome: 'gone' });
  assert.equal(await readdir(path.join(context.dir, 'replicas', 'group')), ['project.git']);
});

test('a replica that is no repository any more is made again, the broken one moved aside under .removed', async () => {
  await rm(path.join(replica(), 'objects'), { recursive: true, force: true });
  assert.equal(await fetch(), { outcome: 'created' });
  assert.is(await refs(replica()), await refs(origin()));
  assert.equal(await readdir(path.join(context.dir, 'replicas', '.removed')), ['2026-12-02T12-00-00-000Z-broken']);
});

test('a path that could climb out of the folder is refused before git runs', async () => {
  const result = await fetch({ repositoryPath: 'group/../../etc' });
  assert.is(result.outcome, 'failed');
});

test.run();
