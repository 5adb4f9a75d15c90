// How geo-hook's bundles are made, shared by the build and the benchmark's probes.
import { readFile } from 'node:fs/promises';

/**
 * @sindresorhus/is (which got imports) builds two Intl.ListFormat objects when
 * it is loaded, only to word one error message; that starts ICU, about 20 ms of
 * every hook run (npm run bench, "part: got"). Made on first use instead.
 */
export const lazyListFormat = {
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

/**
 * got imports node:https and node:tls at load, for an https:// request and
 * its default certificate check; loading them costs every run a few ms even
 * for the http:// and http+unix:// APIs most hooks call. Loaded on first use
 * instead. Fails the build if got's source changes shape.
 */
export const lazyTls = {
  name: 'lazy-tls',
  setup(plugin) {
    plugin.onLoad({ filter: /[\\/]got[\\/]dist[\\/]source[\\/]core[\\/]options\.js$/ }, async (args) => {
      let source = await readFile(args.path, 'utf8');
      const swaps = [
        [`import { checkServerIdentity } from 'node:tls';\n`, ''],
        [`import https from 'node:https';\n`, ''],
        // Only an https:// request calls it; an http:// one passes it to node:http, which ignores it.
        ['checkServerIdentity: https.checkServerIdentity ?? checkServerIdentity,', "checkServerIdentity: https.checkServerIdentity ?? ((...a) => require('node:tls').checkServerIdentity(...a)),"],
        ['            return https.request;\n', "            return require('node:https').request;\n"],
      ];
      // Each exactly once; what this misses, a test sees (test/integration/hookModules.test.ts).
      for (const [from, to] of swaps) {
        if (source.split(from).length !== 2) throw new Error(`${args.path} changed: review the lazy-tls build step (${JSON.stringify(from)})`);
        source = source.replace(from, to);
      }
      return { contents: source, loader: 'js' };
    });
  },
};

export const bundleOptions = {
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
    GEO_HOOK_VERSION: JSON.stringify(JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')).version),
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
  plugins: [lazyListFormat, lazyTls],
  logLevel: 'warning',
};

