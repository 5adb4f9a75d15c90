// Bundles geo-hook into two CommonJS files: dist/geo-hook.cjs, the entry,
// holding the hook and little else (a push waits for its start-up), and
// dist/geo-hook-cli.cjs, everything else (argument parser, server, lab,
// installer), which the entry loads only when it is needed. bin/ runs the
// entry, and the single executable is made from both.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { bundleOptions as common } from './bundleOptions.mjs';

export const ENTRY = 'dist/geo-hook.cjs';
export const CLI = 'dist/geo-hook-cli.cjs';

await Promise.all([
  build({ ...common, entryPoints: ['src/main.ts'], outfile: ENTRY, external: ['./cli.js'] }),
  build({ ...common, entryPoints: ['src/cli.ts'], outfile: CLI }),
]);

// A dynamic import() left in a bundle fails in the single executable (and under its code cache).
for (const file of [ENTRY, CLI]) {
  const code = await readFile(file, 'utf8');
  const left = code.match(/[^\w$.]import\((?!"\.\/cli\.js"\))[^)]{0,40}\)/g);
  if (left) throw new Error(`${file} still has dynamic imports: ${left.join(', ')}`);
}
