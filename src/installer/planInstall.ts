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
  readonly manifest: Manifest | undefined;
}

/** What install did, kept in hooks/geo-hook.json so uninstall can undo exactly that. */
export interface Manifest {
  readonly installedBy: 'geo-hook';
  /** The hook that was there, now post-receive.d/00-original-post-receive; null when none. */
  readonly original: { readonly symlinkTarget: string | null } | null;
  readonly createdChainDir: boolean;
  readonly createdHooksDir: boolean;
}

export const MANIFEST = 'geo-hook.json';

export type Step =
  | { readonly do: 'mkdir'; readonly path: string }
  /** Hard-links (or re-creates a symlink) so the hook is never missing, even for an instant. */
  | { readonly do: 'keep-original'; readonly symlinkTarget: string | undefined }
  | { readonly do: 'write-manifest'; readonly manifest: Manifest }
  | { readonly do: 'write-hook'; readonly script: string }
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
    return hook.script === script
      ? { outcome: 'unchanged', note: 'already installed' }
      : { outcome: 'updated', steps: [{ do: 'write-hook', script }] };
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
  const manifest: Manifest = { installedBy: 'geo-hook', original, createdChainDir, createdHooksDir: !state.hooksDirExists };
  steps.push({ do: 'write-manifest', manifest }, { do: 'write-hook', script });
  return {
    outcome: 'installed',
    steps,
    ...(original && { note: `the hook that was there now runs after geo-hook, from hooks/${CHAIN_DIR}/${ORIGINAL_HOOK}` }),
  };
}

/** The steps that undo exactly what install did. */
export function planUninstall(state: RepositoryState): Plan {
  if (!state.isBare) return { outcome: 'failed', note: 'not a bare repository' };
  if (state.hook.kind !== 'ours') return { outcome: 'unchanged', note: 'geo-hook is not installed here' };
  const manifest = state.manifest;
  const steps: Step[] = [];
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
  if (manifest?.createdHooksDir) steps.push({ do: 'remove-hooks-dir-if-empty' });
  return { outcome: 'uninstalled', steps };
}
