import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { JWT_HEADER, NODE_JWT_ISSUER } from '../shared/jwt.js';
import { verifyJwt } from './verifyJwt.js';

/**
 * Which credential opens an endpoint (contract sections 7 and 11): the JWT of
 * gitlab-shell, or, for the receive-pack step only, the front-end token that
 * a stock web server can send; a secondary's own credential for the
 * replication endpoints (and nothing else); operations endpoints take none.
 */
export type AuthKind = 'jwt' | 'frontend-or-jwt' | 'node' | 'none';

export interface Credentials {
  readonly secret: string;
  /** The front-end token (trimmed file content), when the server was given one. */
  readonly frontendToken: string | undefined;
  /** Each reporting secondary's secret, by node id. */
  readonly nodeSecrets: ReadonlyMap<number, string>;
  readonly nowSeconds: number;
}

export type AuthVerdict =
  | { readonly ok: true; readonly by: 'jwt' | 'frontend-token' | 'none' }
  | { readonly ok: true; readonly by: 'node'; readonly nodeId: number }
  | { readonly ok: false; readonly reason: string };

export function authenticate(kind: AuthKind, headers: IncomingMessage['headers'], credentials: Credentials): AuthVerdict {
  if (kind === 'none') return { ok: true, by: 'none' };
  if (kind === 'node') return authenticateNode(headers.authorization, credentials);
  const bearer = bearerToken(headers.authorization);
  const isFrontendToken = bearer !== undefined && credentials.frontendToken !== undefined && sameSecret(bearer, credentials.frontendToken);
  if (isFrontendToken) {
    // The front-end token opens the receive-pack step and nothing else, whatever else comes with it.
    return kind === 'frontend-or-jwt' ? { ok: true, by: 'frontend-token' } : { ok: false, reason: 'front-end token not valid here' };
  }
  const verdict = verifyJwt(single(headers[JWT_HEADER.toLowerCase()]), credentials.secret, credentials.nowSeconds);
  if (verdict.ok) return { ok: true, by: 'jwt' };
  return { ok: false, reason: bearer !== undefined && kind === 'frontend-or-jwt' ? 'wrong front-end token' : verdict.reason };
}

/**
 * `Authorization: GL-Geo <node id>:<JWT>`: the node the header names, proved
 * by a JWT signed with that node's own secret. Nothing else opens these
 * endpoints: not the hook's JWT, not the front-end token.
 */
function authenticateNode(header: string | undefined, credentials: Credentials): AuthVerdict {
  // Stryker disable next-line StringLiteral: equivalent: any other text is no node credential
  const match = /^GL-Geo +([1-9][0-9]{0,14}):(\S+) *$/i.exec(header ?? '');
  if (!match) return { ok: false, reason: header === undefined ? 'missing node credential' : 'not a node credential' };
  const nodeId = Number(match[1]);
  const secret = credentials.nodeSecrets.get(nodeId);
  if (secret === undefined) return { ok: false, reason: `node ${nodeId} is not a reporting secondary` };
  const verdict = verifyJwt(match[2], secret, credentials.nowSeconds, NODE_JWT_ISSUER);
  return verdict.ok ? { ok: true, by: 'node', nodeId } : { ok: false, reason: `node ${nodeId}: ${verdict.reason}` };
}

function bearerToken(header: string | undefined): string | undefined {
  // Stryker disable next-line StringLiteral: equivalent: any text without the scheme is no bearer token
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match?.[1];
}

/** Constant time whatever the lengths: both sides are hashed first. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
