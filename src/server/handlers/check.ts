import { type Handler, jsonAnswer } from '../serverContext.js';

/** GET /api/v4/internal/check: an authenticated health answer, for `geo-hook check`. */
export const check: Handler = async (_request, _params, _record, context) => {
  const reachable = await context.store.ping();
  return jsonAnswer(200, {
    api_version: 'v4',
    geo_hook_version: context.version,
    store: context.store.kind,
    redis: context.store.kind === 'redis' ? reachable : false,
    store_reachable: reachable,
    server_time: Math.floor(context.now() / 1000),
  });
};
