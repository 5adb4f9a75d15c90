import type { Route } from '../routes.js';
import type { Answer, Handler } from '../serverContext.js';

/**
 * The operations endpoints (contract section 7): no credential, no secret in
 * any answer. On the main address, or on their own (--metrics-listen).
 */
const liveness: Handler = async () => ({ status: 200, body: JSON.stringify({ status: 'ok' }) });

const readiness: Handler = async (_request, _params, _record, context) => {
  const reachable = await context.store.ping();
  return { status: reachable ? 200 : 503, body: JSON.stringify({ status: reachable ? 'ok' : 'referrer store not answering', store: context.store.kind }) };
};

const metrics: Handler = async (_request, _params, _record, context): Promise<Answer> => {
  if (!context.metrics) return { status: 404, body: JSON.stringify({ message: '404 Not Found' }) };
  return { status: 200, body: await context.metrics.registry.metrics(), contentType: context.metrics.registry.contentType };
};

export const OPERATIONS_ROUTES: readonly Route[] = [
  { method: 'GET', path: /^\/-\/liveness$/, endpoint: 'liveness', auth: 'none', handler: liveness },
  { method: 'GET', path: /^\/-\/readiness$/, endpoint: 'readiness', auth: 'none', handler: readiness },
  { method: 'GET', path: /^\/-\/metrics$/, endpoint: 'metrics', auth: 'none', handler: metrics },
];
