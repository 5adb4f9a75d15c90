// Whether the pinned runtime is behind its own release line: pure, for
// scripts/runtime-outdated.mjs and its test.

/** "24.22.3" → [24, 22, 3]; anything else → undefined. */
function parts(version) {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  return match ? match.slice(1).map(Number) : undefined;
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/**
 * The newest release of the pinned version's major line among `published`
 * (pre-releases and other lines ignored), and whether the pin is behind it.
 */
export function judgePin(pinned, published) {
  const pin = parts(pinned);
  if (pin === undefined) return { error: `the pin ${JSON.stringify(pinned)} is not an exact version (x.y.z)` };
  let newest = pinned;
  for (const version of published) {
    const candidate = parts(version);
    if (candidate !== undefined && candidate[0] === pin[0] && compare(candidate, parts(newest)) > 0) newest = version;
  }
  return { line: pin[0], newest, behind: newest !== pinned };
}
