// Bundles geo-hook into two CommonJS files: dist/geo-hook.cjs, the entry,
// holding the hook and little else (a push waits for its start-up), and
// dist/geo-hook-cli.cjs, everything else (argument parser, server, lab,
// installer), which the entry loads only when it is needed. bin/ runs the
// entry, and the single executable is made from both.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';

const { version } = JSON.parse(await readFile('package.json', 'utf8'));

export const ENTRY = 'dist/geo-hook.cjs';
export const CLI = 'dist/geo-hook-cli.cjs';

/**
 * @sindresorhus/is (which got imports) builds two Intl.ListFormat objects when
 * it is loaded, only to word one error message; that starts ICU, about 20 ms of
 * every hook run (npm run bench, "part: got"). Made on first use instead.
 */
const lazyListFormat = {
  name: 'lazy-list-format',
  setup(plugin) {
    plugin.onLoad({ filter: /@sindresorhus[\\/]is[\\/]distribution[\\/]index\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const eager = /new Intl\.ListFormat\(/g;
      if ((source.match(eager) ?? []).length !== 2) throw new Error(`${args.path} changed: review the lazy-list-format build step`);
      const lazy = source.replace(eager, '((...a) => { let f; return { format: (l) => (f ??= new Intl.ListFormat(...a)).format(l) }; })(');
      return { contents: lazy, loader: 'js' };
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'linked',
  // yargs and got are ESM-only and read import.meta.url; in CommonJS it comes from __filename.
  define: {
    'import.meta.url': '__geoHookImportMetaUrl',
    GEO_HOOK_CLI_BUNDLE: '"geo-hook-cli.cjs"',
    GEO_HOOK_VERSION: JSON.stringify(version),
  },
  banner: { js: 'var __geoHookImportMetaUrl=require("url").pathToFileURL(__filename).href;' },
  // Parts of dependencies that geo-hook never uses but would pay for at every
  // start (see each stub for what and why): measured with npm run bench.
  alias: {
    'supports-color': './scripts/stubs/supports-color.cjs',
    'http2-wrapper': './scripts/stubs/http2-wrapper.cjs',
    'cacheable-request': './scripts/stubs/cacheable-request.cjs',
    'cacheable-lookup': './scripts/stubs/cacheable-lookup.cjs',
  },
  plugins: [lazyListFormat],
  logLevel: 'warning',
};

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
