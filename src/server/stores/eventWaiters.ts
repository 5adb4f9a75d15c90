/**
 * The long polls of one process waiting for an event newer than their
 * cursor: each ends when woken, or by its own time. One kind for both
 * stores; the store says which cursors an event answers.
 */
export class EventWaiters<Cursor> {
  readonly #waiters = new Set<{ readonly after: Cursor; readonly wake: () => void }>();

  get size(): number {
    return this.#waiters.size;
  }

  /** Resolves when woken, or after `ms`. */
  wait(after: Cursor, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter = {
        after,
        wake: () => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, ms);
      this.#waiters.add(waiter);
    });
  }

  /** Wakes the waits whose cursor this event is newer than (all, without a test: serve is stopping). */
  wake(isNewer: (after: Cursor) => boolean = () => true): void {
    for (const waiter of this.#waiters) if (isNewer(waiter.after)) waiter.wake();
  }
}
