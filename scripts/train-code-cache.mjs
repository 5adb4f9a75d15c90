// Run by the build on the runtime the executable embeds:
//   node scripts/train-code-cache.mjs <wrapped hook bundle> <cache file> post-receive
// Compiles the wrapped hook bundle as src/executable/seaMain.ts does (same
// source, same wrapper), runs it as the hook with the environment and standard
// input the build gives it, and at exit writes V8's code cache for it: after
// the run, so that every function the run compiled is in it.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

const [bundleFile, cacheFile] = process.argv.splice(2, 2);
// A GC may flush the bytecode of functions it finds old, and when one runs depends on timers (V8's
// memory reducer): which functions the cache holds would then differ from build to build. No flushing
// during the run; the flag is set back before the cache is taken, since V8 refuses a cache made under
// other flags.
setFlagsFromString('--no-flush-bytecode');
const script = new Script(readFileSync(bundleFile, 'utf8'), { filename: path.basename(bundleFile) });
process.on('exit', () => {
  setFlagsFromString('--flush-bytecode');
  writeFileSync(cacheFile, script.createCachedData());
});
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(import.meta.url), module, process.execPath, path.dirname(process.execPath), 'none');
