import type { BuildOptions, Plugin } from 'esbuild';

export declare const lazyListFormat: Plugin;
export declare const bundleOptions: BuildOptions;
export declare const lazyTls: Plugin;
export declare const SEA_ASSETS: { readonly hook: string; readonly codeCache: string; readonly cli: string };
export declare function wrapHookBundle(code: string): string;
export declare const lazyZlib: Plugin;
export declare const requestIdWithoutCrypto: Plugin;
