/** Quotes a word for /bin/sh. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export const HOOK_MARKER = '# geo-hook: installed by geo-hook';

/**
 * The hooks/post-receive script: runs geo-hook with the configuration file it
 * was installed with, and no environment of its own beyond that.
 */
export function hookScript(command: readonly string[], configFile: string): string {
  return [
    '#!/bin/sh',
    HOOK_MARKER,
    `GEO_HOOK_CONFIG=${shellQuote(configFile)} exec ${command.map(shellQuote).join(' ')} post-receive`,
    '',
  ].join('\n');
}
