import { lstat, mkdir, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { REMOVED, removedDir } from './replicaPaths.js';

/** Deeper than any site path: a folder tree this deep is not ours to walk. */
const MAX_DEPTH = 16;

/**
 * The replicas under `folder` (`<path>.git` folders, found without following
 * links, `.removed` left out), as repository paths.
 */
export async function replicaPaths(folder: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) return;
    const entries = await readdir(path.join(folder, relative), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      // A link is never followed: whatever it points at is not a replica this node made.
      if (!entry.isDirectory() || (depth === 0 && entry.name === REMOVED)) continue;
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.name.endsWith('.git') && depth > 0) found.push(child.slice(0, -'.git'.length));
      else await walk(child, depth + 1);
    }
  };
  await walk('', 0);
  return found.sort();
}

/**
 * Every replica the primary no longer lists moved aside, under
 * `.removed/<time>-unlisted/`, never deleted (contract section 12): it stops
 * being served at once, and an operator can still look at it. The paths moved.
 */
export async function moveUnlistedAside(folder: string, listed: ReadonlySet<string>, now: Date): Promise<string[]> {
  const moved: string[] = [];
  for (const repositoryPath of await replicaPaths(folder)) {
    if (listed.has(repositoryPath)) continue;
    const aside = removedDir(folder, repositoryPath, now, 'unlisted');
    const from = path.join(folder, `${repositoryPath}.git`);
    // A name that is no site path, or a folder replaced by a link meanwhile, is left where it is.
    if (aside === undefined || !(await lstat(from)).isDirectory()) continue;
    await mkdir(path.dirname(aside), { recursive: true });
    await rename(from, aside);
    moved.push(repositoryPath);
  }
  return moved;
}
