// Run by the build on the runtime the executable embeds:
//   node scripts/train-code-cache.mjs <wrapped hook bundle> <cache file> post-receive
// Compiles the wrapped hook bundle as src/executable/seaMain.ts does (same
// source, same wrapper), runs it as the hook with the environment and standard
// input the build gives it, and at exit writes V8's code cache for it: after
// the run, so that every function the run compiled is in it.
import { createRequire } from 'node:module';
import path from 'node:path';
import { trainedScript } from './trainedScript.mjs';

const [bundleFile, cacheFile] = process.argv.splice(2, 2);
const script = trainedScript(bundleFile, cacheFile);
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(import.meta.url), module, process.execPath, path.dirname(process.execPath), 'none');
