import type { BuildOptions, Plugin } from 'esbuild';

export declare const lazyListFormat: Plugin;
export declare const bundleOptions: BuildOptions;
