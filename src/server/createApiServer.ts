import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { authenticate } from './authenticate.js';
import type { GeoSite } from './geoSite.js';
import { BodyError } from './readJsonBody.js';
import { type RegisterOutcome, registerPush } from './registerPush.js';
import { OPERATIONS_ROUTES } from './operations/operationsRoutes.js';
import type { ServerMetrics } from './operations/metrics.js';
import { API_ROUTES, type Endpoint, type Route, matchRoute } from './routes.js';
import { type Answer, type ServerContext, errorAnswer } from './serverContext.js';
import type { ReferrerStore } from './stores/referrerStore.js';
import type { ReceivePackStep } from './validatePushReferrer.js';
import { MAX_POST_RECEIVE_BYTES } from '../shared/limits.js';

export interface ApiServerOptions {
  readonly site: GeoSite;
  readonly store: ReferrerStore;
  readonly secret: string;
  /** The front-end token that opens push_referrer (and nothing else); none: the JWT only. */
  readonly frontendToken?: string | undefined;
  /** Also find referrers by upstream's racy actor+repository key. */
  readonly legacy: boolean;
  readonly version: string;
  /** One record per request; never holds a token. */
  readonly log: (record: Record<string, unknown>) => void;
  readonly now?: () => number;
  readonly maxBodyBytes?: number;
  readonly metrics?: ServerMetrics | undefined;
  /** Which routes this server answers: the API and the operations endpoints, or one of them (--metrics-listen). */
  readonly routes?: readonly Route[];
}

export type { ReceivePackStep };

const DEFAULT_MAX_BODY_BYTES = MAX_POST_RECEIVE_BYTES;

export type ApiServer = Server & {
  /** The receive-pack step for a front end in the same process. */
  registerPush(step: ReceivePackStep): Promise<RegisterOutcome>;
};

/**
 * The reference internal API (contract section 7): routes from one table,
 * each authenticated as the table says before its handler runs.
 */
export function createApiServer(options: ApiServerOptions): ApiServer {
  const now = options.now ?? Date.now;
  const context: ServerContext = {
    site: options.site,
    store: options.store,
    legacy: options.legacy,
    version: options.version,
    now,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    inFlight: new Map(),
    metrics: options.metrics,
  };
  const routes = options.routes ?? [...API_ROUTES, ...OPERATIONS_ROUTES];

  async function route(request: IncomingMessage, record: Record<string, unknown>): Promise<Answer & { endpoint: Endpoint }> {
    const match = matchRoute(routes, request.method, (request.url ?? '/').split('?')[0]!);
    if (match === undefined) return { ...errorAnswer(404, '404 Not Found'), endpoint: 'other' };
    if ('wrongMethod' in match) return { ...errorAnswer(405, '405 Method Not Allowed'), endpoint: match.wrongMethod };
    const { route: found, params } = match;
    const verdict = authenticate(found.auth, request.headers, { secret: options.secret, frontendToken: options.frontendToken, nowSeconds: Math.floor(now() / 1000) });
    if (!verdict.ok) {
      record.auth = verdict.reason;
      return { ...errorAnswer(401, '401 Unauthorized'), endpoint: found.endpoint };
    }
    if (verdict.by !== 'none') record.auth = verdict.by;
    return { ...(await found.handler(request, params, record, context)), endpoint: found.endpoint };
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const started = now();
    const record: Record<string, unknown> = { method: request.method, path: (request.url ?? '').split('?')[0] };
    route(request, record)
      .catch((error: unknown) => {
        if (error instanceof BodyError) return { ...errorAnswer(error.status, error.message), endpoint: 'other' as const };
        record.error = error instanceof Error ? error.message : String(error);
        return { ...errorAnswer(500, '500 Internal Server Error'), endpoint: 'other' as const };
      })
      .then(({ status, body, contentType, endpoint }) => {
        response.writeHead(status, body === undefined ? {} : { 'content-type': contentType ?? 'application/json' });
        response.end(body);
        options.metrics?.request(endpoint, status, (now() - started) / 1000);
        // Probes come often and say nothing new: they are counted, not logged.
        if (endpoint !== 'liveness' && endpoint !== 'readiness' && endpoint !== 'metrics') {
          options.log({ time: new Date(started).toISOString(), ...record, endpoint, status, duration_ms: now() - started });
        }
      });
  });
  return Object.assign(server, { registerPush: (step: ReceivePackStep) => registerPush(options.store, step, options.legacy) });
}
