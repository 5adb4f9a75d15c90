import { UsageError } from '../errors.js';

export interface RefUpdate {
  readonly oldOid: string;
  readonly newOid: string;
  readonly ref: string;
}

const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const ZERO = /^0+$/;
// Git forbids these in ref names (git-check-ref-format); seeing one means the
// input is not what git writes, so we refuse rather than forward it.
const FORBIDDEN_IN_REF = /[\x00-\x20\x7f~^:?*[\\]/;

export function isZeroOid(oid: string): boolean {
  return ZERO.test(oid);
}

/**
 * Parses what git writes to post-receive's standard input:
 * `<old-oid> SP <new-oid> SP <ref-name> LF`, one line per updated ref.
 * https://git-scm.com/docs/githooks#post-receive
 */
export function parseRefUpdates(input: string): RefUpdate[] {
  const lines = input.split('\n');
  // A final LF leaves one empty string behind; the last line may also lack its LF.
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) {
    throw new UsageError('hook got no reference updates on standard input', 'ENOUPDATES');
  }
  return lines.map((line, index) => parseLine(line, index + 1));
}

function parseLine(line: string, lineNumber: number): RefUpdate {
  const fields = line.split(' ');
  const where = `standard input, line ${lineNumber}`;
  if (fields.length !== 3) {
    throw new UsageError(`${where}: expected "<old-oid> <new-oid> <ref>", got ${describe(line)}`, 'EBADUPDATE');
  }
  const [oldOid, newOid, ref] = fields as [string, string, string];
  if (!OID.test(oldOid)) throw new UsageError(`${where}: ${describe(oldOid)} is not an object id`, 'EBADUPDATE');
  if (!OID.test(newOid)) throw new UsageError(`${where}: ${describe(newOid)} is not an object id`, 'EBADUPDATE');
  if (oldOid.length !== newOid.length) {
    throw new UsageError(`${where}: old and new object ids are of different hash algorithms`, 'EBADUPDATE');
  }
  if (isZeroOid(oldOid) && isZeroOid(newOid)) {
    throw new UsageError(`${where}: both object ids are zero`, 'EBADUPDATE');
  }
  if (!ref.startsWith('refs/') || ref.length === 5 || FORBIDDEN_IN_REF.test(ref)) {
    throw new UsageError(`${where}: ${describe(ref)} is not a valid ref name`, 'EBADUPDATE');
  }
  return { oldOid, newOid, ref };
}

/** The changes string as upstream's hook sends it: the lines, each newline-terminated. */
export function formatChanges(updates: readonly RefUpdate[]): string {
  let out = '';
  for (const { oldOid, newOid, ref } of updates) out += `${oldOid} ${newOid} ${ref}\n`;
  return out;
}

/** Quotes a piece of bad input for an error line: short, and with no raw control bytes. */
export function describe(value: string, max = 60): string {
  const shown = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(shown);
}
