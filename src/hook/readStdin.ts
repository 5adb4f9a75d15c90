import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { UsageError } from '../errors.js';

const STDIN = 0;
const CHUNK_BYTES = 64 * 1024;

interface Received {
  readonly chunks: Buffer[];
  size: number;
}

/**
 * The hook's standard input (git's ref updates), refusing more than maxBytes.
 * git has written them and closed the pipe long before node is up, so they
 * are read at once through a second, non-blocking opening of the same pipe; a
 * stream of standard input, which costs every run about 2 ms, is made only
 * for what has not arrived yet. Only the stream waits, on node's event loop,
 * where the deadline still applies: a blocking read, in this thread or the
 * pool's, would hold the process even past its deadline.
 */
export async function readAllStdin(openStream: () => NodeJS.ReadableStream, maxBytes: number): Promise<string> {
  const received: Received = { chunks: [], size: 0 };
  const ended = readPipeNow(received, maxBytes);
  if (!ended) {
    for await (const chunk of openStream()) add(received, typeof chunk === 'string' ? Buffer.from(chunk) : chunk, maxBytes);
  }
  return Buffer.concat(received.chunks).toString('utf8');
}

/** What the pipe holds now; true at its end. False when standard input is no pipe or cannot be opened again: the stream reads it all. */
function readPipeNow(received: Received, maxBytes: number): boolean {
  let fd: number;
  try {
    if (!fstatSync(STDIN).isFIFO()) return false;
    fd = openSync('/proc/self/fd/0', constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    // No /proc, or no right to open it: the stream reads it all.
    return false;
  }
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const bytes = readNow(fd, buffer);
      if (bytes === undefined) return false;
      if (bytes === 0) return true;
      add(received, Buffer.from(buffer.subarray(0, bytes)), maxBytes);
    }
  } finally {
    closeSync(fd);
  }
}

/** Bytes read; 0 at the end; undefined when the writer has not written the rest yet. */
function readNow(fd: number, buffer: Buffer): number | undefined {
  try {
    return readSync(fd, buffer, 0, buffer.length, null);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return undefined;
    throw error;
  }
}

function add(received: Received, chunk: Buffer, maxBytes: number): void {
  received.size += chunk.length;
  if (received.size > maxBytes) throw new UsageError(`standard input is larger than ${maxBytes} bytes`, 'ETOOLARGE');
  received.chunks.push(chunk);
}
