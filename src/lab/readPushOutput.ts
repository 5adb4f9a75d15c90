/**
 * What a pusher saw: the `remote:` lines `git push` printed, with git's prefix
 * and its line-clearing suffix (ANSI `ESC [K` on a terminal, spaces when
 * not) taken off.
 */
export function remoteText(pushStderr: string): string {
  const lines: string[] = [];
  for (const raw of pushStderr.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line.startsWith('remote:')) continue;
    lines.push(line.slice('remote:'.length).replace(/^ /, '').replace(/(?:\x1b\[K| )+$/, ''));
  }
  return lines.join('\n');
}

/** The rendered hook output as git shows it: one remote line per line, trailing spaces dropped. */
export function asRemoteText(rendered: string): string {
  const lines = rendered.split('\n');
  // Git shows nothing for the newline that ends the last line.
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line) => line.replace(/ +$/, '')).join('\n');
}

/** A short account of what a pusher saw, for tables: "lag 42 s", "notice only", "nothing". */
export function summarise(remote: string): string {
  const lags = [...remote.matchAll(/Current replication lag: (\d+) seconds/g)].map((match) => `lag ${match[1]} s`);
  const notices = remote.match(/will be forwarded to the/g)?.length ?? 0;
  if (lags.length === 0) return notices === 0 ? 'nothing' : notices === 1 ? 'notice only' : `${notices} notices`;
  return notices === lags.length ? lags.join(' + ') : `${lags.join(' + ')} (${notices} notices)`;
}
