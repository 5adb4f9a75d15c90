import got from 'got';
import type { ReceivePackStep } from '../server/validatePushReferrer.js';
import { JWT_HEADER, claimsAt, signJwt } from '../shared/jwt.js';

/**
 * The receive-pack step for a front end that does not share the server's
 * process: POST /api/v4/internal/geo/push_referrer, bounded in time.
 */
export function registerViaApi(apiUrl: string, secret: string, timeoutMs = 2000): (step: ReceivePackStep) => Promise<void> {
  return async (step) => {
    const response = await got.post(`${apiUrl}/api/v4/internal/geo/push_referrer`, {
      headers: { [JWT_HEADER]: signJwt(claimsAt(Math.floor(Date.now() / 1000)), secret) },
      json: { geo_node_id: step.geoNodeId, correlation_id: step.correlationId, gl_id: step.glId, gl_repository: step.glRepository },
      timeout: { request: timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
    });
    if (response.statusCode !== 204) throw new Error(`push_referrer answered HTTP ${response.statusCode}`);
  };
}
