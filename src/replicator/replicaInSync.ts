import path from 'node:path';
import { simpleGit } from 'simple-git';
import { primaryRefs, replicaHead } from './readRefs.js';
import { sameRefs } from './refsAdvertisement.js';
import { replicaDir } from './replicaPaths.js';

export interface ReplicaInSyncOptions {
  readonly folder: string;
  readonly primaryGitUrl: string;
  readonly authorization: () => string;
  readonly caCertificate?: string | undefined;
  readonly timeoutSeconds: number;
  /** What git runs with (PATH, HOME). */
  readonly environment: Readonly<Record<string, string>>;
  readonly version: string;
}

/**
 * Whether a replica already has the primary's refs and HEAD: one HTTP
 * request to the primary (its ref advertisement) and one `git for-each-ref`
 * on the replica. Anything in the way (no replica, an answer that is not an
 * advertisement, the primary away) says no, and the fetch that follows
 * decides: never a false yes.
 */
export async function replicaInSync(options: ReplicaInSyncOptions, repositoryPath: string): Promise<boolean> {
  const dir = replicaDir(options.folder, repositoryPath);
  if (dir === undefined) return false;
  const head = await replicaHead(dir);
  if (head === undefined) return false;
  const request = { authorization: options.authorization, caCertificate: options.caCertificate, timeoutMs: options.timeoutSeconds * 1000, version: options.version };
  const [primary, local] = await Promise.all([
    primaryRefs(request, `${options.primaryGitUrl.replace(/\/+$/, '')}/${repositoryPath}.git`),
    localRefs(options, dir).catch(() => undefined),
  ]);
  return primary !== undefined && local !== undefined && sameRefs(primary, { refs: local, head });
}

async function localRefs(options: ReplicaInSyncOptions, dir: string): Promise<Map<string, string>> {
  const output = await simpleGit({ baseDir: dir, timeout: { block: options.timeoutSeconds * 1000 }, allowEnvironment: ['GIT_CEILING_DIRECTORIES'] })
    .env({ ...options.environment, GIT_CEILING_DIRECTORIES: path.dirname(dir) })
    .raw(['for-each-ref', '--format=%(objectname) %(refname)']);
  const refs = new Map<string, string>();
  for (const line of output.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0) refs.set(line.slice(space + 1), line.slice(0, space));
  }
  return refs;
}
