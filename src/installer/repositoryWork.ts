import { spawn } from 'node:child_process';
import type { RepositoryResult } from './installHooks.js';
import { hookScript, readHookScript } from './hookScript.js';
import { type RepositoryState, type Step, planInstall, planUninstall } from './planInstall.js';
import { applySteps, insideRepository, inspectRepository } from './repositoryFiles.js';
import { RepositoryRefusal } from './repositoryPaths.js';
import { isRecord } from '../shared/isRecord.js';

/** What install or uninstall does to some repositories of one owner: handed to a child as JSON. */
export interface RepositoryWork {
  readonly action: 'install' | 'uninstall';
  /** The hook script to install (install only). */
  readonly script: string | undefined;
  /**
   * Install without --config: the command to write into the hook, so that a
   * hook installed with a config file keeps that file (a hook without one
   * would show every pusher "no secret file").
   */
  readonly keepConfigWith?: readonly string[];
  readonly dryRun: boolean;
  readonly repositories: readonly string[];
}

/** Inspect, plan and apply, one repository at a time, in this process. */
export async function workOnRepositories(work: RepositoryWork, owner: number, record: (result: RepositoryResult) => void): Promise<void> {
  for (const repository of work.repositories) record(await workOnOne(repository, work, owner));
}

async function workOnOne(repository: string, work: RepositoryWork, owner: number): Promise<RepositoryResult> {
  try {
    return await insideRepository(repository, async () => {
      const state = await inspectRepository(repository, [owner, 0]);
      const { script, kept } = scriptFor(state, work);
      const plan = work.action === 'install' ? planInstall(state, script) : planUninstall(state);
      const note = [plan.note, kept && `kept its config file ${kept}`].filter(Boolean).join('; ') || undefined;
      if (plan.outcome === 'failed' || plan.outcome === 'unchanged') return { path: repository, outcome: plan.outcome, note };
      if (!work.dryRun) await applySteps(plan.steps);
      return { path: repository, outcome: plan.outcome, note, steps: plan.steps };
    });
  } catch (error) {
    if (error instanceof RepositoryRefusal) return { path: repository, outcome: 'failed', note: error.message };
    return { path: repository, outcome: 'failed', note: `cannot change its hooks: ${describeError(error)}` };
  }
}

/** The script for this repository: with the config file its installed hook names, when install was given none. */
function scriptFor(state: RepositoryState, work: RepositoryWork): { script: string; kept?: string } {
  const recorded = state.hook.kind === 'ours' ? readHookScript(state.hook.script)?.configFile : undefined;
  if (work.keepConfigWith !== undefined && recorded !== undefined) return { script: hookScript(work.keepConfigWith, recorded), kept: recorded };
  return { script: work.script ?? '' };
}

export function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  return (error as Error).message;
}

/** A child's whole run: generous for hundreds of repositories on a slow disk, and still an end. */
const CHILD_MS = 120_000;
/** What a child may say: a line per repository, each small. */
const MAX_CHILD_OUTPUT = 8 * 1024 * 1024;

/**
 * The same work done by a child process running as the repositories' owner
 * (setpriv: that user and group, no other groups, no new privileges), so
 * that root never writes anything the owner could not. The child answers a
 * JSON line per repository; whatever it fails to answer is a failure of
 * that repository, in words, never root doing it instead.
 */
export async function workAsOwner(
  self: readonly string[],
  owner: { readonly uid: number; readonly gid: number },
  work: RepositoryWork,
  record: (result: RepositoryResult) => void,
): Promise<void> {
  const answered = new Set<string>();
  const say = (result: RepositoryResult) => {
    answered.add(result.path);
    record(result);
  };
  const args = [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', '--no-new-privs', '--', ...self, 'repository-files'];
  const failure = await new Promise<string | undefined>((resolve) => {
    const child = spawn('setpriv', args, { env: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' }, stdio: ['pipe', 'pipe', 'pipe'], cwd: '/' });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_MS);
    let buffered = '';
    let size = 0;
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      size += chunk.length;
      if (size > MAX_CHILD_OUTPUT) {
        child.kill('SIGKILL');
        return;
      }
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const result = parseResult(buffered.slice(0, newline), work.repositories);
        buffered = buffered.slice(newline + 1);
        if (result !== undefined && !answered.has(result.path)) say(result);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    child.stdin.on('error', () => {});
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code === 'ENOENT' ? 'setpriv is not installed (Debian: util-linux), so geo-hook cannot act as the repository\'s owner' : error.message);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(undefined);
      else if (signal === 'SIGKILL') resolve(`the work as its owner did not end within ${CHILD_MS / 1000} s`);
      else resolve(firstLine(stderr) || `the work as its owner ended with status ${code ?? signal}`);
    });
    child.stdin.end(JSON.stringify(work));
  });
  for (const repository of work.repositories) {
    if (!answered.has(repository)) {
      record({ path: repository, outcome: 'failed', note: `cannot work as its owner (uid ${owner.uid}): ${failure ?? 'no answer for it'}` });
    }
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.replace(/^geo-hook: /, '') ?? '';
}

const OUTCOMES = new Set(['installed', 'updated', 'uninstalled', 'unchanged', 'failed']);
const STEPS = new Set<string>([
  'mkdir', 'keep-original', 'write-manifest', 'write-hook', 'keep-edited', 'restore-original',
  'remove-hook', 'remove-chain-dir-if-empty', 'remove-manifest', 'remove-hooks-dir-if-empty',
] satisfies Array<Step['do']>);

/** A child's line, believed only for a repository it was given and in the shape of a result. */
function parseResult(line: string, repositories: readonly string[]): RepositoryResult | undefined {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(json) || typeof json.path !== 'string' || !repositories.includes(json.path)) return undefined;
  if (typeof json.outcome !== 'string' || !OUTCOMES.has(json.outcome)) return undefined;
  const note = typeof json.note === 'string' ? json.note.slice(0, 1000) : undefined;
  const steps = Array.isArray(json.steps) ? json.steps.filter((step) => isRecord(step) && STEPS.has(step.do as string)) : undefined;
  return { path: json.path, outcome: json.outcome as RepositoryResult['outcome'], note, ...(steps && { steps: steps as unknown as Step[] }) };
}

/** The child's side (`geo-hook repository-files`): the work from standard input, a JSON line per repository out. */
export async function answerRepositoryWork(input: string, write: (line: string) => void): Promise<void> {
  const work: unknown = JSON.parse(input);
  if (!isWork(work)) throw new Error('repository-files: standard input is not the work install hands its child');
  const uid = process.getuid?.() ?? 0;
  await workOnRepositories(work, uid, (result) => write(`${JSON.stringify(result)}\n`));
}

function isWork(json: unknown): json is RepositoryWork {
  return (
    isRecord(json) &&
    (json.action === 'install' || json.action === 'uninstall') &&
    (json.script === undefined || typeof json.script === 'string') &&
    (json.keepConfigWith === undefined || (Array.isArray(json.keepConfigWith) && json.keepConfigWith.every((word) => typeof word === 'string'))) &&
    typeof json.dryRun === 'boolean' &&
    Array.isArray(json.repositories) &&
    json.repositories.every((entry) => typeof entry === 'string' && entry.startsWith('/'))
  );
}
