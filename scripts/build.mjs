// Bundles the CLI into one CommonJS file (dist/geo-hook.cjs), which bin/ runs
// and which the single executable is made from.
import { build } from 'esbuild';

const outfile = process.argv[2] ?? 'dist/geo-hook.cjs';
await build({
  entryPoints: ['src/main.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'linked',
  // yargs and got are ESM-only and read import.meta.url; in CommonJS it comes from __filename.
  define: { 'import.meta.url': '__geoHookImportMetaUrl' },
  banner: { js: 'var __geoHookImportMetaUrl=require("url").pathToFileURL(__filename).href;' },
  alias: { 'supports-color': './scripts/stubs/supports-color.cjs' },
  logLevel: 'warning',
});
