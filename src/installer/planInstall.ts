import { createHash } from 'node:crypto';
import { CHAIN_DIR, HOOK_MARKER, ORIGINAL_HOOK } from './hookScript.js';

/** What install found in a repository, read by inspectRepository. */
export interface RepositoryState {
  readonly path: string;
  readonly isBare: boolean;
  readonly hooksDirExists: boolean;
  /** False when something other than a folder is in the way of hooks/. */
  readonly hooksIsFolder: boolean;
  /** hooks/post-receive: none, ours (with its text), or another hook (a file or a symlink). */
  readonly hook:
    | { readonly kind: 'none' }
    | { readonly kind: 'ours'; readonly script: string }
    | { readonly kind: 'other'; readonly symlinkTarget: string | undefined };
  readonly chainDirExists: boolean;
  readonly chainEntryExists: boolean;
  /** hooks/post-receive.edited, where an edited hook is kept, is there already. */
  readonly editedEntryExists: boolean;
  readonly manifest: Manifest | undefined;
}

/** What install did, kept in hooks/geo-hook.json so uninstall can undo exactly that. */
export interface Manifest {
  readonly installedBy: 'geo-hook';
  /** The hook that was there, now post-receive.d/00-original-post-receive; null when none. */
  readonly original: { readonly symlinkTarget: string | null } | null;
  readonly createdChainDir: boolean;
  readonly createdHooksDir: boolean;
  /** The SHA-256 of the hooks/post-receive geo-hook wrote, so an operator's later edit is recognised and kept. */
  readonly hookSha256?: string;
}

export const MANIFEST = 'geo-hook.json';
/** Where an installed hook that was edited by hand is kept when geo-hook would replace or remove it. */
export const EDITED_HOOK = 'post-receive.edited';

export function scriptSha256(script: string): string {
  return createHash('sha256').update(script).digest('hex');
}

export type Step =
  | { readonly do: 'mkdir'; readonly path: string }
  /** Hard-links (or re-creates a symlink) so the hook is never missing, even for an instant. */
  | { readonly do: 'keep-original'; readonly symlinkTarget: string | undefined }
  | { readonly do: 'write-manifest'; readonly manifest: Manifest }
  | { readonly do: 'write-hook'; readonly script: string }
  /** Hard-links hooks/post-receive to hooks/post-receive.edited, before it is replaced or removed. */
  | { readonly do: 'keep-edited' }
  | { readonly do: 'restore-original'; readonly symlinkTarget: string | null }
  | { readonly do: 'remove-hook' }
  | { readonly do: 'remove-chain-dir-if-empty' }
  | { readonly do: 'remove-manifest' }
  | { readonly do: 'remove-hooks-dir-if-empty' };

export type Plan =
  | { readonly outcome: 'installed' | 'updated' | 'uninstalled'; readonly steps: readonly Step[]; readonly note?: string }
  | { readonly outcome: 'unchanged'; readonly note: string }
  | { readonly outcome: 'failed'; readonly note: string };

export function isOurs(script: string): boolean {
  return script.includes(HOOK_MARKER);
}

/** The steps that install the hook script into a repository, keeping what was there. */
export function planInstall(state: RepositoryState, script: string): Plan {
  if (!state.isBare) return { outcome: 'failed', note: 'not a bare repository' };
  if (!state.hooksIsFolder) return { outcome: 'failed', note: 'hooks is not a folder' };
  const { hook } = state;
  if (hook.kind === 'ours') {
    if (hook.script === script) return { outcome: 'unchanged', note: 'already installed' };
    const edited = editedByHand(state, hook.script);
    if (edited && state.editedEntryExists) return { outcome: 'failed', note: `hooks/post-receive was edited by hand and hooks/${EDITED_HOOK} already exists: move one away first` };
    const manifest = state.manifest && { ...state.manifest, hookSha256: scriptSha256(script) };
    return {
      outcome: 'updated',
      steps: [...(edited ? [{ do: 'keep-edited' } as const] : []), ...(manifest ? [{ do: 'write-manifest', manifest } as const] : []), { do: 'write-hook', script }],
      ...(edited && { note: `hooks/post-receive had been edited by hand: kept as hooks/${EDITED_HOOK}` }),
    };
  }
  const steps: Step[] = [];
  if (!state.hooksDirExists) steps.push({ do: 'mkdir', path: 'hooks' });
  let original: Manifest['original'] = null;
  let createdChainDir = false;
  if (hook.kind === 'other') {
    if (state.chainEntryExists) {
      return { outcome: 'failed', note: `hooks/${CHAIN_DIR}/${ORIGINAL_HOOK} already exists: cannot keep the present post-receive hook` };
    }
    if (!state.chainDirExists) {
      steps.push({ do: 'mkdir', path: `hooks/${CHAIN_DIR}` });
      createdChainDir = true;
    }
    steps.push({ do: 'keep-original', symlinkTarget: hook.symlinkTarget });
    original = { symlinkTarget: hook.symlinkTarget ?? null };
  }
  const manifest: Manifest = { installedBy: 'geo-hook', original, createdChainDir, createdHooksDir: !state.hooksDirExists, hookSha256: scriptSha256(script) };
  steps.push({ do: 'write-manifest', manifest }, { do: 'write-hook', script });
  return {
    outcome: 'installed',
    steps,
    ...(original && { note: `the hook that was there now runs after geo-hook, from hooks/${CHAIN_DIR}/${ORIGINAL_HOOK}` }),
  };
}

/**
 * An installed hook whose text is not what geo-hook wrote. A manifest from
 * before hashes were kept cannot tell: then it counts as edited, because
 * keeping a copy too many loses nothing.
 */
function editedByHand(state: RepositoryState, script: string): boolean {
  return state.manifest?.hookSha256 !== scriptSha256(script);
}

/** The steps that undo exactly what install did; a hook edited since is kept, never deleted. */
export function planUninstall(state: RepositoryState): Plan {
  if (!state.isBare) return { outcome: 'failed', note: 'not a bare repository' };
  if (state.hook.kind !== 'ours') return { outcome: 'unchanged', note: 'geo-hook is not installed here' };
  const manifest = state.manifest;
  const steps: Step[] = [];
  const edited = editedByHand(state, state.hook.script);
  if (edited) {
    if (state.editedEntryExists) return { outcome: 'failed', note: `hooks/post-receive was edited by hand and hooks/${EDITED_HOOK} already exists: move one away first` };
    steps.push({ do: 'keep-edited' });
  }
  if (manifest?.original) {
    if (!state.chainEntryExists) {
      return { outcome: 'failed', note: `hooks/${CHAIN_DIR}/${ORIGINAL_HOOK} is missing: cannot restore the hook that was there` };
    }
    steps.push({ do: 'restore-original', symlinkTarget: manifest.original.symlinkTarget });
  } else {
    steps.push({ do: 'remove-hook' });
  }
  if (manifest?.createdChainDir) steps.push({ do: 'remove-chain-dir-if-empty' });
  if (manifest) steps.push({ do: 'remove-manifest' });
  // hooks/ holds the kept edit now: it stays.
  if (manifest?.createdHooksDir && !edited) steps.push({ do: 'remove-hooks-dir-if-empty' });
  return { outcome: 'uninstalled', steps, ...(edited && { note: `hooks/post-receive had been edited by hand: kept as hooks/${EDITED_HOOK}` }) };
}
