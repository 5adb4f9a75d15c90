import { readFileSync } from 'node:fs';

/** Set by the build from package.json, so the bundle does not carry package.json whole. */
declare const GEO_HOOK_VERSION: string | undefined;

export const VERSION: string =
  typeof GEO_HOOK_VERSION === 'string'
    ? GEO_HOOK_VERSION
    : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
