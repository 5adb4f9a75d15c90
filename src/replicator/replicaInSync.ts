import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { sendRequest } from '../hook/sendRequest.js';
import { parseRefsAdvertisement, sameRefs } from './refsAdvertisement.js';
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

/** A ref advertisement is bounded as the API's answers are. */
const MAX_ADVERTISEMENT_BYTES = 64 * 1024 * 1024;

/**
 * Whether a replica already has the primary's refs and HEAD: one HTTP
 * request to the primary (its ref advertisement, protocol v0, no git
 * process here) and one `git for-each-ref` on the replica. Anything in the
 * way (no replica, an answer that is not an advertisement, the primary
 * away) says no, and the fetch that follows decides: never a false yes.
 */
export async function replicaInSync(options: ReplicaInSyncOptions, repositoryPath: string): Promise<boolean> {
  const dir = replicaDir(options.folder, repositoryPath);
  if (dir === undefined) return false;
  const head = await readHead(dir);
  if (head === undefined) return false;
  try {
    const url = `${options.primaryGitUrl.replace(/\/+$/, '')}/${repositoryPath}.git/info/refs?service=git-upload-pack`;
    const [{ answer }, local] = await Promise.all([
      sendRequest(
        { method: 'GET', url, displayUrl: url, headers: { authorization: options.authorization(), 'user-agent': `geo-hook/${options.version}` } },
        { deadline: Date.now() + options.timeoutSeconds * 1000, caCertificate: options.caCertificate, maxBodyBytes: MAX_ADVERTISEMENT_BYTES },
      ),
      localRefs(options, dir),
    ]);
    if (answer.status !== 200 || answer.contentType !== 'application/x-git-upload-pack-advertisement') return false;
    // The body came as UTF-8 text: exact for ref names that are UTF-8; any other makes the parse fail, and a fetch follows.
    const primary = parseRefsAdvertisement(Buffer.from(answer.body, 'utf8'));
    return primary !== undefined && sameRefs(primary, { refs: local, head });
  } catch {
    return false;
  }
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

/** The replica's HEAD (`ref: …` in a bare repository), read without following a link or waiting on a FIFO; '' when detached. */
async function readHead(dir: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path.join(dir, 'HEAD'), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const stats = await handle.stat();
    if (!stats.isFile()) return undefined;
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8').trim();
    return /^ref: (\S+)$/.exec(text)?.[1] ?? '';
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}
