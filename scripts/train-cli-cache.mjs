// Run by the build on the runtime the executable embeds:
//   node scripts/train-cli-cache.mjs <wrapped command-line bundle> <cache file> <argument…>
// Compiles the wrapped second bundle as src/main.ts does in the single
// executable (same source, same wrapper, same file name), runs its command
// line once with the arguments given (--help: yargs, every command's
// builder, the help's rendering), and at exit writes V8's code cache for
// it, so that what that run compiled is not compiled again at each start.
import { createRequire } from 'node:module';
import path from 'node:path';
import { trainedScript } from './trainedScript.mjs';

const [bundleFile, cacheFile, ...argv] = process.argv.slice(2);
// Nothing is written anywhere, and no standard stream is made: which kind of file a stream is (a
// pipe, a terminal, a file) decides which of node's functions a write compiles, and so the cache's bytes.
const discard = { write: () => true, isTTY: false, columns: 80, on: () => discard, once: () => discard };
for (const method of ['log', 'error', 'warn', 'info']) console[method] = () => {};
// yargs asks process.stdout for the terminal's width, which makes the stream: a stand-in instead.
for (const name of ['stdout', 'stderr', 'stdin']) Object.defineProperty(process, name, { value: discard, configurable: true });
const script = trainedScript(bundleFile, cacheFile);
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(import.meta.url), module, process.execPath, path.dirname(process.execPath), 'none');
await module.exports.runCli({
  argv,
  env: {},
  cwd: process.cwd(),
  nodeVersion: process.version,
  codeCache: 'none',
  cliCodeCache: 'none',
  self: [process.execPath],
  stdin: discard,
  stdinIsTerminal: false,
  stdout: discard,
  stderr: discard,
  setExitCode: () => {},
  exitNow: (code) => process.exit(code),
  onStop: () => {},
  onReload: () => {},
});
