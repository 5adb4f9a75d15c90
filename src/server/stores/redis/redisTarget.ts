/**
 * Which Redis a store URL names (contract section 7): one Redis
 * (`redis://`, `rediss://`, handed to ioredis as they are) or a Redis watched
 * by Sentinel (`redis+sentinel://[user:password@]host:port[,host:port…]/<master name>`,
 * with the sentinels' own password as `?sentinelPassword=` and the addresses
 * a master may have as `?allowMasters=host:port,…`). Pure: the store
 * turns the answer into a client.
 */
export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly { readonly host: string; readonly port: number }[];
      /** The master group name the sentinels monitor. */
      readonly name: string;
      /** The Redis servers' (master and replicas) credentials. */
      readonly username?: string;
      readonly password?: string;
      readonly sentinelPassword?: string;
      /** The addresses a master may have (`?allowMasters=`): a sentinel naming any other is not followed. */
      readonly allowMasters?: readonly { readonly host: string; readonly port: number }[];
    };

/** Sentinel's own default port, for a host given without one. */
export const SENTINEL_DEFAULT_PORT = 26379;
/** Redis's default port, for a master in allowMasters given without one. */
export const REDIS_DEFAULT_PORT = 6379;

export const STORE_URL_FORMS = '"memory", redis://…, rediss://… or redis+sentinel://host:port[,host:port…]/<master name>';

const SENTINEL_SCHEME = 'redis+sentinel://';

export function parseRedisTarget(url: string): RedisTarget | { readonly error: string } {
  if (/^rediss?:\/\/./i.test(url)) return { kind: 'single', url };
  if (!url.toLowerCase().startsWith(SENTINEL_SCHEME)) return { error: `must be ${STORE_URL_FORMS}` };
  const rest = url.slice(SENTINEL_SCHEME.length);
  const [beforeQuery, query, ...more] = rest.split('?') as [string, ...string[]];
  if (more.length > 0) return { error: 'a redis+sentinel:// URL has one "?"' };
  const slash = beforeQuery.indexOf('/');
  if (slash === -1) return { error: 'a redis+sentinel:// URL names the master after the sentinels: redis+sentinel://host:port[,host:port…]/<master name>' };
  const authority = beforeQuery.slice(0, slash);
  const name = decodePart(beforeQuery.slice(slash + 1));
  if (name === undefined || !/^[A-Za-z0-9._-]{1,128}$/.test(name)) {
    return { error: 'the master name after the sentinels must be letters, digits, ".", "_" or "-"' };
  }
  const at = authority.lastIndexOf('@');
  const credentials = at === -1 ? undefined : parseUserinfo(authority.slice(0, at));
  if (credentials === null) return { error: 'the user or password in a redis+sentinel:// URL is not valid percent-encoding' };
  const sentinels = [];
  for (const address of authority.slice(at + 1).split(',')) {
    const sentinel = parseHostPort(address, SENTINEL_DEFAULT_PORT);
    if (sentinel === undefined) return { error: `sentinel address ${JSON.stringify(address)} is not host:port` };
    sentinels.push(sentinel);
  }
  const options = parseQuery(query);
  if ('error' in options) return options;
  return {
    kind: 'sentinel',
    sentinels,
    name,
    ...(credentials?.username !== undefined && { username: credentials.username }),
    ...(credentials?.password !== undefined && { password: credentials.password }),
    ...(options.sentinelPassword !== undefined && { sentinelPassword: options.sentinelPassword }),
    ...(options.allowMasters !== undefined && { allowMasters: options.allowMasters }),
  };
}

/** The key ioredis names a master by (`host:port`), for comparing with allowMasters. */
export function addressKey(address: { readonly host: string; readonly port: number }): string {
  return `${address.host}:${address.port}`;
}

function parseHostPort(address: string, defaultPort: number): { host: string; port: number } | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::([0-9]{1,5}))?$/.exec(address);
  if (!match) return undefined;
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  // The pattern lets brackets stand only round the whole host: either anchor alone would do.
  // Stryker disable next-line Regex: equivalent, for that reason
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

/** `user:password`, `:password` or `user`; null when the percent-encoding is broken. */
function parseUserinfo(userinfo: string): { username?: string; password?: string } | null {
  const colon = userinfo.indexOf(':');
  const username = decodePart(colon === -1 ? userinfo : userinfo.slice(0, colon));
  const password = colon === -1 ? '' : decodePart(userinfo.slice(colon + 1));
  if (username === undefined || password === undefined) return null;
  return { ...(username !== '' && { username }), ...(password !== '' && { password }) };
}

type QueryOptions = { sentinelPassword?: string; allowMasters?: Array<{ host: string; port: number }> };

function parseQuery(query: string | undefined): QueryOptions | { error: string } {
  if (query === undefined || query === '') return {};
  const result: QueryOptions = {};
  for (const pair of query.split('&')) {
    const equals = pair.indexOf('=');
    const key = equals === -1 ? pair : pair.slice(0, equals);
    const value = decodePart(equals === -1 ? '' : pair.slice(equals + 1));
    if (key === 'sentinelPassword') {
      if (value === undefined) return { error: 'sentinelPassword is not valid percent-encoding' };
      result.sentinelPassword = value;
    } else if (key === 'allowMasters') {
      if (value === undefined || value === '') return { error: 'allowMasters must be host:port[,host:port…]' };
      const masters = [];
      for (const address of value.split(',')) {
        const master = parseHostPort(address, REDIS_DEFAULT_PORT);
        if (master === undefined) return { error: `allowMasters address ${JSON.stringify(address)} is not host:port` };
        masters.push(master);
      }
      result.allowMasters = masters;
    } else {
      return { error: `unknown parameter ${JSON.stringify(key)} in a redis+sentinel:// URL (known: sentinelPassword, allowMasters)` };
    }
  }
  return result;
}

function decodePart(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    // Broken percent-encoding: no value.
  }
  return undefined;
}
