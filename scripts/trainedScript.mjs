// What both code-cache trainings share: the wrapped bundle compiled as the
// single executable compiles it (same source, same file name), and V8's code
// cache for it written at exit, after the run, so that every function the
// run compiled is in it.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

export function trainedScript(bundleFile, cacheFile) {
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
  return script;
}
