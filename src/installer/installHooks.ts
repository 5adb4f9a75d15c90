import { lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { findBareRepositories } from './findBareRepositories.js';
import type { Plan, Step } from './planInstall.js';
import { type RepositoryWork, describeError, workAsOwner, workOnRepositories } from './repositoryWork.js';

export interface RepositoryResult {
  readonly path: string;
  readonly outcome: Plan['outcome'];
  readonly note?: string | undefined;
  readonly steps?: readonly Step[];
  /** A folder given with --recursive, not a repository: said, and not counted as one. */
  readonly folder?: boolean;
}

export interface InstallOptions {
  readonly targets: readonly string[];
  readonly recursive: boolean;
  /** The hook script to install; undefined to uninstall. */
  readonly script: string | undefined;
  readonly dryRun: boolean;
  readonly onResult?: (result: RepositoryResult, index: number) => void;
  /** How to run this geo-hook again, as a repository's owner (root only). */
  readonly self?: readonly string[];
  /** Install without --config: the command for hooks that keep the config file they were installed with. */
  readonly keepConfigWith?: readonly string[];
}

/** Installs (or uninstalls) in every target; one repository's failure never stops the others. */
export async function installHooks(options: InstallOptions): Promise<RepositoryResult[]> {
  const results: RepositoryResult[] = [];
  const record = (result: RepositoryResult) => {
    results.push(result);
    options.onResult?.(result, results.length);
  };
  // A mistyped folder is a mistake in the command, not a repository that failed: refuse before changing anything.
  if (options.recursive) {
    for (const target of options.targets) {
      const resolved = path.resolve(target);
      const kind = await stat(resolved).then((info) => (info.isDirectory() ? 'folder' : 'not a folder'), () => 'missing');
      if (kind === 'missing') throw new UsageError(`${resolved} does not exist: nothing was changed`, 'ENOTARGET');
      if (kind !== 'folder') throw new UsageError(`${resolved} is not a folder (--recursive takes folders that hold repositories): nothing was changed`, 'ENOTARGET');
    }
  }
  const batch = new OwnerBatches(options, record);
  for (const target of options.targets) {
    const resolved = path.resolve(target);
    if (!options.recursive) {
      // A repository named on the command line is the operator's choice: a link to it is followed, once, here.
      await batch.add(await realpath(resolved).catch(() => resolved));
      continue;
    }
    let found = 0;
    for await (const repository of findBareRepositories(resolved)) {
      found++;
      await batch.add(repository);
    }
    await batch.flush();
    if (found === 0) record({ path: resolved, outcome: 'failed', note: 'no bare repository under it', folder: true });
  }
  await batch.flush();
  return results;
}

/**
 * Repositories are worked on as their owner. Run by root, a repository that
 * belongs to another user is changed by a child process running as that user
 * (setpriv), so that nothing its owner placed there (a link, a hard link, a
 * swapped folder) can make root write where the owner could not. Consecutive
 * repositories of one owner share one child.
 */
class OwnerBatches {
  private owner: Owner | undefined;
  private pending: string[] = [];

  constructor(
    private readonly options: InstallOptions,
    private readonly record: (result: RepositoryResult) => void,
  ) {}

  async add(repository: string): Promise<void> {
    const owner = await ownerOf(repository);
    if (typeof owner === 'string') {
      await this.flush();
      this.record({ path: repository, outcome: 'failed', note: owner });
      return;
    }
    if (this.owner !== undefined && !sameOwner(this.owner, owner)) await this.flush();
    this.owner = owner;
    this.pending.push(repository);
    if (this.pending.length >= MAX_BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    const [owner, repositories] = [this.owner, this.pending];
    this.owner = undefined;
    this.pending = [];
    if (owner === undefined || repositories.length === 0) return;
    const request: RepositoryWork = {
      action: this.options.script === undefined ? 'uninstall' : 'install',
      script: this.options.script,
      ...(this.options.keepConfigWith !== undefined && { keepConfigWith: this.options.keepConfigWith }),
      dryRun: this.options.dryRun,
      repositories,
    };
    if (owner.asChild) await workAsOwner(this.options.self ?? [], owner, request, this.record);
    else await workOnRepositories(request, owner.uid, this.record);
  }
}

/** Repositories one child process works on, at most: a long sweep still shows its progress. */
const MAX_BATCH = 200;

interface Owner {
  readonly uid: number;
  readonly gid: number;
  /** Root working on another user's repository: done by a child process as that user. */
  readonly asChild: boolean;
}

async function ownerOf(repository: string): Promise<Owner | string> {
  try {
    const info = await lstat(repository);
    if (!info.isDirectory()) return info.isSymbolicLink() ? 'it is a symbolic link, not a folder' : 'not a bare repository';
    return { uid: info.uid, gid: info.gid, asChild: process.getuid?.() === 0 && info.uid !== 0 };
  } catch (error) {
    return `cannot change its hooks: ${describeError(error)}`;
  }
}

function sameOwner(a: Owner, b: Owner): boolean {
  return a.uid === b.uid && a.gid === b.gid && a.asChild === b.asChild;
}

/** The closing summary, always printed: repositories by outcome, and the folders where none was found. */
export function summarise(results: readonly RepositoryResult[], dryRun: boolean): string {
  const repositories = results.filter((result) => result.folder !== true);
  const emptyFolders = results.length - repositories.length;
  const counts = new Map<string, number>();
  for (const result of repositories) counts.set(result.outcome, (counts.get(result.outcome) ?? 0) + 1);
  const order = ['installed', 'updated', 'uninstalled', 'unchanged', 'failed'];
  const parts = order.filter((outcome) => counts.has(outcome)).map((outcome) => `${counts.get(outcome)} ${outcome}`);
  const folders = emptyFolders === 0 ? '' : `; ${emptyFolders} folder${emptyFolders === 1 ? '' : 's'} without a bare repository`;
  return `${dryRun ? 'dry run, nothing changed: would have ' : ''}${repositories.length} repositor${repositories.length === 1 ? 'y' : 'ies'}: ${parts.join(', ') || 'none'}${folders}`;
}

/** One line per repository: `installed  /srv/git/a.git (note)`. */
export function resultLine(result: RepositoryResult, dryRun: boolean): string {
  const what = dryRun && result.outcome !== 'failed' && result.outcome !== 'unchanged' ? `would be ${result.outcome}` : result.outcome;
  const steps = dryRun && result.steps ? `: ${result.steps.map(describeStep).join(', ')}` : '';
  return `${what.padEnd(11)} ${result.path}${result.note ? ` (${result.note})` : ''}${steps}`;
}

function describeStep(step: Step): string {
  switch (step.do) {
    case 'mkdir':
      return `create ${step.path}/`;
    case 'keep-original':
      return 'keep the present hook in post-receive.d/';
    case 'write-manifest':
      return 'write hooks/geo-hook.json';
    case 'write-hook':
      return 'write hooks/post-receive';
    case 'restore-original':
      return 'put the original hook back';
    case 'remove-hook':
      return 'remove hooks/post-receive';
    case 'remove-chain-dir-if-empty':
      return 'remove post-receive.d/ if empty';
    case 'remove-manifest':
      return 'remove hooks/geo-hook.json';
    case 'remove-hooks-dir-if-empty':
      return 'remove hooks/ if empty';
    case 'keep-edited':
      return 'keep the edited hook as hooks/post-receive.edited';
  }
}
