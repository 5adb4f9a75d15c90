// Builds dist/geo-hook: one self-contained executable, made offline with
// Node's single-executable-application support, as `pkg --sea` does, but
// injecting into a (stripped) copy of the running node instead of a
// downloaded one. https://nodejs.org/api/single-executable-applications.html
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const postjectCli = require.resolve('postject/dist/cli.js');

const bundle = 'dist/geo-hook.cjs';
const cliBundle = 'dist/geo-hook-cli.cjs';
const blob = 'dist/geo-hook.blob';
const output = 'dist/geo-hook';
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
    // V8's compiled code for the entry could travel in the executable, but it
    // saves only about 3 ms a hook run (npm run bench) and V8 does not make it
    // byte for byte the same twice: off, so the build is reproducible.
    // GEO_HOOK_SEA_CODE_CACHE=1 turns it on.
    useCodeCache: process.env.GEO_HOOK_SEA_CODE_CACHE === '1',
    // A startup snapshot would save more, but Node 20 cannot snapshot node:http.
    useSnapshot: false,
  }),
);
execFileSync(process.execPath, ['--experimental-sea-config', 'dist/sea-config.json'], { stdio: 'ignore' });

await copyFile(process.execPath, partial);
await chmod(partial, 0o755);
// The distributed node carries debug information a release does not need.
const stripped = spawnSync('strip', ['--strip-all', partial], { stdio: 'ignore' }).status === 0;
// postject's ELF reader warns about the notes of Debian's node; its output is shown only on failure.
const injected = spawnSync(process.execPath, [postjectCli, partial, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], {
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
console.log(`${output}: ${(size / 1024 / 1024).toFixed(1)} MiB${stripped ? ' (stripped)' : ' (strip not found: not stripped)'}, sha256 ${digest.slice(0, 16)}…`);
