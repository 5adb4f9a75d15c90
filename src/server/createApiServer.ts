import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { authenticate } from './authenticate.js';
import type { GeoSite } from './geoSite.js';
import { BODY_BUDGET_BYTES, BodyBudget, BodyError, CLIENT_CLOSED_REQUEST } from './readJsonBody.js';
import { type RegisterOutcome, registerPush } from './registerPush.js';
import { OPERATIONS_ROUTES } from './operations/operationsRoutes.js';
import type { ServerMetrics } from './operations/metrics.js';
import { API_ROUTES, type Endpoint, type Route, matchRoute } from './routes.js';
import { type Answer, type ServerContext, errorAnswer } from './serverContext.js';
import type { ReferrerStore } from './stores/referrerStore.js';
import type { ReplicationStore } from './stores/replicationStore.js';
import { DEFAULT_STATUS_MAX_AGE_SECONDS } from './replicationLag.js';
import type { ReceivePackStep } from './validatePushReferrer.js';
import { MAX_POST_RECEIVE_BYTES } from '../shared/limits.js';

export interface ApiServerOptions {
  readonly site: GeoSite;
  readonly store: ReferrerStore;
  readonly replication: ReplicationStore;
  /** The reporting secondaries' secrets, by node id. */
  readonly nodeSecrets?: ReadonlyMap<number, string>;
  readonly statusMaxAgeSeconds?: number;
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
  /** Body bytes all requests may hold at once (256 MiB); past it, 503. */
  readonly bodyBudgetBytes?: number;
  readonly metrics?: ServerMetrics | undefined;
  /** Open connections at most; more are closed as they come (and counted). */
  readonly maxConnections?: number;
  /** Which routes this server answers: the API and the operations endpoints, or one of them (--metrics-listen). */
  readonly routes?: readonly Route[];
}

export type { ReceivePackStep };

const DEFAULT_MAX_BODY_BYTES = MAX_POST_RECEIVE_BYTES;
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_CONNECTIONS = 1024;

function expectsContinue(request: IncomingMessage): boolean {
  return /^100-continue$/i.test(request.headers.expect ?? '');
}

export type ApiServer = Server & {
  /** The receive-pack step for a front end in the same process. */
  registerPush(step: ReceivePackStep): Promise<RegisterOutcome>;
  /** Answers from now on with this site (the site file loaded again) and its node secrets. */
  replaceSite(site: GeoSite, nodeSecrets: ReadonlyMap<number, string>): void;
};

/**
 * The reference internal API (contract section 7): routes from one table,
 * each authenticated as the table says before its handler runs.
 */
export function createApiServer(options: ApiServerOptions): ApiServer {
  const now = options.now ?? Date.now;
  const context: ServerContext = {
    site: options.site,
    nodeSecrets: options.nodeSecrets ?? new Map(),
    store: options.store,
    replication: options.replication,
    statusMaxAgeMs: (options.statusMaxAgeSeconds ?? DEFAULT_STATUS_MAX_AGE_SECONDS) * 1000,
    legacy: options.legacy,
    version: options.version,
    now,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    bodyBudget: new BodyBudget(options.bodyBudgetBytes ?? BODY_BUDGET_BYTES),
    inFlight: new Map(),
    metrics: options.metrics,
  };
  const routes = options.routes ?? [...API_ROUTES, ...OPERATIONS_ROUTES];

  async function route(request: IncomingMessage, response: ServerResponse, record: Record<string, unknown>, at: { endpoint: Endpoint; continued?: boolean }): Promise<Answer> {
    const match = matchRoute(routes, request.method, (request.url ?? '/').split('?')[0]!);
    if (match === undefined) return errorAnswer(404, '404 Not Found');
    if ('wrongMethod' in match) {
      at.endpoint = match.wrongMethod;
      return errorAnswer(405, '405 Method Not Allowed');
    }
    const { route: found, params } = match;
    at.endpoint = found.endpoint;
    const verdict = authenticate(found.auth, request.headers, {
      secret: options.secret,
      frontendToken: options.frontendToken,
      nodeSecrets: context.nodeSecrets,
      nowSeconds: Math.floor(now() / 1000),
    });
    if (!verdict.ok) {
      record.auth = verdict.reason;
      return errorAnswer(401, '401 Unauthorized');
    }
    if (verdict.by === 'node') Object.assign(record, { auth: 'node', node: verdict.nodeId });
    else if (verdict.by !== 'none') record.auth = verdict.by;
    // A client that asked to wait (Expect: 100-continue) sends its body only now that its credential holds.
    if (expectsContinue(request)) {
      response.writeContinue();
      at.continued = true;
    }
    return found.handler(request, params, record, context, verdict);
  }

  const answerRequest = (request: IncomingMessage, response: ServerResponse) => {
    const started = now();
    const record: Record<string, unknown> = { method: request.method, path: (request.url ?? '').split('?')[0] };
    const at: { endpoint: Endpoint; continued?: boolean } = { endpoint: 'other' };
    route(request, response, record, at)
      .catch((error: unknown): Answer => {
        if (error instanceof BodyError) {
          if (error.status !== CLIENT_CLOSED_REQUEST) return errorAnswer(error.status, error.message);
          record.note = error.message;
          return { status: CLIENT_CLOSED_REQUEST };
        }
        record.error = error instanceof Error ? error.message : String(error);
        return errorAnswer(500, '500 Internal Server Error');
      })
      .then(({ status, body, contentType }) => {
        const { endpoint } = at;
        if (status === CLIENT_CLOSED_REQUEST) response.destroy();
        else {
          const headers: Record<string, string> = body === undefined ? {} : { 'content-type': contentType ?? 'application/json' };
          // Refused before its body was asked for: the client may still send it, so this connection ends here.
          if (expectsContinue(request) && at.continued !== true) headers.connection = 'close';
          response.writeHead(status, headers);
          response.end(body);
        }
        options.metrics?.request(endpoint, status, (now() - started) / 1000);
        // Probes come often and say nothing new: they are counted, not logged.
        if (endpoint !== 'liveness' && endpoint !== 'readiness' && endpoint !== 'metrics') {
          options.log({ time: new Date(started).toISOString(), ...record, endpoint, status, duration_ms: now() - started });
        }
      });
  };

  // Contract section 7: headers within 10 s, a whole request within 30 s, checked every second
  // (Node checks every 30 s by default, which would let a slow client hold a connection that long).
  const server = createServer(
    { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1000 },
    answerRequest,
  );
  // With a listener here Node no longer answers 100 Continue by itself: route() does, after the credential.
  server.on('checkContinue', answerRequest);
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  server.on('drop', () => options.metrics?.connectionDropped());
  return Object.assign(server, {
    registerPush: (step: ReceivePackStep) => registerPush(options.store, step, options.legacy),
    replaceSite: (site: GeoSite, nodeSecrets: ReadonlyMap<number, string>) => {
      context.site = site;
      context.nodeSecrets = nodeSecrets;
    },
  });
}
