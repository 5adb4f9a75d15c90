import { close, constants, open, read } from 'node:fs';
import { promisify } from 'node:util';
import { UsageError } from '../errors.js';

// The callback API: node:fs/promises costs the hook's start-up more than it gives.
const fs = { open: promisify(open), read: promisify(read), close: promisify(close) };

/**
 * Reads a small file, refusing one larger than maxBytes (a secret of a few
 * KiB, not /dev/zero) without reading it all. The wait is bounded by the
 * caller: a FIFO or a hung network file system can block open() forever.
 */
export async function readBounded(path: string, maxBytes: number, what: string): Promise<string> {
  // O_NONBLOCK: a FIFO opens at once (and reads empty) instead of blocking a thread of the pool, which
  // would hold the process even after the hook gave up on it. Regular files are not affected.
  const fd = await fs.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    let filled = 0;
    while (filled <= maxBytes) {
      const { bytesRead } = await fs.read(fd, buffer, filled, buffer.length - filled, null).catch((error: NodeJS.ErrnoException) => {
        // A FIFO with a writer that has not written yet: nothing to read now.
        if (error.code === 'EAGAIN') return { bytesRead: 0 };
        throw error;
      });
      if (bytesRead === 0) return buffer.subarray(0, filled).toString('utf8');
      filled += bytesRead;
    }
    throw new UsageError(`${what} ${path} is larger than ${maxBytes} bytes: is it the right file?`, 'ETOOLARGE');
  } finally {
    await fs.close(fd).catch(() => {});
  }
}

export const MAX_SECRET_BYTES = 64 * 1024;
export const MAX_CONFIG_BYTES = 1024 * 1024;
export const MAX_CA_BYTES = 1024 * 1024;
