// npm run bench, the replication section (GEO_HOOK_BENCH_ONLY=replication): what `geo-hook replicate`
// costs and how soon a push is in a secondary's replica, each figure against a plain-git baseline of the
// same run. Figures only, never asserted.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { createReplicationFrontEnd } from '../src/lab/replicationFrontEnd.js';
import { claimsAt, nodeAuthorization, signJwt } from '../src/shared/jwt.js';

const run = promisify(execFile);
const NODE_SECRET = 'bench-replication-node-2-secret-0123456789';
const IDENTITY = { GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@example.invalid', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@example.invalid', GIT_CONFIG_NOSYSTEM: '1' };

interface Bench {
  readonly executable: string;
  readonly dir: string;
  readonly secret: string;
  readonly seconds: number;
  readonly line: (label: string, ...cells: string[]) => void;
  readonly startServe: (args: string[]) => Promise<{ url: string; child: ChildProcess }>;
}

interface Site {
  readonly root: string;
  readonly serve: { url: string; child: ChildProcess };
  readonly gitUrl: string;
  readonly front: Server;
  readonly paths: string[];
  readonly env: Record<string, string>;
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.max(0, Math.ceil((p / 100) * values.length) - 1))]!;
const ms = (value: number) => `${Math.round(value)} ms`;

async function git(env: Record<string, string>, cwd: string, ...args: string[]): Promise<string> {
  return (await run('git', args, { cwd, env: { ...env, ...IDENTITY }, maxBuffer: 64 * 1024 * 1024 })).stdout;
}

/** `count` primary repositories (copies of one with a commit), serve with node 2 reporting, the stand-in web server at /-/geo/replication/. */
async function site(bench: Bench, name: string, count: number): Promise<Site> {
  const dir = path.join(bench.dir, name);
  const root = path.join(dir, 'primary');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
  await mkdir(path.join(root, 'bench'), { recursive: true });
  const template = path.join(dir, 'template.git');
  await git(env, dir, 'init', '--quiet', '--bare', '--initial-branch=main', template);
  const tree = (await git(env, template, 'hash-object', '-w', '-t', 'tree', '/dev/null')).trim();
  const commit = (await git(env, template, 'commit-tree', '-m', 'first', tree)).trim();
  await git(env, template, 'update-ref', 'refs/heads/main', commit);
  const paths = Array.from({ length: count }, (_, i) => `bench/r${i}`);
  for (const repositoryPath of paths) await cp(template, path.join(root, `${repositoryPath}.git`), { recursive: true });
  await writeFile(path.join(dir, 'node-2.secret'), `${NODE_SECRET}\n`, { mode: 0o600 });
  await writeFile(
    path.join(dir, 'site.json'),
    JSON.stringify({
      nodes: [
        { id: 1, name: 'primary', url: 'http://primary.example', primary: true },
        { id: 2, name: 'secondary', url: 'http://secondary.example', primary: false, secret_file: 'node-2.secret' },
      ],
      repositories: Object.fromEntries(paths.map((repositoryPath, i) => [`project-${i + 1}`, repositoryPath])),
    }),
  );
  const serve = await bench.startServe(['--secret-file', bench.secret, '--nodes-file', path.join(dir, 'site.json')]);
  const front = createReplicationFrontEnd({ projectRoot: root, replicationAuthUrl: `${serve.url}/api/v4/internal/geo/replication_auth`, pathPrefix: '/-/geo/replication', baseEnv: { PATH: env.PATH } });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  return { root, serve, gitUrl: `http://127.0.0.1:${(front.address() as AddressInfo).port}/-/geo/replication`, front, paths, env };
}

/** A real `geo-hook replicate` (the executable) for node 2; its log lines as they come. */
function replicate(bench: Bench, target: Site, replicas: string, extra: string[] = []): { child: ChildProcess; lines: Array<Record<string, unknown>>; reconciled(n: number): Promise<Record<string, unknown>> } {
  const child = spawn(
    bench.executable,
    ['replicate', '--api-url', target.serve.url, '--node-id', '2', '--node-secret-file', path.join(path.dirname(target.root), 'node-2.secret'), '--primary-git-url', target.gitUrl, '--repositories', replicas, '--report-interval', '1', ...extra],
    { env: { PATH: target.env.PATH!, HOME: '/nonexistent' }, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const lines: Array<Record<string, unknown>> = [];
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const complete = buffered.split('\n');
    buffered = complete.pop()!;
    for (const text of complete) if (text !== '') lines.push(JSON.parse(text) as Record<string, unknown>);
  });
  return {
    child,
    lines,
    reconciled: async (n) => {
      for (;;) {
        const found = lines.filter((record) => record.event === 'reconciled');
        if (found.length >= n) return found[n - 1]!;
        if (child.exitCode !== null) throw new Error('the replicator ended');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  await exited;
}

async function postReceive(bench: Bench, target: Site, index: number): Promise<void> {
  const response = await fetch(`${target.serve.url}/api/v4/internal/post_receive`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'gitlab-shell-api-request': signJwt(claimsAt(Math.floor(Date.now() / 1000)), await readSecret(bench)) },
    body: JSON.stringify({ gl_repository: `project-${index + 1}`, identifier: 'key-1', changes: `${'0'.repeat(40)} ${'1'.repeat(40)} refs/heads/main\n`, push_options: [] }),
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`post_receive answered ${response.status}`);
}
let secretText: string | undefined;
async function readSecret(bench: Bench): Promise<string> {
  secretText ??= (await readFile(bench.secret, 'utf8')).trim();
  return secretText;
}

async function pendingEvents(bench: Bench, target: Site): Promise<number> {
  const response = await fetch(`${target.serve.url}/api/v4/internal/geo/nodes`, { headers: { 'gitlab-shell-api-request': signJwt(claimsAt(Math.floor(Date.now() / 1000)), await readSecret(bench)) } });
  const nodes = (await response.json()) as Array<{ id: number; pending_events: number | null; lag_source: string }>;
  const node = nodes.find((entry) => entry.id === 2)!;
  return node.lag_source === 'measured' ? (node.pending_events ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
}

/** The node's credential for a plain git (the baseline), through its environment as the replicator gives it. */
const credentialEnv = (env: Record<string, string>) => ({ ...env, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: ${nodeAuthorization(2, NODE_SECRET, Math.floor(Date.now() / 1000))}`, GIT_TERMINAL_PROMPT: '0' });

const until = async (check: () => Promise<boolean> | boolean, stepMs = 5) => {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, stepMs));
};

/** Reads a loose ref of a bare repository without git (the replicator's fetch writes loose refs); undefined when absent. */
const looseRef = (gitDir: string, ref: string) => readFile(path.join(gitDir, ref), 'utf8').then((text) => text.trim(), () => undefined);

async function pushToReplica(bench: Bench): Promise<void> {
  const target = await site(bench, 'push-to-replica', 20);
  const replicas = path.join(path.dirname(target.root), 'replicas');
  const baseline = path.join(path.dirname(target.root), 'baseline');
  await mkdir(replicas);
  const replicator = replicate(bench, target, replicas);
  try {
    await replicator.reconciled(1);
    const pushers = 4;
    // Each pusher its own branch in each repository (no two pushes race for one ref), its working copies and its plain mirrors.
    const work = path.join(path.dirname(target.root), 'work');
    for (let p = 0; p < pushers; p++) {
      for (const repositoryPath of target.paths) {
        await git(target.env, target.root, 'clone', '--quiet', path.join(target.root, `${repositoryPath}.git`), path.join(work, `${p}`, repositoryPath));
        await git(target.env, target.root, 'clone', '--quiet', '--mirror', path.join(target.root, `${repositoryPath}.git`), path.join(baseline, `${p}`, `${repositoryPath}.git`));
      }
    }
    const toReplica: number[] = [];
    const plainFetch: number[] = [];
    const until_ = Date.now() + bench.seconds * 3 * 1000;
    await Promise.all(
      Array.from({ length: pushers }, async (_, p) => {
        let n = 0;
        while (Date.now() < until_) {
          const index = Math.floor(Math.random() * target.paths.length);
          const repositoryPath = target.paths[index]!;
          const copy = path.join(work, `${p}`, repositoryPath);
          await git(target.env, copy, 'commit', '--quiet', '--allow-empty', '-m', `push ${p}.${++n}`);
          const head = (await git(target.env, copy, 'rev-parse', 'HEAD')).trim();
          const branch = `refs/heads/pusher-${p}`;
          await git(target.env, copy, 'push', '--quiet', path.join(target.root, `${repositoryPath}.git`), `HEAD:${branch}`);
          // As the hook: post_receive before the push returns.
          await postReceive(bench, target, index);
          const returned = performance.now();
          const mirror = path.join(baseline, `${p}`, `${repositoryPath}.git`);
          const fetched = (async () => {
            await git(credentialEnv(target.env), mirror, 'fetch', '--quiet', `${target.gitUrl}/${repositoryPath}.git`, `+${branch}:${branch}`);
            plainFetch.push(performance.now() - returned);
          })();
          await until(async () => (await looseRef(path.join(replicas, `${repositoryPath}.git`), branch)) === head);
          toReplica.push(performance.now() - returned);
          await fetched;
        }
      }),
    );
    bench.line(
      `push to replica, ${pushers} pushers, ${bench.seconds * 3} s, ${target.paths.length} repositories (${toReplica.length} pushes)`,
      `p50 ${ms(percentile(toReplica, 50))}`,
      `p99 ${ms(percentile(toReplica, 99))}`,
    );
    bench.line(
      '  a plain git fetch of the same change, started as the push returns',
      `p50 ${ms(percentile(plainFetch, 50))}`,
      `p99 ${ms(percentile(plainFetch, 99))}`,
      `ratio p99 ${(percentile(toReplica, 99) / percentile(plainFetch, 99)).toFixed(2)}×`,
    );
  } finally {
    await stop(replicator.child);
    target.front.close();
    target.serve.child.kill();
  }
}

async function catchUp(bench: Bench): Promise<void> {
  const target = await site(bench, 'catch-up', 100);
  const replicas = path.join(path.dirname(target.root), 'replicas');
  const baseline = path.join(path.dirname(target.root), 'baseline');
  await mkdir(replicas);
  for (const repositoryPath of target.paths) await git(target.env, target.root, 'clone', '--quiet', '--mirror', path.join(target.root, `${repositoryPath}.git`), path.join(baseline, `${repositoryPath}.git`));
  const replicator = replicate(bench, target, replicas);
  try {
    await replicator.reconciled(1);
    await until(async () => (await pendingEvents(bench, target)) === 0, 50);
    replicator.child.kill('SIGSTOP');
    // 1,000 pushes while it is paused: 10 commits on each of 100 repositories, each with its event.
    for (const [index, repositoryPath] of target.paths.entries()) {
      const gitDir = path.join(target.root, `${repositoryPath}.git`);
      for (let n = 0; n < 10; n++) {
        const parent = (await git(target.env, gitDir, 'rev-parse', 'refs/heads/main')).trim();
        const commit = (await git(target.env, gitDir, 'commit-tree', '-p', parent, '-m', `catch-up ${n}`, `${parent}^{tree}`)).trim();
        await git(target.env, gitDir, 'update-ref', 'refs/heads/main', commit);
        await postReceive(bench, target, index);
      }
    }
    const started = performance.now();
    replicator.child.kill('SIGCONT');
    await until(async () => (await pendingEvents(bench, target)) === 0, 20);
    const caughtUp = performance.now() - started;
    const loopStarted = performance.now();
    for (const repositoryPath of target.paths) {
      await git(credentialEnv(target.env), path.join(baseline, `${repositoryPath}.git`), 'fetch', '--quiet', `${target.gitUrl}/${repositoryPath}.git`, '+refs/*:refs/*');
    }
    const loop = performance.now() - loopStarted;
    bench.line('catch-up: 1,000 pending events over 100 repositories, after a pause', `${ms(caughtUp)} until the cursor is at the end`);
    bench.line('  a plain loop fetching those 100 repositories once each', ms(loop), `ratio ${(caughtUp / loop).toFixed(2)}×`);
  } finally {
    await stop(replicator.child);
    target.front.close();
    target.serve.child.kill();
  }
}

async function reconcileFigures(bench: Bench): Promise<void> {
  const target = await site(bench, 'reconcile', 1000);
  const replicas = path.join(path.dirname(target.root), 'replicas');
  await mkdir(replicas);
  try {
    const first = replicate(bench, target, replicas);
    const sync = await first.reconciled(1);
    await stop(first.child);
    const unchanged = replicate(bench, target, replicas);
    const quiet = await unchanged.reconciled(1);
    await stop(unchanged.child);
    for (const repositoryPath of target.paths.slice(0, 10)) {
      const gitDir = path.join(target.root, `${repositoryPath}.git`);
      const parent = (await git(target.env, gitDir, 'rev-parse', 'refs/heads/main')).trim();
      await git(target.env, gitDir, 'update-ref', 'refs/heads/main', (await git(target.env, gitDir, 'commit-tree', '-p', parent, '-m', 'changed', `${parent}^{tree}`)).trim());
    }
    const changed = replicate(bench, target, replicas);
    const ten = await changed.reconciled(1);
    await stop(changed.child);
    const started = performance.now();
    for (const repositoryPath of target.paths) await git(credentialEnv(target.env), target.root, 'ls-remote', `${target.gitUrl}/${repositoryPath}.git`);
    const loop = performance.now() - started;
    bench.line('first sync of 1,000 repositories (each made, 4 at a time)', `${Number(sync.seconds).toFixed(1)} s`);
    bench.line('reconcile, 1,000 unchanged repositories', `${Number(quiet.seconds).toFixed(2)} s`, `fetched ${quiet.fetched}`, `ratio ${((Number(quiet.seconds) * 1000) / loop).toFixed(2)}× the loop`);
    bench.line('reconcile, 1,000 repositories of which 10 changed', `${Number(ten.seconds).toFixed(2)} s`, `fetched ${ten.fetched}`, `ratio ${((Number(ten.seconds) * 1000) / loop).toFixed(2)}× the loop`);
    bench.line('  a plain git ls-remote loop over the 1,000', `${(loop / 1000).toFixed(2)} s`);
  } finally {
    target.front.close();
    target.serve.child.kill();
  }
}

export async function replicationFigures(bench: Bench): Promise<void> {
  console.log('\nReplication: geo-hook replicate (the executable) against plain git in the same run; the primary\'s web server is the lab\'s stand-in (git http-backend per request, each checked with serve)');
  await pushToReplica(bench);
  await catchUp(bench);
  await reconcileFigures(bench);
}
