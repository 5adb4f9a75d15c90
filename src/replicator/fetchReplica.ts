import { lstat, mkdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';
import { primaryRefs, replicaHead } from './readRefs.js';
import { REMOVED, gitCredentialEnvironment, removedDir, replicaDir } from './replicaPaths.js';

export type FetchResult =
  /** The replica has the primary's refs and HEAD; `created` when it was made (missing, or broken and moved aside). */
  | { readonly outcome: 'fetched' | 'created' }
  /** The primary has no such repository: nothing to replicate. */
  | { readonly outcome: 'gone' }
  | { readonly outcome: 'failed'; readonly reason: string };

export interface FetchReplicaOptions {
  /** The replica folder (`repositories`). */
  readonly folder: string;
  /** The repository's path in the site file. */
  readonly repositoryPath: string;
  /** The primary's Git HTTP base for replication (`primaryGitUrl`), no credential in it. */
  readonly primaryGitUrl: string;
  /** A fresh `GL-Geo <id>:<JWT>` for each git process. */
  readonly authorization: () => string;
  /** A git process that says nothing for this long is killed. */
  readonly silenceTimeoutMs: number;
  /** What git runs with besides the credential (PATH, HOME). */
  readonly environment: Readonly<Record<string, string>>;
  readonly now: () => Date;
  /** caFile, for a primary over https (git reads the file). */
  readonly caFile?: string | undefined;
  /** caFile's text, for the requests geo-hook makes itself. */
  readonly caCertificate?: string | undefined;
  /** Kills the fetch's git (a stop that waited long enough): the replica keeps what it had, the fetch fails. */
  readonly signal?: AbortSignal | undefined;
  readonly log?: (record: Record<string, unknown>) => void;
  /** Made anew even if it looks fine (a verification found it broken): the old one moved aside. */
  readonly recreate?: boolean;
}

/** git holds a ref's lock for milliseconds; one this old was left by a git that died (killed mid-fetch, a crash). */
export const STALE_LOCK_MS = 60_000;

/** The variables simple-git is told to let through to git (it refuses GIT_* it is not told about). */
const ALLOW_ENVIRONMENT = ['GIT_CEILING_DIRECTORIES', 'GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'GIT_CONFIG_VALUE_0', 'GIT_CONFIG_KEY_1', 'GIT_CONFIG_VALUE_1', 'GIT_TERMINAL_PROMPT'];

/**
 * Brings one replica to the primary's refs (`+refs/*:refs/*`, pruned) and
 * HEAD, with git itself. A missing replica is made in a folder beside it and
 * put in place only when complete, so that a half-made one is never served;
 * one that a fetch finds broken is made again the same way and the old one
 * moved aside.
 */
export async function fetchReplica(options: FetchReplicaOptions): Promise<FetchResult> {
  const dir = replicaDir(options.folder, options.repositoryPath);
  if (dir === undefined) {
    const reason = options.repositoryPath.split('/')[0] === REMOVED
      ? `"${options.repositoryPath}" cannot be replicated: .removed/ is where replicas moved aside are kept (rename the repository on the primary)`
      : `"${options.repositoryPath}" is not a repository path`;
    return { outcome: 'failed', reason };
  }
  const url = `${options.primaryGitUrl.replace(/\/+$/, '')}/${options.repositoryPath}.git`;
  if (options.recreate === true) return recreate(options, dir, url, (await exists(dir)) ? 'broken' : undefined);
  if (await isBareRepository(options, dir)) {
    let result = await update(options, dir, url);
    if (result.outcome === 'failed' && (await removedStaleLock(options, dir, result.gitSaid))) result = await update(options, dir, url);
    if (result.outcome !== 'failed') return result;
    if (primarysFault(result.reason) || !(await isBroken(options, dir))) return { outcome: 'failed', reason: result.reason };
    return recreate(options, dir, url, 'broken');
  }
  return recreate(options, dir, url, (await exists(dir)) ? 'broken' : undefined);
}

async function recreate(options: FetchReplicaOptions, dir: string, url: string, movedAside: 'broken' | undefined): Promise<FetchResult> {
  const fresh = `${dir}.new-${process.pid}`;
  await rm(fresh, { recursive: true, force: true });
  await mkdir(path.dirname(dir), { recursive: true });
  try {
    await git(options, path.dirname(dir)).raw(['init', '--bare', '--quiet', fresh]);
    const result = await update(options, fresh, url);
    if (result.outcome === 'failed') return { outcome: 'failed', reason: result.reason };
    if (result.outcome !== 'fetched') return result;
    if (movedAside !== undefined) {
      const aside = removedDir(options.folder, options.repositoryPath, options.now(), movedAside)!;
      await mkdir(path.dirname(aside), { recursive: true });
      await rename(dir, aside);
    }
    await rename(fresh, dir);
    return { outcome: 'created' };
  } catch (error) {
    return { outcome: 'failed', reason: gitReason(error) };
  } finally {
    await rm(fresh, { recursive: true, force: true });
  }
}

/** A fetch's result; a failure with all git said (its one-line reason is for people, this for the stale-lock check). */
async function update(options: FetchReplicaOptions, dir: string, url: string): Promise<FetchResult & { gitSaid?: string }> {
  try {
    const repository = git(options, dir, true);
    // git fetch leaves HEAD alone: the primary's default branch is asked for beside it (one request, no git
    // process), and followed. Protocol v0: two requests for a fetch of every ref, where v2 takes three.
    const [primary] = await Promise.all([
      primaryRefs({ authorization: options.authorization, caCertificate: options.caCertificate, timeoutMs: options.silenceTimeoutMs }, url),
      repository.raw(['-c', 'protocol.version=0', 'fetch', '--prune', '--quiet', '--no-write-fetch-head', url, '+refs/*:refs/*']),
    ]);
    // The primary says nothing of HEAD (an empty repository), or cannot be asked now: the reconcile's comparison looks again.
    const head = primary?.head;
    if (head !== undefined && head !== (await replicaHead(dir))) await repository.raw(['symbolic-ref', 'HEAD', head]);
    return { outcome: 'fetched' };
  } catch (error) {
    const reason = gitReason(error);
    const gitSaid = error instanceof Error ? error.message : String(error);
    if (/repository '[^']*' not found|HTTP 404|returned error: 404/.test(reason)) return { outcome: 'gone' };
    // A 401 makes git ask for a user name, which it may not: say what happened instead.
    if (/could not read Username|Authentication failed|returned error: 40[13]/.test(reason)) return { outcome: 'failed', reason: `the primary refused this node's credential (${reason})` };
    return { outcome: 'failed', reason, gitSaid };
  }
}

/** simple-git for one replica; with `credential`, the node's credential in git's environment, fresh. */
function git(options: FetchReplicaOptions, dir: string, credential = false): SimpleGit {
  return simpleGit({
    baseDir: dir,
    timeout: { block: options.silenceTimeoutMs },
    ...(options.signal !== undefined && { abort: options.signal }),
    allowEnvironment: ALLOW_ENVIRONMENT,
    // The configuration in the environment is ours (the credential header), never a caller's.
    unsafe: { allowUnsafeConfigEnvCount: true },
  }).env({
    ...options.environment,
    // A repository is this folder only, never one found above it.
    GIT_CEILING_DIRECTORIES: path.dirname(dir),
    ...(credential ? gitCredentialEnvironment(options.authorization(), options.caFile) : { GIT_TERMINAL_PROMPT: '0' }),
  });
}

/**
 * A ref lock (`<ref>.lock`, `packed-refs.lock`) that a fetch stopped on, removed when it is inside this replica,
 * a plain file, and older than any live git holds one: the replicator holds the folder, and one git at a time
 * runs in a replica, so only a dead git can have left it.
 */
async function removedStaleLock(options: FetchReplicaOptions, dir: string, gitSaid: string | undefined): Promise<boolean> {
  const file = /Unable to create '([^']+\.lock)': File exists/.exec(gitSaid ?? '')?.[1];
  if (file === undefined) return false;
  const resolved = path.resolve(dir, file);
  if (!resolved.startsWith(`${dir}${path.sep}`)) return false;
  try {
    const stats = await lstat(resolved);
    if (!stats.isFile() || Date.now() - stats.mtimeMs < STALE_LOCK_MS) return false;
    await unlink(resolved);
    options.log?.({ event: 'stale_lock_removed', path: options.repositoryPath, file: resolved, message: 'a lock left by a git that died was removed' });
    return true;
  } catch {
    return false;
  }
}

/** A bare repository by its shape (HEAD, objects/, refs/), without a git process: a fetch into one that is not says so. */
async function isBareRepository(_options: FetchReplicaOptions, dir: string): Promise<boolean> {
  const [head, objects, refs] = await Promise.all(['HEAD', 'objects', 'refs'].map((name) => lstat(path.join(dir, name)).catch(() => undefined)));
  return head?.isFile() === true && objects?.isDirectory() === true && refs?.isDirectory() === true;
}

/** The primary unreachable or refusing (network, HTTP, credential): nothing a new replica would change. */
function primarysFault(reason: string): boolean {
  return /refused this node's credential|unable to access|returned error: \d+|Could not resolve host|Failed to connect/.test(reason);
}

/** Whether a replica is whole: every object its refs need is there (git fsck --connectivity-only). */
export async function replicaIsSound(options: Pick<FetchReplicaOptions, 'folder' | 'silenceTimeoutMs' | 'environment'>, repositoryPath: string): Promise<boolean> {
  const dir = replicaDir(options.folder, repositoryPath);
  if (dir === undefined) return false;
  return !(await isBroken(options as FetchReplicaOptions, dir));
}

/** A fetch that failed on the replica's side (objects missing, refs unreadable), not the primary's. */
async function isBroken(options: FetchReplicaOptions, dir: string): Promise<boolean> {
  try {
    await git(options, dir).raw(['fsck', '--connectivity-only', '--no-dangling', '--no-progress']);
    return false;
  } catch {
    return true;
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** git's own last words, one line, the credential never among them (git does not print extra headers). */
function gitReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  return (lines.find((line) => line.startsWith('fatal:')) ?? lines.at(-1) ?? 'git failed').slice(0, 300);
}
