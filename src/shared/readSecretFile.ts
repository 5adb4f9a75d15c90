import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { fileProblem } from './fileProblem.js';
import { secretFromFile } from './jwt.js';

/** A node secret is a few dozen bytes: a larger file is not one. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * A node's secret and its file's permission bits (serve checks every
 * secondary's; a replicator its own); a UsageError that starts with `where`
 * otherwise. Opened without waiting (a FIFO put there answers at once), a
 * regular file only, read within a bound.
 */
export async function readSecretFile(file: string, where: string): Promise<{ secret: string; mode: number }> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new UsageError(`${where} ${fileProblem((error as NodeJS.ErrnoException).code)}`, 'ESECRET', error);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new UsageError(`${where} is not a regular file`, 'ESECRET');
    if (stats.size > MAX_SECRET_FILE_BYTES) throw new UsageError(`${where} is larger than ${MAX_SECRET_FILE_BYTES} bytes: not a secret`, 'ESECRET');
    const buffer = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return { secret: secretFromFile(buffer.subarray(0, bytesRead).toString('utf8')), mode: stats.mode & 0o7777 };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${where} ${fileProblem((error as NodeJS.ErrnoException).code)}`, 'ESECRET', error);
  } finally {
    await handle.close();
  }
}
