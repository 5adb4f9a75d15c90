import { opendir } from 'node:fs/promises';
import path from 'node:path';
import { looksLikeBareRepository } from './repositoryFiles.js';

/**
 * Every bare repository under a folder, depth first, without following
 * symlinks (a folder is entered only when its directory entry says it is
 * one) and without looking inside a repository once found.
 */
export async function* findBareRepositories(root: string): AsyncGenerator<string> {
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    if (await looksLikeBareRepository(dir)) {
      yield dir;
      continue;
    }
    let entries;
    try {
      entries = await opendir(dir);
    } catch {
      continue;
    }
    const children: string[] = [];
    for await (const entry of entries) if (entry.isDirectory()) children.push(path.join(dir, entry.name));
    pending.push(...children.sort().reverse());
  }
}
