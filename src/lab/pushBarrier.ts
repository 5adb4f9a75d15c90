/**
 * Holds the receive-packs of one round until every push of the round has done
 * its receive-pack step, then lets them go, pushes straight to the primary
 * first. `together` then lets all pushes through secondaries go at once: the
 * most concurrent hooks, for the fixes. `one-by-one` lets each run to the end
 * before the next: the interleaving that breaks upstream's actor+repository
 * key every time (run together, two hooks can both read the key before
 * either deletes it, and by luck both be right).
 */
export type ReleaseOrder = 'together' | 'one-by-one';

export interface HeldPush {
  /** Resolves when this push may run its receive-pack (and so its hook). */
  readonly released: Promise<void>;
  /** Called when the push's receive-pack has finished. */
  done(): void;
}

interface Waiting {
  readonly direct: boolean;
  release(): void;
  readonly finished: Promise<void>;
}

export class PushBarrier {
  #size = 0;
  #waiting: Waiting[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #timeoutMs: number;
  readonly #order: ReleaseOrder;

  constructor(options: { timeoutMs?: number; order?: ReleaseOrder } = {}) {
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#order = options.order ?? 'together';
  }

  /** The next `size` receive-packs form a round; 0 disarms. */
  arm(size: number): void {
    this.#releaseAll();
    this.#size = size;
  }

  get armed(): boolean {
    return this.#size > 0;
  }

  /** Joins the current round, or passes straight through when none is armed. */
  join(direct: boolean): HeldPush {
    if (this.#size === 0) return { released: Promise.resolve(), done: () => {} };
    let release!: () => void;
    let finish!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const finished = new Promise<void>((resolve) => (finish = resolve));
    this.#waiting.push({ direct, release, finished });
    if (this.#waiting.length === 1) {
      // A round that never fills (a push failed) must not hold the others for ever.
      this.#timer = setTimeout(() => this.#releaseAll(), this.#timeoutMs);
      this.#timer.unref();
    }
    if (this.#waiting.length >= this.#size) void this.#releaseRound();
    return { released, done: finish };
  }

  async #releaseRound(): Promise<void> {
    const round = this.#take();
    const direct = round.filter((entry) => entry.direct);
    const secondary = round.filter((entry) => !entry.direct);
    for (const push of this.#order === 'one-by-one' ? [...direct, ...secondary] : direct) {
      push.release();
      await push.finished;
    }
    if (this.#order === 'together') for (const push of secondary) push.release();
  }

  #releaseAll(): void {
    for (const push of this.#take()) push.release();
  }

  #take(): Waiting[] {
    clearTimeout(this.#timer);
    const round = this.#waiting;
    this.#waiting = [];
    return round;
  }
}
