import type { CodeCacheState } from '../executable/hookAsset.js';

/**
 * When each Node.js release line stops getting security releases
 * (nodejs.org's release schedule). A hook that runs on every push must not
 * carry a runtime past that date.
 */
export const NODE_END_OF_LIFE: Readonly<Record<number, string>> = {
  18: '2025-04-30',
  20: '2026-04-30',
  22: '2027-04-30',
  24: '2028-04-30',
  26: '2029-04-30',
};

export type RuntimeSupport = { readonly status: 'ok' | 'warn'; readonly what: string; readonly fix?: string };

/** The runtime geo-hook runs on, judged against the schedule at `now`. */
export function judgeRuntime(version: string, now: number): RuntimeSupport {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  const end = NODE_END_OF_LIFE[major];
  if (end === undefined) {
    return { status: 'warn', what: `runtime node ${version}: not a long-term support line geo-hook knows`, fix: 'build geo-hook on a Node LTS (npm run build embeds the pinned one)' };
  }
  if (now >= Date.parse(`${end}T00:00:00Z`)) {
    return { status: 'warn', what: `runtime node ${version}: past its end of life (${end}), no security releases`, fix: 'rebuild geo-hook on a supported Node LTS (npm run build) and install that executable' };
  }
  return { status: 'ok', what: `runtime node ${version} (supported until ${end})` };
}

/** What check says about one of the executable's code caches: accepted, and refused with its cost and fix. */
interface CacheWords {
  readonly accepted: string;
  readonly refused: string;
  readonly fix: string;
}

function judgeCache(state: CodeCacheState, words: CacheWords): RuntimeSupport | undefined {
  if (state === 'none') return undefined;
  if (state === 'accepted') return { status: 'ok', what: words.accepted };
  return { status: 'warn', what: words.refused, fix: words.fix };
}

/**
 * Whether V8 took the executable's code cache, in this process. A runtime
 * started with V8 flags that change its code (NODE_OPTIONS=--jitless, say)
 * refuses it: the hook still works, but compiles its code again on every
 * push. Nothing to say for geo-hook run by node, which carries no cache.
 */
export function judgeCodeCache(state: CodeCacheState): RuntimeSupport | undefined {
  return judgeCache(state, {
    accepted: "the executable's V8 code cache is accepted: the hook starts without compiling",
    refused: "the executable's V8 code cache is refused: every hook run compiles its code again (about 20 ms of each push)",
    fix: 'run geo-hook without V8 flags in NODE_OPTIONS (where git runs the hook, too), or rebuild it on this runtime',
  });
}

/** The same for the command line's own cache (the second bundle): a slower check or serve start, never a slower push. */
export function judgeCliCodeCache(state: CodeCacheState): RuntimeSupport | undefined {
  return judgeCache(state, {
    accepted: "the executable's V8 code cache for its commands is accepted",
    refused: "the executable's V8 code cache for its commands is refused: each command compiles its code again (a slower start, pushes unaffected)",
    fix: 'run geo-hook without V8 flags in NODE_OPTIONS, or rebuild it on this runtime',
  });
}
