import { type ApiUrl, displayUrl, endpointUrl } from '../shared/apiUrl.js';
import { JWT_HEADER, claimsAt, signJwt } from '../shared/jwt.js';
import { type RefUpdate, formatChanges } from './parseRefUpdates.js';
import type { PushContext } from './readHookEnv.js';

export const POST_RECEIVE_PATH = '/api/v4/internal/post_receive';

export interface PostReceiveBody {
  readonly gl_repository: string;
  readonly identifier: string;
  readonly changes: string;
  readonly push_options: readonly string[];
  readonly gl_username?: string;
  readonly geo_node_id?: number;
  readonly correlation_id?: string;
}

export interface ApiRequest {
  readonly method: 'POST' | 'GET';
  /** What got is given (its own form for Unix sockets). */
  readonly url: string;
  /** What a person is shown. */
  readonly displayUrl: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface RequestInputs {
  readonly api: ApiUrl;
  readonly context: PushContext;
  readonly updates: readonly RefUpdate[];
  readonly secret: string;
  readonly nowSeconds: number;
  readonly version: string;
}

/** The post_receive call of contract section 3, as plain data. */
export function buildRequest({ api, context, updates, secret, nowSeconds, version }: RequestInputs): ApiRequest {
  const body: PostReceiveBody = {
    gl_repository: context.glRepository,
    identifier: context.glId,
    changes: formatChanges(updates),
    push_options: context.pushOptions,
    // Sent only when known: JSON.stringify leaves out a member that is undefined.
    gl_username: context.glUsername,
    geo_node_id: context.geoNodeId,
    correlation_id: context.correlationId,
  };
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': `geo-hook/${version}`,
    [JWT_HEADER.toLowerCase()]: signJwt(claimsAt(nowSeconds), secret),
  };
  // Upstream's tracing header; a proxy may rewrite it, so the id is in the body too.
  if (context.correlationId !== undefined) headers['x-request-id'] = context.correlationId;
  return {
    method: 'POST',
    url: endpointUrl(api, POST_RECEIVE_PATH),
    displayUrl: displayUrl(api, POST_RECEIVE_PATH),
    headers,
    body: JSON.stringify(body),
  };
}

export const CHECK_PATH = '/api/v4/internal/check';

/** The authenticated health check `geo-hook check` makes. */
export function buildCheckRequest(api: ApiUrl, secret: string, nowSeconds: number, version: string): ApiRequest {
  return {
    method: 'GET',
    url: endpointUrl(api, CHECK_PATH),
    displayUrl: displayUrl(api, CHECK_PATH),
    headers: { 'user-agent': `geo-hook/${version}`, [JWT_HEADER.toLowerCase()]: signJwt(claimsAt(nowSeconds), secret) },
  };
}

/** The request as --dry-run prints it: token and password never shown. */
export function describeRequest(request: ApiRequest, basicAuthUser: string | undefined): string {
  const lines = [`${request.method} ${request.displayUrl}`];
  for (const [name, value] of Object.entries(request.headers)) {
    lines.push(`${name}: ${name === JWT_HEADER.toLowerCase() ? '[redacted]' : value}`);
  }
  if (basicAuthUser !== undefined) lines.push(`authorization: Basic [redacted] (user ${JSON.stringify(basicAuthUser)})`);
  if (request.body !== undefined) lines.push('', JSON.stringify(JSON.parse(request.body), null, 2));
  lines.push('');
  return lines.join('\n');
}
