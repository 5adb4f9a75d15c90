import type { Script } from 'node:vm';
export declare function trainedScript(bundleFile: string, cacheFile: string): Script;
