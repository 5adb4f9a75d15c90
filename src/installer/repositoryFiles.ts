import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, mkdir, readFile, readlink, rename, rm, rmdir, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isRecord } from '../shared/isRecord.js';
import { CHAIN_DIR, ORIGINAL_HOOK } from './hookScript.js';
import { EDITED_HOOK, MANIFEST, type Manifest, type RepositoryState, type Step, isOurs } from './planInstall.js';

/** Git's own test for a bare repository: HEAD, objects/ and refs/, and core.bare not false. */
export async function isBareRepository(dir: string): Promise<boolean> {
  try {
    const [head, objects, refs] = await Promise.all([stat(path.join(dir, 'HEAD')), stat(path.join(dir, 'objects')), stat(path.join(dir, 'refs'))]);
    if (!head.isFile() || !objects.isDirectory() || !refs.isDirectory()) return false;
    const config = await readFile(path.join(dir, 'config'), 'utf8').catch(() => '');
    return !/^\s*bare\s*=\s*false\s*$/im.test(config);
  } catch {
    return false;
  }
}

export async function inspectRepository(dir: string): Promise<RepositoryState> {
  const hooks = path.join(dir, 'hooks');
  const hookPath = path.join(hooks, 'post-receive');
  const exists = (file: string) => lstat(file).then(() => true, () => false);
  let hook: RepositoryState['hook'] = { kind: 'none' };
  const hookStat = await lstat(hookPath).catch(() => undefined);
  if (hookStat?.isSymbolicLink()) hook = { kind: 'other', symlinkTarget: await readlink(hookPath) };
  else if (hookStat) {
    const script = await readFile(hookPath, 'utf8').catch(() => '');
    hook = isOurs(script) ? { kind: 'ours', script } : { kind: 'other', symlinkTarget: undefined };
  }
  return {
    path: dir,
    isBare: await isBareRepository(dir),
    hooksDirExists: await exists(hooks),
    hooksIsFolder: await stat(hooks).then((info) => info.isDirectory(), () => true),
    hook,
    chainDirExists: await exists(path.join(hooks, CHAIN_DIR)),
    chainEntryExists: await exists(path.join(hooks, CHAIN_DIR, ORIGINAL_HOOK)),
    editedEntryExists: await exists(path.join(hooks, EDITED_HOOK)),
    manifest: await readManifest(path.join(hooks, MANIFEST)),
  };
}

async function readManifest(file: string): Promise<Manifest | undefined> {
  try {
    const json: unknown = JSON.parse(await readFile(file, 'utf8'));
    return isRecord(json) && json.installedBy === 'geo-hook' ? (json as unknown as Manifest) : undefined;
  } catch {
    return undefined;
  }
}

/** Carries out a plan's steps in order; every replacement of hooks/post-receive is an atomic rename. */
export async function applySteps(dir: string, steps: readonly Step[]): Promise<void> {
  const hooks = path.join(dir, 'hooks');
  const hookPath = path.join(hooks, 'post-receive');
  const chainEntry = path.join(hooks, CHAIN_DIR, ORIGINAL_HOOK);
  const temporary = () => path.join(hooks, `.post-receive.geo-hook-${randomBytes(6).toString('hex')}`);
  for (const step of steps) {
    switch (step.do) {
      case 'mkdir':
        await mkdir(path.join(dir, step.path));
        break;
      case 'keep-original':
        if (step.symlinkTarget === undefined) await link(hookPath, chainEntry);
        else await symlink(retarget(step.symlinkTarget, hooks, path.dirname(chainEntry)), chainEntry);
        break;
      case 'keep-edited':
        // A second name for the same file: replacing or removing hooks/post-receive then leaves it as it was.
        await link(hookPath, path.join(hooks, EDITED_HOOK));
        break;
      case 'write-manifest':
        await writeFile(path.join(hooks, MANIFEST), `${JSON.stringify(step.manifest, null, 2)}\n`);
        break;
      case 'write-hook': {
        const file = temporary();
        await writeFile(file, step.script, { mode: 0o755 });
        await chmod(file, 0o755);
        await rename(file, hookPath);
        break;
      }
      case 'restore-original': {
        if (step.symlinkTarget === null) {
          const file = temporary();
          await link(chainEntry, file);
          await rename(file, hookPath);
        } else {
          const file = temporary();
          await symlink(step.symlinkTarget, file);
          await rename(file, hookPath);
        }
        await unlink(chainEntry);
        break;
      }
      case 'remove-hook':
        await rm(hookPath, { force: true });
        break;
      case 'remove-chain-dir-if-empty':
        await rmdir(path.join(hooks, CHAIN_DIR)).catch(() => {});
        break;
      case 'remove-manifest':
        await rm(path.join(hooks, MANIFEST), { force: true });
        break;
      case 'remove-hooks-dir-if-empty':
        await rmdir(hooks).catch(() => {});
        break;
    }
  }
}

/** A relative symlink moved one folder down must point one folder further up. */
function retarget(target: string, from: string, to: string): string {
  return path.isAbsolute(target) ? target : path.relative(to, path.resolve(from, target));
}
