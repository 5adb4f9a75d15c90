import { readJsonBody } from '../readJsonBody.js';
import { registerPush } from '../registerPush.js';
import { type Handler, errorAnswer } from '../serverContext.js';
import { stepFromBody, stepFromHeaders } from '../validatePushReferrer.js';

/**
 * POST /api/v4/internal/geo/push_referrer: the receive-pack step for a front
 * end in another process. A JSON body, or no body and the values in headers
 * (what a web server's auth_request subrequest can send).
 */
export const pushReferrer: Handler = async (request, _params, record, context) => {
  const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  const step = hasBody ? stepFromBody(await readJsonBody(request, 64 * 1024, context.bodyBudget), context.legacy) : stepFromHeaders(request.headers, context.legacy);
  record.form = hasBody ? 'json' : 'headers';
  if ('error' in step) return errorAnswer(400, step.error);
  Object.assign(record, { correlation_id: step.correlationId ?? null, geo_node_id: step.geoNodeId });
  let outcome;
  try {
    outcome = await registerPush(context.store, step, context.legacy);
  } catch (error) {
    record.note = `referrer store unavailable: ${(error as Error).message}`;
    context.metrics?.storeError();
    return errorAnswer(503, '503 referrer store unavailable');
  }
  if (outcome === 'conflict') {
    record.note = 'correlation id already registered for another node; kept the first';
    return errorAnswer(409, '409 correlation id already registered for another node');
  }
  return { status: 204 };
};
