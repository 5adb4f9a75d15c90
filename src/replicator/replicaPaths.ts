import path from 'node:path';
import { isRepositoryPath } from '../shared/identifiers.js';

/** Where a repository's replica lives (contract section 12): `<folder>/<path>.git`; undefined for a path that is none. */
export function replicaDir(folder: string, repositoryPath: string): string | undefined {
  return isRepositoryPath(repositoryPath) ? path.join(folder, `${repositoryPath}.git`) : undefined;
}

/** Where a replica goes when it stops being served: under `<folder>/.removed/`, with the time, never deleted at once. */
export function removedDir(folder: string, repositoryPath: string, now: Date, why: 'unlisted' | 'broken'): string | undefined {
  if (!isRepositoryPath(repositoryPath)) return undefined;
  // ":" would make the name awkward in a shell; the time stays sortable.
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return path.join(folder, '.removed', `${stamp}-${why}`, `${repositoryPath}.git`);
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
