import type { Handler } from '../serverContext.js';

/**
 * GET /api/v4/internal/geo/replication_auth: 204 for a valid node credential
 * (the route's credential check is the whole answer), for the primary's web
 * server to check a secondary's fetch with auth_request.
 */
export const replicationAuth: Handler = async () => ({ status: 204 });
