import { constants, type Stats } from 'node:fs';
import { lstat, open, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';

/**
 * File work inside a repository whose owner may be hostile (root runs
 * install over repositories its users own). Every path here is relative to
 * the repository, which the caller has made the working directory after
 * checking it is the folder it meant (so no folder above it can be swapped
 * under us). Nothing is followed: a symbolic link, a FIFO or a device where
 * a file of ours should be is refused in words, never opened; reads are
 * bounded; writes go to a new file (O_EXCL) that is renamed into place, so
 * that nothing is ever written through a link or into another file's inode
 * (a hard link).
 */

/** The largest file install reads in a repository: a manifest or a hook script is a few hundred bytes. */
export const MAX_REPOSITORY_FILE_BYTES = 64 * 1024;

/** A repository in a state geo-hook will not touch: said in one line, and the others are still done. */
export class RepositoryRefusal extends Error {
  override readonly name = 'RepositoryRefusal';
}

/** What is at a path, without following it: undefined when nothing is. */
export async function lstatOrNothing(file: string): Promise<Stats | undefined> {
  try {
    return await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** "a symbolic link", "a FIFO"…: what stands where a file or a folder was expected. */
export function kindOf(info: Stats): string {
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'a file';
}

/** A folder geo-hook may work in: a real folder (not a link to one), belonging to one of `owners`. */
export async function realFolder(folder: string, owners: readonly number[]): Promise<boolean> {
  const info = await lstatOrNothing(folder);
  if (info === undefined) return false;
  if (!info.isDirectory()) throw new RepositoryRefusal(`${folder} is ${kindOf(info)}, not a folder: geo-hook follows no link and writes nowhere else`);
  if (!owners.includes(info.uid)) throw new RepositoryRefusal(`${folder}/ belongs to uid ${info.uid}, not to the repository's owner`);
  return true;
}

/**
 * A small regular file's text, read without following a link and without
 * waiting (O_NONBLOCK: a FIFO never blocks the open), at most `limit` bytes.
 */
export async function readSmallFile(file: string, limit = MAX_REPOSITORY_FILE_BYTES): Promise<string> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new RepositoryRefusal(`${file} is a symbolic link: geo-hook reads no file through a link`);
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new RepositoryRefusal(`${file} is ${kindOf(info)}, not a file`);
    if (info.size > limit) throw new RepositoryRefusal(`${file} is larger than ${limit} bytes`);
    const buffer = Buffer.alloc(limit + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > limit) throw new RepositoryRefusal(`${file} is larger than ${limit} bytes`);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** A fresh name beside `file` for a file that is then renamed over it. */
export function temporaryBeside(file: string): string {
  const slash = file.lastIndexOf('/');
  return `${file.slice(0, slash + 1)}.${file.slice(slash + 1)}.geo-hook-${randomBytes(6).toString('hex')}`;
}

/** Writes a new file (never an existing one: O_EXCL, no link followed) and renames it into place. */
export async function replaceFile(file: string, text: string, mode: number): Promise<void> {
  const fresh = temporaryBeside(file);
  const handle = await open(fresh, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    await handle.writeFile(text);
    // The umask may have taken bits off: the hook must be executable by whoever runs git.
    await handle.chmod(mode);
  } catch (error) {
    await handle.close();
    await unlink(fresh).catch(() => {});
    throw error;
  }
  await handle.close();
  await rename(fresh, file);
}
