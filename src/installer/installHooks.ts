import { stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { findBareRepositories } from './findBareRepositories.js';
import { type Plan, type Step, planInstall, planUninstall } from './planInstall.js';
import { applySteps, inspectRepository } from './repositoryFiles.js';

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
  for (const target of options.targets) {
    const resolved = path.resolve(target);
    if (!options.recursive) {
      record(await installOne(resolved, options));
      continue;
    }
    let found = 0;
    for await (const repository of findBareRepositories(resolved)) {
      found++;
      record(await installOne(repository, options));
    }
    if (found === 0) record({ path: resolved, outcome: 'failed', note: 'no bare repository under it', folder: true });
  }
  return results;
}

async function installOne(repository: string, options: InstallOptions): Promise<RepositoryResult> {
  try {
    const state = await inspectRepository(repository);
    const plan = options.script === undefined ? planUninstall(state) : planInstall(state, options.script);
    if (plan.outcome === 'failed' || plan.outcome === 'unchanged') return { path: repository, outcome: plan.outcome, note: plan.note };
    if (!options.dryRun) await applySteps(repository, plan.steps);
    return { path: repository, outcome: plan.outcome, note: plan.note, steps: plan.steps };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : (error as Error).message;
    return { path: repository, outcome: 'failed', note: `cannot change its hooks: ${why}` };
  }
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
