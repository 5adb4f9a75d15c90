import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { isRecord } from '../shared/isRecord.js';
import type { LabAccount } from './createFrontEnd.js';
import { GL_ID, GL_REPOSITORY } from '../shared/identifiers.js';

export interface RepositoryRecipe {
  readonly path: string;
  readonly glRepository: string;
  readonly defaultBranch: string;
  readonly commits: ReadonlyArray<{ readonly message: string; readonly files: Readonly<Record<string, string>> }>;
}

export interface LabFixture {
  readonly accounts: readonly LabAccount[];
  readonly repositories: readonly RepositoryRecipe[];
}

/** Parses fixtures/lab.json; throws an Error saying what is wrong. */
export function parseLabFixture(text: string, source: string): LabFixture {
  const json: unknown = JSON.parse(text);
  if (!isRecord(json) || !Array.isArray(json.accounts) || !Array.isArray(json.repositories)) {
    throw new Error(`${source} must have "accounts" and "repositories" arrays`);
  }
  const accounts = json.accounts.map((raw: unknown, index): LabAccount => {
    if (!isRecord(raw) || typeof raw.username !== 'string' || typeof raw.password !== 'string' || typeof raw.gl_id !== 'string' || !GL_ID.test(raw.gl_id)) {
      throw new Error(`${source}: accounts[${index}] needs username, password and gl_id ("key-<n>" or "user-<n>")`);
    }
    return { username: raw.username, password: raw.password, glId: raw.gl_id };
  });
  const repositories = json.repositories.map((raw: unknown, index): RepositoryRecipe => {
    const where = `${source}: repositories[${index}]`;
    if (!isRecord(raw) || typeof raw.path !== 'string' || !/^[\w.-]+(?:\/[\w.-]+)+$/.test(raw.path)) throw new Error(`${where}.path must be like "group/project"`);
    if (typeof raw.gl_repository !== 'string' || !GL_REPOSITORY.test(raw.gl_repository)) throw new Error(`${where}.gl_repository must be like "project-7"`);
    if (!Array.isArray(raw.commits) || raw.commits.length === 0) throw new Error(`${where}.commits must be a non-empty array`);
    const commits = raw.commits.map((commit: unknown, n) => {
      if (!isRecord(commit) || typeof commit.message !== 'string' || !isRecord(commit.files)) throw new Error(`${where}.commits[${n}] needs message and files`);
      return { message: commit.message, files: commit.files as Record<string, string> };
    });
    return { path: raw.path, glRepository: raw.gl_repository, defaultBranch: typeof raw.default_branch === 'string' ? raw.default_branch : 'main', commits };
  });
  return { accounts, repositories };
}

/** Git settings for a repository made here: no signing, no background gc, a fixed identity. */
const LOCAL_CONFIG: ReadonlyArray<[string, string]> = [
  ['user.name', 'geo-hook lab'],
  ['user.email', 'lab@geo-hook.invalid'],
  ['commit.gpgSign', 'false'],
  ['gc.auto', '0'],
];

/** Creates the bare repository of a recipe under projectRoot, with its commits, and returns its folder. */
export async function createBareRepository(projectRoot: string, recipe: RepositoryRecipe): Promise<string> {
  const bare = path.join(projectRoot, `${recipe.path}.git`);
  await mkdir(bare, { recursive: true });
  await simpleGit(bare).init(true, [`--initial-branch=${recipe.defaultBranch}`]);
  const bareGit = simpleGit(bare);
  for (const [key, value] of [...LOCAL_CONFIG, ['receive.advertisePushOptions', 'true'] as [string, string]]) {
    await bareGit.addConfig(key, value);
  }
  const work = await mkdtemp(path.join(tmpdir(), 'geo-hook-recipe-'));
  try {
    const git = simpleGit(work);
    await git.init([`--initial-branch=${recipe.defaultBranch}`]);
    for (const [key, value] of LOCAL_CONFIG) await git.addConfig(key, value);
    for (const commit of recipe.commits) {
      for (const [file, content] of Object.entries(commit.files)) {
        await mkdir(path.dirname(path.join(work, file)), { recursive: true });
        await writeFile(path.join(work, file), content);
      }
      await git.add('.');
      await git.commit(commit.message);
    }
    await git.push(bare, recipe.defaultBranch);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return bare;
}
