/**
 * The API URL forms gitlab-shell accepts: `http://host[:port][/prefix]`,
 * `https://…`, and `http+unix://<percent-encoded socket path>[/prefix]`.
 */
export type ApiUrl =
  | { readonly kind: 'tcp'; readonly base: string }
  | { readonly kind: 'unix'; readonly socketPath: string; readonly prefix: string };

/** Returns the parsed URL, or a reason it is not one we accept. */
export function parseApiUrl(text: string): ApiUrl | { readonly error: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { error: 'is not a URL' };
  }
  if (url.username || url.password) return { error: 'must not hold credentials: use user and password' };
  if (url.search || url.hash) return { error: 'must not have a query or fragment' };
  const prefix = url.pathname.replace(/\/+$/, '');
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    return { kind: 'tcp', base: `${url.protocol}//${url.host}${prefix}` };
  }
  if (url.protocol === 'http+unix:') {
    let socketPath: string;
    try {
      socketPath = decodeURIComponent(url.host);
    } catch {
      return { error: 'has a badly percent-encoded socket path' };
    }
    if (!socketPath.startsWith('/')) return { error: 'needs an absolute, percent-encoded socket path (%2Fpath%2Fto%2Fsocket)' };
    // got splits "unix:<socket>:<path>" on the first colon.
    if (socketPath.includes(':')) return { error: 'has a socket path with a colon, which cannot be used' };
    return { kind: 'unix', socketPath, prefix };
  }
  return { error: 'must start with http://, https:// or http+unix://' };
}

/** The URL got is given for an endpoint (got's own form for Unix sockets). */
export function endpointUrl(api: ApiUrl, endpoint: string): string {
  return api.kind === 'tcp' ? `${api.base}${endpoint}` : `http://unix:${api.socketPath}:${api.prefix}${endpoint}`;
}

/** The endpoint as a person would write it, for messages. */
export function displayUrl(api: ApiUrl, endpoint: string): string {
  return api.kind === 'tcp'
    ? `${api.base}${endpoint}`
    : `http+unix://${encodeURIComponent(api.socketPath)}${api.prefix}${endpoint}`;
}
