import { close, constants, fstat, open, rename, stat, write } from 'node:fs';
import { promisify } from 'node:util';

// The callback API: node:fs/promises costs the hook's start-up more than it gives.
const fs = { open: promisify(open), fstat: promisify(fstat), stat: promisify(stat), rename: promisify(rename), write: promisify(write), close: promisify(close) };

/** Past this size the log is rotated to `<file>.1` (one old generation kept), so it stays bounded. */
export const LOG_MAX_BYTES = 10 * 1024 * 1024;

/**
 * Appends one line with a single write to a file opened O_APPEND, so lines
 * from concurrent hooks never interleave. Rotation renames the file only if
 * it is still the one this run opened, so two hooks rotating at once lose
 * nothing but a spare rename.
 */
export async function appendLogLine(file: string, line: string, maxBytes = LOG_MAX_BYTES): Promise<void> {
  // O_NONBLOCK: a FIFO without a reader fails at once (ENXIO) instead of blocking a thread of the pool.
  const fd = await fs.open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, 0o640);
  try {
    const opened = await fs.fstat(fd);
    if (opened.size + Buffer.byteLength(line) > maxBytes && opened.size > 0) {
      const current = await fs.stat(file).catch(() => undefined);
      if (current?.ino === opened.ino) await fs.rename(file, `${file}.1`);
    }
    await fs.write(fd, line);
  } finally {
    await fs.close(fd);
  }
}
