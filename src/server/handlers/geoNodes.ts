import type { GeoNode } from '../geoSite.js';
import { isLag } from '../geoSite.js';
import { readJsonBody } from '../readJsonBody.js';
import { type Handler, errorAnswer, jsonAnswer } from '../serverContext.js';
import { isRecord } from '../../shared/isRecord.js';

/** GET /api/v4/internal/geo/nodes: the nodes and their lags. */
export const listNodes: Handler = async (_request, _params, _record, context) => jsonAnswer(200, [...context.site.nodes.values()].map(nodeJson));

/** PUT /api/v4/internal/geo/nodes/<id> {"lag_seconds": N}: a node's lag changed while the server runs. */
export const setNodeLag: Handler = async (request, [nodeIdText], _record, context) => {
  const node = context.site.nodes.get(Number(nodeIdText));
  if (!node) return errorAnswer(404, '404 Geo Node Not Found');
  const body = await readJsonBody(request, 64 * 1024, context.bodyBudget);
  const lag = isRecord(body) ? body.lag_seconds : undefined;
  if (!isLag(lag)) return errorAnswer(400, 'lag_seconds must be a whole number, 0 or more');
  node.lagSeconds = lag;
  return jsonAnswer(200, nodeJson(node));
};

function nodeJson(node: GeoNode) {
  return { id: node.id, name: node.name, url: node.url, primary: node.primary, lag_seconds: node.lagSeconds };
}
