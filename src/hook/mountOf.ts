/**
 * Which file system a path is on, from the text of /proc/mounts (which never
 * blocks, unlike a stat of the path itself on a dead server), and whether
 * that is one whose server can stop answering: then an open() of the path
 * waits in the kernel, uninterruptibly, and no process with such a thread
 * can even exit. Pure: the caller reads /proc/mounts.
 */
export interface Mount {
  readonly mountPoint: string;
  readonly fsType: string;
}

/** File systems served over a network, or by a user-space process (FUSE), or mounted on first use (autofs). */
const REMOTE = /^(?:nfs4?|cifs|smb3?|smbfs|ceph|glusterfs|lustre|gpfs|beegfs|afs|9p|davfs|ncpfs|autofs|fuse(?:\..+)?)$/;

export function isRemoteFileSystem(fsType: string): boolean {
  return REMOTE.test(fsType);
}

/** The mount the absolute path lies under (the longest mount point that is a prefix of it); symlinks are not followed. */
export function mountOf(absolutePath: string, mountsText: string): Mount | undefined {
  let best: Mount | undefined;
  for (const line of mountsText.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 3) continue;
    const mountPoint = unescapeMountField(fields[1]!);
    const under = mountPoint === '/' || absolutePath === mountPoint || absolutePath.startsWith(`${mountPoint}/`);
    // A later mount on the same point hides the earlier one: >= keeps the last.
    if (under && mountPoint.length >= (best?.mountPoint.length ?? 0)) best = { mountPoint, fsType: fields[2]! };
  }
  return best;
}

/** /proc/mounts writes space, tab, newline and backslash in octal (\040…). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_whole, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** The most links one path may pass through, as Linux's own limit (ELOOP past it). */
const MAX_LINKS = 40;

/**
 * Whether a file is really on a remote file system, its links followed one
 * component at a time: a link from a local folder into a hung mount must be
 * judged where it leads. Each component is looked at (`readLink`: the link's
 * target, or undefined for anything else, a lstat and at most a readlink of
 * the component itself, never an open) only after checking that it is not
 * on a remote mount, so nothing on such a mount is ever touched here. Pure
 * but for `readLink`, which the caller gives.
 */
export function isReallyRemote(absolutePath: string, mountsText: string, readLink: (path: string) => string | undefined): boolean {
  const onRemote = (at: string) => {
    const mount = mountOf(at, mountsText);
    return mount !== undefined && isRemoteFileSystem(mount.fsType);
  };
  // Most servers mount nothing remote: then no path can lead onto one, and nothing need be looked at.
  if (!mountsText.split('\n').some((line) => isRemoteFileSystem(line.split(' ')[2] ?? ''))) return false;
  let pending = absolutePath.split('/').filter((part) => part !== '');
  let resolved = '/';
  let links = 0;
  if (onRemote(resolved)) return true;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved = resolved.slice(0, resolved.lastIndexOf('/')) || '/';
      continue;
    }
    const next = resolved === '/' ? `/${part}` : `${resolved}/${part}`;
    if (onRemote(next)) return true;
    const target = readLink(next);
    if (target === undefined) {
      resolved = next;
      continue;
    }
    // Too many links: the open will fail with ELOOP by itself, wherever it is.
    if (++links > MAX_LINKS) return false;
    pending = [...target.split('/').filter((word) => word !== ''), ...pending];
    if (target.startsWith('/')) resolved = '/';
  }
  return false;
}
