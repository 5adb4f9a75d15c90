/**
 * The promise's result, or the refusal `timedOut()` once `ms` have passed
 * (after calling `gaveUp`): a wait that may never end (a FIFO, a hung mount,
 * standard input left open), bounded. The timer is cleared either way.
 */
export async function withinMs<T>(promise: Promise<T>, ms: number, timedOut: () => Error, gaveUp?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      gaveUp?.();
      reject(timedOut());
    }, Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
