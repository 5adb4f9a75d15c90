/**
 * A repository's refs as Git's smart HTTP advertises them (protocol v0,
 * `GET …/info/refs?service=git-upload-pack`): one request, no git process
 * on this side, so that a reconcile can compare thousands of replicas with
 * the primary cheaply. Pure; undefined for anything that is not such an
 * answer (the caller then fetches, which is never wrong).
 */
export interface AdvertisedRefs {
  /** Ref name to object id; peeled tags (`^{}`) and HEAD left out. */
  readonly refs: ReadonlyMap<string, string>;
  /** What HEAD points at, when the primary says (`symref=HEAD:…`). */
  readonly head: string | undefined;
}

const OBJECT_ID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

export function parseRefsAdvertisement(body: Buffer): AdvertisedRefs | undefined {
  const lines = pktLines(body);
  if (lines === undefined) return undefined;
  // The service line, a flush, then the refs until the next flush.
  if (lines[0] !== '# service=git-upload-pack\n' || lines[1] !== null) return undefined;
  const refs = new Map<string, string>();
  let head: string | undefined;
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i];
    if (line === null || line === undefined) break;
    const [text, capabilities] = line.replace(/\n$/, '').split('\0');
    const space = text!.indexOf(' ');
    const id = text!.slice(0, space);
    const name = text!.slice(space + 1);
    if (space < 0 || !OBJECT_ID.test(id) || name === '') return undefined;
    if (capabilities !== undefined) head = /(?:^| )symref=HEAD:(\S+)/.exec(capabilities)?.[1];
    // An empty repository advertises its capabilities under this name; HEAD and peeled tags are not refs to copy.
    if (name === 'capabilities^{}' || name === 'HEAD' || name.endsWith('^{}')) continue;
    refs.set(name, id);
  }
  return { refs, head };
}

/** The packets of a pkt-line stream, null for a flush; undefined when it is not one. */
function pktLines(body: Buffer): Array<string | null> | undefined {
  const lines: Array<string | null> = [];
  let at = 0;
  while (at < body.length) {
    const header = body.subarray(at, at + 4).toString('latin1');
    if (!/^[0-9a-f]{4}$/.test(header)) return undefined;
    const length = Number.parseInt(header, 16);
    if (length === 0) {
      lines.push(null);
      at += 4;
      continue;
    }
    if (length < 4 || at + length > body.length) return undefined;
    lines.push(body.subarray(at + 4, at + length).toString('utf8'));
    at += length;
  }
  return lines;
}

/** Whether a replica's refs and HEAD are the primary's (pure). */
export function sameRefs(primary: AdvertisedRefs, replica: { readonly refs: ReadonlyMap<string, string>; readonly head: string | undefined }): boolean {
  if (primary.head !== undefined && primary.head !== replica.head) return false;
  if (primary.refs.size !== replica.refs.size) return false;
  for (const [name, id] of primary.refs) if (replica.refs.get(name) !== id) return false;
  return true;
}
