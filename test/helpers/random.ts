/** A small seeded generator (mulberry32): the same seed gives the same cases. */
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chars = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[int(alphabet.length)]).join('');
  const anyText = (length: number) => Array.from({ length }, () => String.fromCharCode(pick([int(0x20), 0x20 + int(0x5f), 0x7f + int(0x21), 0xa0 + int(0x2000), 0x1b]))).join('');
  return { next, int, pick, chars, anyText };
}

export type Random = ReturnType<typeof seededRandom>;
