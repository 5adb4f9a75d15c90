/**
 * The demo's second act judges what each pusher through a replicating
 * secondary was shown against what the replication's state says it must be
 * (contract section 11): pure functions over the text git printed.
 */
export type LagExpectation =
  /** Lag 0: the forwarding notice and nothing more. */
  | { readonly kind: 'none' }
  /** A number of seconds, within bounds the demo's own clock gives. */
  | { readonly kind: 'seconds'; readonly atLeast: number; readonly atMost: number }
  /** Unknown, because the last report is older than the status age. */
  | { readonly kind: 'stale'; readonly atLeast: number };

export type SeenLag = { readonly kind: 'none' } | { readonly kind: 'seconds'; readonly seconds: number } | { readonly kind: 'stale'; readonly seconds: number } | { readonly kind: 'other'; readonly text: string };

const FORWARDED = 'This request to a Geo secondary node will be forwarded to the';

/** What the pusher was told of the lag, from git's remote text; 'other' for anything else (no notice, two lines, another text). */
export function seenLag(remote: string): SeenLag {
  const notices = remote.split(FORWARDED).length - 1;
  const lines = remote.split('\n').filter((line) => line.startsWith('Current replication lag: '));
  if (notices !== 1 || lines.length > 1) return { kind: 'other', text: remote.trim().split('\n').at(-1) ?? '' };
  const line = lines[0];
  if (line === undefined) return { kind: 'none' };
  const seconds = /^Current replication lag: (\d+) seconds$/.exec(line);
  if (seconds) return { kind: 'seconds', seconds: Number(seconds[1]) };
  const stale = /^Current replication lag: unknown, this secondary last reported (\d+) seconds ago$/.exec(line);
  if (stale) return { kind: 'stale', seconds: Number(stale[1]) };
  return { kind: 'other', text: line };
}

export function lagMatches(expected: LagExpectation, seen: SeenLag): boolean {
  switch (expected.kind) {
    case 'none':
      return seen.kind === 'none';
    case 'seconds':
      return seen.kind === 'seconds' && seen.seconds >= expected.atLeast && seen.seconds <= expected.atMost;
    case 'stale':
      return seen.kind === 'stale' && seen.seconds >= expected.atLeast;
  }
}

export function describeExpected(expected: LagExpectation): string {
  switch (expected.kind) {
    case 'none':
      return 'no lag line (lag 0)';
    case 'seconds':
      return expected.atLeast === expected.atMost ? `lag ${expected.atLeast} s` : `lag ${expected.atLeast} to ${expected.atMost} s`;
    case 'stale':
      return `unknown: last report over ${expected.atLeast} s ago`;
  }
}

export function describeSeen(seen: SeenLag): string {
  switch (seen.kind) {
    case 'none':
      return 'no lag line';
    case 'seconds':
      return `lag ${seen.seconds} s`;
    case 'stale':
      return `unknown: last report ${seen.seconds} s ago`;
    case 'other':
      return seen.text === '' ? 'nothing' : seen.text;
  }
}
