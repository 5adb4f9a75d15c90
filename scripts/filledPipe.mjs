// Standard input as git gives a hook its ref updates: a pipe, written and
// closed before the hook reads (node's own `input` is a socket instead).
import { closeSync, constants, openSync, writeSync } from 'node:fs';

/**
 * Opens `fifo` (made with mkfifo) as a pipe holding `input`, at most 64 KiB
 * (what a Linux pipe holds), its writer closed: the reader first, without
 * blocking, so that the writer opens at once. Returns the reader's file
 * descriptor, for a child's stdin; the caller closes it once it has spawned.
 */
export function openFilledPipe(fifo, input) {
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY);
  try {
    writeSync(writer, input);
  } finally {
    closeSync(writer);
  }
  return reader;
}
