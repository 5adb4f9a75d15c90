/**
 * serve's log: one JSON line per record on a stream (stdout). A reader that
 * went away (EPIPE) or stopped reading never stops the server: lines are
 * dropped, and counted, instead.
 */
export interface LineLog {
  (record: Record<string, unknown>): void;
  /** Lines that could not be written. */
  readonly dropped: () => number;
}

/** Beyond this much unwritten output the reader is not keeping up: drop rather than grow. */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

export function lineLog(stream: NodeJS.WritableStream & { writableLength?: number; destroyed?: boolean }): LineLog {
  let broken = false;
  let dropped = 0;
  stream.on('error', () => {
    broken = true;
  });
  const log = (record: Record<string, unknown>) => {
    if (broken || stream.destroyed === true || (stream.writableLength ?? 0) > MAX_PENDING_BYTES) {
      dropped++;
      return;
    }
    stream.write(`${JSON.stringify(record)}\n`, (error) => {
      if (error) {
        broken = true;
        dropped++;
      }
    });
  };
  return Object.assign(log, { dropped: () => dropped });
}
