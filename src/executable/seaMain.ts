// The single executable's entry (its SEA main). The hook bundle travels as an
// asset beside the V8 code cache that the build took after a real hook run
// (scripts/train-code-cache.mjs). Unlike SEA's own useCodeCache, which is made
// before anything runs and so holds only the top level, that cache holds every
// function the run compiled (got's request path, the hook's own), so a push
// compiles none of them again.
import { getAsset } from 'node:sea';
import path from 'node:path';
import { Script } from 'node:vm';
import type { CodeCacheState, WrappedBundle } from './hookAsset.js';

/** Set by the build (scripts/bundleOptions.mjs): the assets' names. */
declare const GEO_HOOK_HOOK_ASSET: string;
declare const GEO_HOOK_CODE_CACHE_ASSET: string;

const cachedData = new Uint8Array(getAsset(GEO_HOOK_CODE_CACHE_ASSET));
const script = new Script(getAsset(GEO_HOOK_HOOK_ASSET, 'utf8'), {
  filename: GEO_HOOK_HOOK_ASSET,
  ...(cachedData.byteLength > 0 && { cachedData }),
});
// A cache V8 refuses (another V8, other flags) costs only time: the hook runs all the same, and its debug line says so.
const state: CodeCacheState = cachedData.byteLength === 0 ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'accepted';
const bundle = script.runInThisContext() as WrappedBundle;
const module = { exports: {} };
bundle(module.exports, require, module, process.execPath, path.dirname(process.execPath), state);
