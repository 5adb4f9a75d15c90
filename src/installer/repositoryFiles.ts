import { link, lstat, mkdir, readlink, rename, rmdir, stat, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { isRecord } from '../shared/isRecord.js';
import { CHAIN_DIR, ORIGINAL_HOOK } from './hookScript.js';
import { EDITED_HOOK, MANIFEST, type Manifest, type RepositoryState, type Step, isOurs } from './planInstall.js';
import { MAX_REPOSITORY_FILE_BYTES, RepositoryRefusal, kindOf, lstatOrNothing, readSmallFile, realFolder, replaceFile, temporaryBeside } from './repositoryPaths.js';

const HOOKS = 'hooks';
const HOOK = `${HOOKS}/post-receive`;
const CHAIN = `${HOOKS}/${CHAIN_DIR}`;
const CHAIN_ENTRY = `${CHAIN}/${ORIGINAL_HOOK}`;
const EDITED = `${HOOKS}/${EDITED_HOOK}`;
const MANIFEST_FILE = `${HOOKS}/${MANIFEST}`;

/**
 * Runs `work` with the repository as the working directory, after checking
 * that the directory entered is the folder that was looked at (not a link,
 * not swapped meanwhile). From then on every path is relative to it, so no
 * folder above the repository can redirect what is done inside it.
 */
export async function insideRepository<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const before = await lstat(dir);
  if (!before.isDirectory()) throw new RepositoryRefusal(`it is ${kindOf(before)}, not a folder`);
  const previous = process.cwd();
  process.chdir(dir);
  try {
    const entered = await stat('.');
    if (entered.dev !== before.dev || entered.ino !== before.ino) throw new RepositoryRefusal('it changed while geo-hook looked at it');
    return await work();
  } finally {
    process.chdir(previous);
  }
}

/**
 * Git's own test for a bare repository: HEAD, objects/ and refs/, and
 * core.bare not false. Nothing is followed; a config that is a FIFO, a
 * link or too large is refused, never waited on.
 */
async function isBareHere(): Promise<boolean> {
  const [head, objects, refs] = await Promise.all(['HEAD', 'objects', 'refs'].map(lstatOrNothing));
  if (!head?.isFile() || !objects?.isDirectory() || !refs?.isDirectory()) return false;
  const config = await readSmallFile('config').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  return !/^\s*bare\s*=\s*false\s*$/im.test(config);
}

/**
 * Whether a folder found by the sweep is a repository to report on: HEAD a
 * file, objects/ and refs/ folders (none followed). Its config is judged
 * later, inside it, where a hostile one is said in words.
 */
export async function looksLikeBareRepository(dir: string): Promise<boolean> {
  const [head, objects, refs] = await Promise.all(['HEAD', 'objects', 'refs'].map((name) => lstatOrNothing(path.join(dir, name)).catch(() => undefined)));
  if (!head?.isFile() || !objects?.isDirectory() || !refs?.isDirectory()) return false;
  const config = await lstatOrNothing(path.join(dir, 'config')).catch(() => undefined);
  // A regular config saying bare = false is a work tree's .git folder; anything else is for the repository's own line.
  if (config?.isFile() !== true || config.size > MAX_REPOSITORY_FILE_BYTES) return true;
  const text = await readSmallFile(path.join(dir, 'config')).catch(() => '');
  return !/^\s*bare\s*=\s*false\s*$/im.test(text);
}

/**
 * What install finds in the repository that is the working directory.
 * `owners` are the users whose folders geo-hook works in (the repository's
 * owner, and root): hooks/ or post-receive.d/ of anyone else is refused.
 */
export async function inspectRepository(where: string, owners: readonly number[]): Promise<RepositoryState> {
  const isBare = await isBareHere();
  const hooksInfo = await lstatOrNothing(HOOKS);
  // A plain file in the way is the operator's to move; a link or a FIFO is refused outright.
  const hooksIsFolder = hooksInfo === undefined || hooksInfo.isDirectory() || !hooksInfo.isFile();
  const hooksDirExists = hooksInfo !== undefined && hooksInfo.isFile() ? true : await realFolder(HOOKS, owners);
  if (!hooksIsFolder || !hooksDirExists) {
    return { path: where, isBare, hooksDirExists, hooksIsFolder, hook: { kind: 'none' }, chainDirExists: false, chainEntryExists: false, editedEntryExists: false, manifest: undefined };
  }
  const chainDirExists = await realFolder(CHAIN, owners);
  return {
    path: where,
    isBare,
    hooksDirExists,
    hooksIsFolder,
    hook: await inspectHook(),
    chainDirExists,
    chainEntryExists: chainDirExists && (await lstatOrNothing(CHAIN_ENTRY)) !== undefined,
    editedEntryExists: (await lstatOrNothing(EDITED)) !== undefined,
    manifest: await readManifest(),
  };
}

/** hooks/post-receive: a link is kept as a link (a shared hook an operator made), and never followed. */
async function inspectHook(): Promise<RepositoryState['hook']> {
  const info = await lstatOrNothing(HOOK);
  if (info === undefined) return { kind: 'none' };
  if (info.isSymbolicLink()) return { kind: 'other', symlinkTarget: await readlink(HOOK) };
  if (!info.isFile()) throw new RepositoryRefusal(`${HOOK} is ${kindOf(info)}, not a hook geo-hook can keep`);
  // A hook larger than anything geo-hook writes is another's: it is kept without being read.
  if (info.size > MAX_REPOSITORY_FILE_BYTES) return { kind: 'other', symlinkTarget: undefined };
  const script = await readSmallFile(HOOK);
  return isOurs(script) ? { kind: 'ours', script } : { kind: 'other', symlinkTarget: undefined };
}

async function readManifest(): Promise<Manifest | undefined> {
  const info = await lstatOrNothing(MANIFEST_FILE);
  // A folder there is no manifest (writing one will fail, in words); a link or a FIFO is refused.
  if (info === undefined || info.isDirectory()) return undefined;
  const text = await readSmallFile(MANIFEST_FILE);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isManifest(json) ? json : undefined;
}

/** Only a manifest of the shape geo-hook writes is believed; anything else is no manifest. */
function isManifest(json: unknown): json is Manifest {
  if (!isRecord(json) || json.installedBy !== 'geo-hook') return false;
  const { original, createdChainDir, createdHooksDir, hookSha256 } = json;
  const originalOk = original === null || (isRecord(original) && (original.symlinkTarget === null || typeof original.symlinkTarget === 'string'));
  return originalOk && typeof createdChainDir === 'boolean' && typeof createdHooksDir === 'boolean' && (hookSha256 === undefined || typeof hookSha256 === 'string');
}

/**
 * Carries out a plan's steps in order, in the repository that is the working
 * directory; every replacement of hooks/post-receive is an atomic rename.
 */
export async function applySteps(steps: readonly Step[]): Promise<void> {
  for (const step of steps) {
    switch (step.do) {
      case 'mkdir':
        await mkdir(step.path);
        break;
      case 'keep-original':
        // link() never follows a link: a file is kept as it is, a link is made again.
        if (step.symlinkTarget === undefined) await link(HOOK, CHAIN_ENTRY);
        else await symlink(retarget(step.symlinkTarget, HOOKS, CHAIN), CHAIN_ENTRY);
        break;
      case 'keep-edited':
        // A second name for the same file: replacing or removing hooks/post-receive then leaves it as it was.
        await link(HOOK, EDITED);
        break;
      case 'write-manifest':
        await replaceFile(MANIFEST_FILE, `${JSON.stringify(step.manifest, null, 2)}\n`, 0o644);
        break;
      case 'write-hook':
        await replaceFile(HOOK, step.script, 0o755);
        break;
      case 'restore-original': {
        const file = temporaryBeside(HOOK);
        if (step.symlinkTarget === null) await link(CHAIN_ENTRY, file);
        else await symlink(step.symlinkTarget, file);
        await rename(file, HOOK);
        await unlink(CHAIN_ENTRY);
        break;
      }
      case 'remove-hook':
        await unlinkIfThere(HOOK);
        break;
      case 'remove-chain-dir-if-empty':
        await rmdir(CHAIN).catch(() => {});
        break;
      case 'remove-manifest':
        await unlinkIfThere(MANIFEST_FILE);
        break;
      case 'remove-hooks-dir-if-empty':
        await rmdir(HOOKS).catch(() => {});
        break;
    }
  }
}

async function unlinkIfThere(file: string): Promise<void> {
  await unlink(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

/** A relative symlink moved one folder down must point one folder further up. */
function retarget(target: string, from: string, to: string): string {
  return path.isAbsolute(target) ? target : path.relative(to, path.join(from, target));
}
