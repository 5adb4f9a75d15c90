/** Quotes a word for /bin/sh. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export const HOOK_MARKER = '# geo-hook: installed by geo-hook';
/** Where a post-receive hook that was there before geo-hook goes, to keep running after it. */
export const CHAIN_DIR = 'post-receive.d';
export const ORIGINAL_HOOK = '00-original-post-receive';

/**
 * The hooks/post-receive script. It runs geo-hook with the configuration file
 * it was installed with (no environment of its own needed), then every
 * executable in post-receive.d with the same input, arguments and
 * environment. Without a post-receive.d it is a single exec.
 */
export function hookScript(command: readonly string[], configFile: string | undefined): string {
  const run = `${command.map(shellQuote).join(' ')} post-receive`;
  const config = configFile === undefined ? '' : `GEO_HOOK_CONFIG=${shellQuote(configFile)}\nexport GEO_HOOK_CONFIG\n`;
  return `#!/bin/sh
${HOOK_MARKER}; 'geo-hook uninstall' restores what was here.
${config}chain="\${0%/*}/${CHAIN_DIR}"
[ -d "$chain" ] || exec ${run}
# Each hook reads the same ref updates: keep them for all.
input=$(mktemp "\${TMPDIR:-/tmp}/geo-hook.XXXXXX") || exit 1
trap 'rm -f "$input"' EXIT
cat >"$input"
status=0
${run} <"$input" || status=$?
for hook in "$chain"/*; do
  [ -f "$hook" ] && [ -x "$hook" ] || continue
  "$hook" "$@" <"$input" || status=$?
done
exit $status
`;
}

/** The geo-hook command a script runs, and its config file, read back from it (for `check`). */
export function readHookScript(script: string): { command: string; configFile: string | undefined } | undefined {
  if (!script.includes(HOOK_MARKER)) return undefined;
  const command = /^\[ -d "\$chain" \] \|\| exec (.*) post-receive$/m.exec(script)?.[1];
  if (command === undefined) return undefined;
  const config = /^GEO_HOOK_CONFIG=(.*)$/m.exec(script)?.[1];
  return { command, configFile: config === undefined ? undefined : unquote(config) };
}

function unquote(word: string): string {
  return word.startsWith("'") ? word.slice(1, -1).replace(/'\\''/g, "'") : word;
}
