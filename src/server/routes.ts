import type { AuthKind } from './authenticate.js';
import { check } from './handlers/check.js';
import { listNodes, setNodeLag } from './handlers/geoNodes.js';
import { listEvents } from './handlers/geoEvents.js';
import { listRepositories } from './handlers/geoRepositories.js';
import { reportStatus } from './handlers/geoStatus.js';
import { postReceive } from './handlers/postReceive.js';
import { replicationAuth } from './handlers/replicationAuth.js';
import { pushReferrer } from './handlers/pushReferrer.js';
import type { Handler } from './serverContext.js';

/** The fixed names endpoints are counted and logged by; never a raw path. */
export type Endpoint =
  | 'post_receive'
  | 'push_referrer'
  | 'check'
  | 'geo_nodes'
  | 'geo_repositories'
  | 'geo_events'
  | 'geo_status'
  | 'geo_replication_auth'
  | 'liveness'
  | 'readiness'
  | 'metrics'
  | 'other';

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT';
  /**
   * Matched against the path after the API prefix (or, for the operations
   * endpoints, /-/…, the whole path); groups are the handler's params.
   */
  readonly path: RegExp;
  readonly endpoint: Endpoint;
  /** Which credential opens it: the one place this is decided. */
  readonly auth: AuthKind;
  readonly handler: Handler;
}

/**
 * The internal API (contract sections 7 and 11), under /api/v4/internal,
 * behind an optional prefix. The node credential opens the replication
 * endpoints and nothing else; nothing else opens them.
 */
export const API_ROUTES: readonly Route[] = [
  { method: 'POST', path: /^\/post_receive$/, endpoint: 'post_receive', auth: 'jwt', handler: postReceive },
  { method: 'GET', path: /^\/check$/, endpoint: 'check', auth: 'jwt', handler: check },
  { method: 'POST', path: /^\/geo\/push_referrer$/, endpoint: 'push_referrer', auth: 'frontend-or-jwt', handler: pushReferrer },
  { method: 'GET', path: /^\/geo\/nodes$/, endpoint: 'geo_nodes', auth: 'jwt', handler: listNodes },
  { method: 'PUT', path: /^\/geo\/nodes\/([0-9]{1,15})$/, endpoint: 'geo_nodes', auth: 'jwt', handler: setNodeLag },
  { method: 'GET', path: /^\/geo\/repositories$/, endpoint: 'geo_repositories', auth: 'node', handler: listRepositories },
  { method: 'GET', path: /^\/geo\/events$/, endpoint: 'geo_events', auth: 'node', handler: listEvents },
  { method: 'POST', path: /^\/geo\/status$/, endpoint: 'geo_status', auth: 'node', handler: reportStatus },
  { method: 'GET', path: /^\/geo\/replication_auth$/, endpoint: 'geo_replication_auth', auth: 'node', handler: replicationAuth },
];

/** The API URL may carry a prefix (`http://host/prefix`): what comes before /api/v4/internal is not ours to judge. */
const API_PATH = /^(?:\/[^?]*)?\/api\/v4\/internal(\/[^?]*)$/;

export type RouteMatch = { readonly route: Route; readonly params: readonly string[] } | { readonly wrongMethod: Endpoint } | undefined;

export function matchRoute(routes: readonly Route[], method: string | undefined, path: string): RouteMatch {
  // /-/… is the operations endpoints' own; everything else is under /api/v4/internal.
  const inner = path.startsWith('/-/') ? path : API_PATH.exec(path)?.[1];
  if (inner === undefined) return undefined;
  let wrongMethod: Endpoint | undefined;
  for (const route of routes) {
    const match = route.path.exec(inner);
    if (!match) continue;
    if (route.method === method) return { route, params: match.slice(1) };
    wrongMethod = route.endpoint;
  }
  return wrongMethod === undefined ? undefined : { wrongMethod };
}
