/**
 * Number checks as type guards. Number.isFinite and Number.isSafeInteger are
 * false for anything that is not a number, so no typeof is needed before them.
 */
export function isFiniteNumber(value: unknown): value is number {
  return Number.isFinite(value);
}

export function isWholeNumber(value: unknown): value is number {
  return Number.isSafeInteger(value);
}
