import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';
import type { PushOutcome, ScenarioTarget } from '../../src/lab/raceScenarios.js';

/** Real git clients for the web server tests: a working copy, a commit, a push, what the pusher saw. */

const GIT_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' };
const OPTIONS = { allowEnvironment: ['GIT_TERMINAL_PROMPT', 'GIT_CONFIG_NOSYSTEM'], timeout: { block: 120_000 } };

/** A clone of group/project from the target, in its own folder under the target's. */
export async function workingCopy(target: ScenarioTarget, name: string): Promise<{ dir: string; git: SimpleGit }> {
  const parent = path.join(target.dir, 'work');
  await mkdir(parent, { recursive: true });
  const dir = path.join(parent, name);
  const env = { ...GIT_ENV, HOME: parent };
  const source = target.cloneUrl ? target.cloneUrl('group/project') : path.join(target.dir, 'repositories/group/project.git');
  await simpleGit({ baseDir: parent, ...OPTIONS }).env(env).clone(source, dir);
  const git = simpleGit({ baseDir: dir, ...OPTIONS }).env(env);
  for (const [key, value] of [['user.name', 'Operator'], ['user.email', 'op@geo-hook.invalid'], ['commit.gpgSign', 'false'], ['gc.auto', '0']] as const) {
    await git.addConfig(key, value);
  }
  return { dir, git };
}

/** Commits a file on a new branch and pushes it to url; the push's stderr and error, never thrown. */
export async function commitAndPush(git: SimpleGit, dir: string, url: string, branch: string, content: string | Buffer = `${branch}\n`) {
  await writeFile(path.join(dir, `${branch.replace(/\W/g, '-')}.txt`), content);
  await git.add('.');
  await git.commit(branch);
  let stderr = '';
  let error: unknown;
  try {
    await git.outputHandler((_c, _o, errors) => errors.on('data', (chunk: Buffer) => (stderr += chunk))).push(url, `HEAD:refs/heads/${branch}`);
  } catch (pushError) {
    error = pushError;
  }
  return { stderr, error, head: (await git.revparse(['HEAD'])).trim() };
}

/** The wrong outcomes of a scenario, one line each ('' when none). */
export function describeWrong(outcomes: readonly PushOutcome[]): string {
  return outcomes
    .filter((outcome) => !outcome.ok)
    .map((o) => `round ${o.round} push ${o.push} via ${o.via}: expected ${o.expected}, saw ${o.saw}${o.error ? ` (${o.error})` : ''}`)
    .join('\n');
}

/** The hook's JSON log lines. */
export async function hookRuns(logFile: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}
