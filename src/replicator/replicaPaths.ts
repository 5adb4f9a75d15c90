import path from 'node:path';
import { isRepositoryPath } from '../shared/identifiers.js';

/** The folder's own corner for replicas moved aside: no repository's replica may live there (nor be served from it). */
export const REMOVED = '.removed';

/** Where a repository's replica lives (contract section 12): `<folder>/<path>.git`; undefined for a path that is none, or under `.removed/`. */
export function replicaDir(folder: string, repositoryPath: string): string | undefined {
  if (!isRepositoryPath(repositoryPath) || repositoryPath.split('/')[0] === REMOVED) return undefined;
  return path.join(folder, `${repositoryPath}.git`);
}

/** Where a replica goes when it stops being served: under `<folder>/.removed/`, with the time, never deleted at once. */
export function removedDir(folder: string, repositoryPath: string, now: Date, why: 'unlisted' | 'broken'): string | undefined {
  if (!isRepositoryPath(repositoryPath)) return undefined;
  // ":" would make the name awkward in a shell; the time stays sortable.
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return path.join(folder, REMOVED, `${stamp}-${why}`, `${repositoryPath}.git`);
}

/**
 * The node's credential for git, through its environment (contract section
 * 12): never on a command line a process list shows. No prompt: a refused
 * fetch fails at once instead of waiting for a terminal.
 */
export function gitCredentialEnvironment(authorization: string, caFile?: string): Record<string, string> {
  return {
    GIT_CONFIG_COUNT: caFile === undefined ? '1' : '2',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: ${authorization}`,
    // The CA the API is trusted with (caFile) for git's fetches over https too.
    ...(caFile !== undefined && { GIT_CONFIG_KEY_1: 'http.sslCAInfo', GIT_CONFIG_VALUE_1: caFile }),
    GIT_TERMINAL_PROMPT: '0',
  };
}
