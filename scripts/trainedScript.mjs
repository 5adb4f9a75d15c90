// What both code-cache trainings share: the wrapped bundle compiled as the
// single executable compiles it (same source, same file name), and V8's code
// cache for it written at exit, after the run, so that every function the
// run compiled is in it.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

/** V8's compilers above the interpreter, all on by default in the embedded Node. */
const TIERS = ['sparkplug', 'maglev', 'turbofan'];

export function trainedScript(bundleFile, cacheFile) {
  // What the cache holds must not depend on timing, or two builds differ. A GC may flush the bytecode of
  // functions it finds old, and when one runs depends on timers (V8's memory reducer); a function's cached
  // tiering decision depends on when the background compilers got to it (a loaded machine flipped it).
  // Neither during the run; the flags are set back before the cache is taken, since V8 refuses a cache
  // made under other flags.
  setFlagsFromString('--no-flush-bytecode');
  for (const tier of TIERS) setFlagsFromString(`--no-${tier}`);
  const script = new Script(readFileSync(bundleFile, 'utf8'), { filename: path.basename(bundleFile) });
  process.on('exit', () => {
    setFlagsFromString('--flush-bytecode');
    for (const tier of TIERS) setFlagsFromString(`--${tier}`);
    writeFileSync(cacheFile, script.createCachedData());
  });
  return script;
}
