// The hook bundle as the single executable carries it (scripts/build-sea.mjs
// wraps it, src/executable/seaMain.ts runs it): one function expression, the
// CommonJS wrapper's parameters plus whether V8 took the code cache.

/** Whether V8 took the code cache: 'none' outside the single executable, or when it was built without one. */
export type CodeCacheState = 'accepted' | 'rejected' | 'none';

export type WrappedBundle = (
  exports: object,
  require: NodeJS.Require,
  module: { exports: object },
  filename: string,
  dirname: string,
  geoHookCodeCache: CodeCacheState,
) => void;
