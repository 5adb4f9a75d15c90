import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';

/** A bare repository made the way the tests want it: explicit branch, no signing, no gc. */
export async function makeBareRepository(dir: string): Promise<string> {
  await simpleGit().init(true, [dir, '--initial-branch=main']);
  const git = simpleGit(dir);
  await git.addConfig('gc.auto', '0');
  return dir;
}

export async function makeWorkRepository(dir: string): Promise<ReturnType<typeof simpleGit>> {
  await simpleGit().init([dir, '--initial-branch=main']);
  const git = simpleGit(dir);
  for (const [key, value] of [['user.name', 'Tester'], ['user.email', 't@geo-hook.invalid'], ['commit.gpgSign', 'false'], ['gc.auto', '0']] as const) {
    await git.addConfig(key, value);
  }
  return git;
}

/** Everything about a folder's files that install must not lose: names, kinds, modes, inodes, contents, link targets. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(current: string) {
    for (const name of (await readdir(current)).sort()) {
      const file = path.join(current, name);
      const info = await lstat(file);
      const key = path.relative(dir, file);
      if (info.isSymbolicLink()) out[key] = `link -> ${await readlink(file)}`;
      else if (info.isDirectory()) {
        out[key] = `dir ${(info.mode & 0o7777).toString(8)}`;
        await walk(file);
      } else out[key] = `file ${(info.mode & 0o7777).toString(8)} ino ${info.ino} ${await readFile(file, 'utf8')}`;
    }
  }
  await walk(dir);
  return out;
}
