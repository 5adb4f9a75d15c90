import { readJsonBody } from '../readJsonBody.js';
import { type Handler, errorAnswer } from '../serverContext.js';
import { validateStatusReport } from '../validateReplication.js';

/**
 * POST /api/v4/internal/geo/status (node credential): how far the node that
 * the credential proved has replicated, recorded with the store's time of
 * arrival, so every server on that store computes the same lag.
 */
export const reportStatus: Handler = async (request, _params, record, context, caller) => {
  if (caller.by !== 'node') return errorAnswer(401, '401 Unauthorized');
  const report = validateStatusReport(await readJsonBody(request, 64 * 1024, context.bodyBudget), caller.nodeId, (text) => context.replication.isEventId(text));
  if ('error' in report) return errorAnswer(report.status, report.error);
  Object.assign(record, { log: report.log, cursor: report.cursor, reconciling: report.reconciling });
  try {
    await context.replication.reportStatus(caller.nodeId, report);
  } catch (error) {
    record.note = `replication store unavailable: ${(error as Error).message}`;
    context.metrics?.storeError();
    return errorAnswer(503, '503 replication store unavailable');
  }
  return { status: 204 };
};
