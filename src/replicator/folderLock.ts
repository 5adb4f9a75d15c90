import { closeSync, constants, openSync, readSync } from 'node:fs';
import { link, open, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';

/** Where a replica folder says who keeps it (contract section 12: one replicator at a time holds a folder). */
export const LOCK_FILE = '.geo-hook-replicate.lock';

export interface FolderLock {
  /** Removes the lock, if it is still this process's. */
  release(): Promise<void>;
}

/** Who holds a lock, as its file says: `<pid> <start time>`; the start time tells a pid used again from the holder. */
export function parseLockText(text: string): { pid: number; started: string } | undefined {
  const match = /^([1-9][0-9]{0,9}) ([0-9]+)\n?$/.exec(text);
  return match ? { pid: Number(match[1]), started: match[2]! } : undefined;
}

/**
 * Takes `<folder>/.geo-hook-replicate.lock`, or says who holds it. The lock
 * is written whole beside it and linked into place (atomic: two replicators
 * starting together cannot both take it); a lock whose process is gone, or
 * whose pid now belongs to another process, is stale and taken over. Read
 * without following a link, without waiting on a FIFO, within a bound.
 */
export async function lockFolder(folder: string, self: { pid: number; started: string } = { pid: process.pid, started: processStart(process.pid) ?? '0' }): Promise<FolderLock> {
  const lockPath = path.join(folder, LOCK_FILE);
  const text = `${self.pid} ${self.started}\n`;
  const temporary = path.join(folder, `${LOCK_FILE}.${self.pid}`);
  await writeFile(temporary, text, { mode: 0o644, flag: 'w' });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(temporary, lockPath);
        return { release: () => releaseIfOurs(lockPath, text) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = parseLockText(await readLock(lockPath));
      if (holder !== undefined && isRunning(holder)) {
        throw new UsageError(`another geo-hook replicate (pid ${holder.pid}) keeps ${folder}: one replicator per folder (${lockPath})`, 'ELOCKED');
      }
      // Stale (its process is gone) or unreadable: moved out of the way by one taker only (rename is atomic), then taken.
      const stale = `${lockPath}.stale-${self.pid}`;
      await rename(lockPath, stale).then(
        () => unlink(stale),
        () => undefined,
      );
    }
    throw new UsageError(`could not take ${lockPath}: other processes keep taking it`, 'ELOCKED');
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

async function readLock(lockPath: string): Promise<string> {
  let handle;
  try {
    handle = await open(lockPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if (!(await handle.stat()).isFile()) return '';
    const buffer = Buffer.alloc(64);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('latin1');
  } catch {
    return '';
  } finally {
    await handle?.close();
  }
}

async function releaseIfOurs(lockPath: string, text: string): Promise<void> {
  if ((await readLock(lockPath)) === text) await unlink(lockPath).catch(() => undefined);
}

function isRunning(holder: { pid: number; started: string }): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: alive, another user's.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const started = processStart(holder.pid);
  return started === undefined || started === holder.started;
}

/** A process's start time in clock ticks since boot (/proc/<pid>/stat, field 22), or undefined where there is no /proc. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSyncBounded(`/proc/${pid}/stat`);
    // The command name (field 2) is in parentheses and may hold spaces: count from its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

function readFileSyncBounded(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('latin1');
  } finally {
    closeSync(fd);
  }
}
