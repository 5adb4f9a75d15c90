import { isLag, isReporting } from '../geoSite.js';
import { nodeView } from '../nodeView.js';
import { readJsonBody } from '../readJsonBody.js';
import { type Answer, type Handler, type ServerContext, errorAnswer, jsonAnswer } from '../serverContext.js';
import { readLags } from '../siteLags.js';
import { isRecord } from '../../shared/isRecord.js';

/** GET /api/v4/internal/geo/nodes: every node, its lag, where that comes from, its health (contract section 11). */
export const listNodes: Handler = async (_request, _params, record, context) => nodesAnswer(context, record, undefined);

/**
 * PUT /api/v4/internal/geo/nodes/<id> {"lag_seconds": N}: a static node's
 * lag, kept in the store so every server on it shows the same. A reporting
 * node's lag is measured, and the primary has none: 409.
 */
export const setNodeLag: Handler = async (request, [nodeIdText], record, context) => {
  const node = context.site.nodes.get(Number(nodeIdText));
  if (!node) return errorAnswer(404, '404 Geo Node Not Found');
  if (node.primary) return errorAnswer(409, '409 the primary has no replication lag');
  if (isReporting(node)) return errorAnswer(409, "409 this node reports its replication: its lag is measured, not set");
  const body = await readJsonBody(request, 64 * 1024, context.bodyBudget);
  const lag = isRecord(body) ? body.lag_seconds : undefined;
  if (!isLag(lag)) return errorAnswer(400, 'lag_seconds must be a whole number, 0 or more');
  try {
    await context.replication.setStaticLag(node.id, lag);
  } catch (error) {
    return storeUnavailable(record, context, error);
  }
  return nodesAnswer(context, record, node.id);
};

async function nodesAnswer(context: ServerContext, record: Record<string, unknown>, only: number | undefined): Promise<Answer> {
  const site = context.site;
  const nodes = [...site.nodes.values()];
  let read;
  try {
    read = await readLags(context, nodes);
  } catch (error) {
    return storeUnavailable(record, context, error);
  }
  const { snapshot, lags } = read;
  const views = nodes.map((node) => nodeView(node, lags.get(node.id)!, snapshot.nodes.get(node.id), snapshot.now));
  return jsonAnswer(200, only === undefined ? views : views.find((view) => view.id === only));
}

function storeUnavailable(record: Record<string, unknown>, context: ServerContext, error: unknown): Answer {
  record.note = `replication store unavailable: ${(error as Error).message}`;
  context.metrics?.storeError();
  return errorAnswer(503, '503 replication store unavailable');
}
