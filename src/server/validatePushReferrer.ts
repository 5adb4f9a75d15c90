import { CORRELATION_ID, GL_ID, GL_REPOSITORY } from '../shared/identifiers.js';
import { isRecord } from '../shared/isRecord.js';
import { usableNodeId } from './validatePostReceive.js';

/** What the front end stores for the hook to find: the receive-pack step. */
export interface ReceivePackStep {
  readonly geoNodeId: number;
  readonly correlationId: string | undefined;
  readonly glId: string | undefined;
  readonly glRepository: string | undefined;
}

/** The header form of push_referrer, for a web server's auth_request (contract section 7). */
export const PUSH_REFERRER_HEADERS = {
  geoNodeId: 'x-geo-node-id',
  correlationId: 'x-request-id',
  glId: 'x-gl-id',
  glRepository: 'x-gl-repository',
} as const;

/** The JSON body form, its values as sent. */
export function stepFromBody(body: unknown, legacy: boolean): ReceivePackStep | { readonly error: string } {
  if (!isRecord(body)) return { error: 'body must be a JSON object' };
  return checkStep({ geoNodeId: body.geo_node_id, correlationId: body.correlation_id, glId: body.gl_id, glRepository: body.gl_repository }, legacy, false);
}

/** The header form: every value is text; the node id must be written in decimal. */
export function stepFromHeaders(headers: Readonly<Record<string, string | string[] | undefined>>, legacy: boolean): ReceivePackStep | { readonly error: string } {
  const read = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value === '' ? undefined : value;
  };
  const nodeIdText = read(PUSH_REFERRER_HEADERS.geoNodeId);
  // Stryker disable next-line ConditionalExpression: equivalent where it matters: the pattern refuses "undefined" too
  const geoNodeId = nodeIdText !== undefined && /^[1-9][0-9]{0,15}$/.test(nodeIdText) ? Number(nodeIdText) : nodeIdText;
  return checkStep(
    { geoNodeId, correlationId: read(PUSH_REFERRER_HEADERS.correlationId), glId: read(PUSH_REFERRER_HEADERS.glId), glRepository: read(PUSH_REFERRER_HEADERS.glRepository) },
    legacy,
    true,
  );
}

function checkStep(
  raw: { geoNodeId: unknown; correlationId: unknown; glId: unknown; glRepository: unknown },
  legacy: boolean,
  /** The header form names the headers in its refusals; the JSON form, the fields. */
  fromHeaders: boolean,
): ReceivePackStep | { readonly error: string } {
  const name = (json: string, header: string) => (fromHeaders ? header : json);
  const geoNodeId = usableNodeId(raw.geoNodeId);
  if (geoNodeId === undefined) return { error: `${name('geo_node_id', 'X-Geo-Node-Id')} must be a positive integer` };
  const { correlationId, glId, glRepository } = raw;
  if (correlationId !== undefined && correlationId !== null && (typeof correlationId !== 'string' || !CORRELATION_ID.test(correlationId))) {
    return { error: `${name('correlation_id', 'X-Request-ID')} must be up to 128 printable ASCII characters` };
  }
  if (glId !== undefined && glId !== null && (typeof glId !== 'string' || !GL_ID.test(glId))) {
    return { error: `${name('gl_id', 'X-Gl-Id')} must be like "user-<n>" or "key-<n>"` };
  }
  if (glRepository !== undefined && glRepository !== null && (typeof glRepository !== 'string' || !GL_REPOSITORY.test(glRepository))) {
    return { error: `${name('gl_repository', 'X-Gl-Repository')} must be like "project-<n>"` };
  }
  const step = {
    geoNodeId,
    correlationId: correlationId ?? undefined,
    glId: glId ?? undefined,
    glRepository: glRepository ?? undefined,
  } as ReceivePackStep;
  if (legacy && (step.glId === undefined || step.glRepository === undefined)) {
    return { error: `${name('gl_id and gl_repository', 'X-Gl-Id and X-Gl-Repository')} are required in legacy mode` };
  }
  if (!legacy && step.correlationId === undefined) return { error: `${name('correlation_id', 'X-Request-ID')} is required` };
  return step;
}
