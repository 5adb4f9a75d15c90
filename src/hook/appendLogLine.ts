import { open, rename, stat } from 'node:fs/promises';

/** Past this size the log is rotated to `<file>.1` (one old generation kept), so it stays bounded. */
export const LOG_MAX_BYTES = 10 * 1024 * 1024;

/**
 * Appends one line with a single write to a file opened O_APPEND, so lines
 * from concurrent hooks never interleave. Rotation renames the file only if
 * it is still the one this run opened, so two hooks rotating at once lose
 * nothing but a spare rename.
 */
export async function appendLogLine(file: string, line: string, maxBytes = LOG_MAX_BYTES): Promise<void> {
  const handle = await open(file, 'a', 0o640);
  try {
    const opened = await handle.stat();
    if (opened.size + Buffer.byteLength(line) > maxBytes && opened.size > 0) {
      const current = await stat(file).catch(() => undefined);
      if (current?.ino === opened.ino) await rename(file, `${file}.1`);
    }
    await handle.write(line);
  } finally {
    await handle.close();
  }
}
