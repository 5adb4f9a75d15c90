// How geo-hook's bundles are made, shared by the build and the benchmark's probes.
import { readFile } from 'node:fs/promises';

/** The files of deploy/ that deploy-config --write fills in (src/deploy/deployTemplates.ts names the same). */
const DEPLOY_TEMPLATES = [
  'nginx/geo-hook-primary.conf',
  'nginx/geo-hook-secondary.conf',
  'nginx/snippets/geo-hook-correlation.conf',
  'nginx/snippets/geo-hook-geo-node-id.conf',
  'nginx/snippets/geo-hook-git-http-backend.conf',
  'nginx/snippets/geo-hook-no-frontend-token.conf',
  'nginx/snippets/geo-hook-replicas-backend.conf',
  'apache/geo-hook-primary.conf',
];

/**
 * An esbuild step that rewrites one file of a dependency: each swap must
 * match exactly `times` times (one unless given), and `leftOver` must not
 * match afterwards; a file that changed shape fails the build, to be reviewed.
 */
function rewrite(name, filter, swaps, leftOver) {
  return {
    name,
    setup(plugin) {
      plugin.onLoad({ filter }, async (args) => {
        let source = await readFile(args.path, 'utf8');
        for (const [from, to, times = 1] of swaps) {
          if (source.split(from).length !== times + 1) throw new Error(`${args.path} changed: review the ${name} build step (${JSON.stringify(from)})`);
          source = source.replaceAll(from, to);
        }
        if (leftOver?.test(source)) throw new Error(`${args.path} changed: review the ${name} build step (${leftOver} still there)`);
        return { contents: source, loader: 'js' };
      });
    },
  };
}

/**
 * @sindresorhus/is (which got imports) builds two Intl.ListFormat objects when
 * it is loaded, only to word one error message; that starts ICU, about 20 ms of
 * every hook run (npm run bench, "part: got"). Made on first use instead.
 */
export const lazyListFormat = rewrite('lazy-list-format', /@sindresorhus[\\/]is[\\/]distribution[\\/]index\.js$/, [
  ['new Intl.ListFormat(', '((...a) => { let f; return { format: (l) => (f ??= new Intl.ListFormat(...a)).format(l) }; })(', 2],
]);

/**
 * got imports node:https and node:tls at load, for an https:// request and
 * its default certificate check; loading them costs every run a few ms even
 * for the http:// and http+unix:// APIs most hooks call. Loaded on first use
 * instead; what this misses, a test sees (test/integration/hookModules.test.ts).
 */
export const lazyTls = rewrite('lazy-tls', /[\\/]got[\\/]dist[\\/]source[\\/]core[\\/]options\.js$/, [
  [`import { checkServerIdentity } from 'node:tls';\n`, ''],
  [`import https from 'node:https';\n`, ''],
  // Only an https:// request calls it; an http:// one passes it to node:http, which ignores it.
  ['checkServerIdentity: https.checkServerIdentity ?? checkServerIdentity,', "checkServerIdentity: https.checkServerIdentity ?? ((...a) => require('node:tls').checkServerIdentity(...a)),"],
  ['            return https.request;\n', "            return require('node:https').request;\n"],
]);

/**
 * got's decompress-response imports node:zlib at load, and reads it to see
 * whether zstd is there; loading zlib costs every hook run about 4 ms (npm run
 * bench), although the internal API's small JSON answers are not compressed.
 * Loaded when an answer is compressed instead; zstd is judged as got itself
 * judges it (process.versions.zstd).
 */
export const lazyZlib = rewrite(
  'lazy-zlib',
  /[\\/]decompress-response[\\/]index\.js$/,
  [
    [`import zlib from 'node:zlib';\n`, ''],
    [`const supportsZstd = typeof zlib.createZstdDecompress === 'function';`, `const supportsZstd = typeof process.versions.zstd === 'string';`],
    ['= zlib.create', "= require('node:zlib').create", 4],
  ],
  /\bzlib\./,
);

/**
 * got names every request with node:crypto's randomUUID, for its diagnostics
 * channel only (geo-hook subscribes to none); loading node:crypto costs every
 * hook run about 4 ms (npm run bench). The same UUID v4 shape from Math.random
 * instead: an id that tells requests apart, never a secret.
 */
export const requestIdWithoutCrypto = rewrite('request-id-without-crypto', /[\\/]got[\\/]dist[\\/]source[\\/]core[\\/]diagnostics-channel\.js$/, [
  [
    `import { randomUUID } from 'node:crypto';\n`,
    "const randomUUID = () => '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) => (c ^ ((Math.random() * 16) >> (c / 4))).toString(16));\n",
  ],
  // Its one use, kept as it is.
  ['return randomUUID();', 'return randomUUID();'],
]);

/**
 * The single executable's assets (scripts/build-sea.mjs, src/executable/seaMain.ts):
 * the hook bundle, wrapped as one function expression, its V8 code cache, and
 * the rest of geo-hook, which main.ts loads off the hook's path.
 */
export const SEA_ASSETS = { hook: 'geo-hook.cjs', codeCache: 'geo-hook.code-cache', cli: 'geo-hook-cli.cjs', cliCodeCache: 'geo-hook-cli.code-cache' };

/**
 * The wrapper around the hook asset (and the command line's): CommonJS's
 * parameters, then the code cache's state (WrappedBundle in src/executable/hookAsset.ts).
 */
export function wrapHookBundle(code) {
  return `(function (exports, require, module, __filename, __dirname, geoHookCodeCache) {${code}\n})`;
}

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
    GEO_HOOK_CLI_BUNDLE: JSON.stringify(SEA_ASSETS.cli),
    GEO_HOOK_HOOK_ASSET: JSON.stringify(SEA_ASSETS.hook),
    GEO_HOOK_CODE_CACHE_ASSET: JSON.stringify(SEA_ASSETS.codeCache),
    GEO_HOOK_CLI_CODE_CACHE_ASSET: JSON.stringify(SEA_ASSETS.cliCodeCache),
    GEO_HOOK_VERSION: JSON.stringify(JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')).version),
    // The shipped web server files, for deploy-config --write: the executable carries them.
    GEO_HOOK_DEPLOY_TEMPLATES: JSON.stringify(Object.fromEntries(await Promise.all(DEPLOY_TEMPLATES.map(async (name) => [name, await readFile(new URL(`../deploy/${name}`, import.meta.url), 'utf8')])))),
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
  plugins: [lazyListFormat, lazyTls, lazyZlib, requestIdWithoutCrypto],
  logLevel: 'warning',
};

