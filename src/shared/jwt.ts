import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

/**
 * The internal API's authentication, as gitlab-shell and GitLab do it: a JWT
 * signed HS256 with the shared secret, `iss: "gitlab-shell"`, valid 60 s.
 * https://gitlab.com/gitlab-org/gitlab-shell/-/blob/main/client/gitlabnet.go
 */
export const JWT_HEADER = 'Gitlab-Shell-Api-Request';
export const JWT_ISSUER = 'gitlab-shell';
export const JWT_TTL_SECONDS = 60;
export const JWT_LEEWAY_SECONDS = 60;
/** Beyond upstream: a token that could live longer than this is refused, so a leaked one dies soon. */
export const JWT_MAX_LIFETIME_SECONDS = 120;

export interface JwtClaims {
  readonly iss: string;
  readonly iat: number;
  readonly exp: number;
}

const base64url = (data: Uint8Array | string) => Buffer.from(data).toString('base64url');

/** The secret file's content with surrounding whitespace trimmed, as upstream reads it. */
export function secretFromFile(content: string): string {
  return content.trim();
}

export function claimsAt(nowSeconds: number, issuer: string = JWT_ISSUER): JwtClaims {
  return { iss: issuer, iat: nowSeconds, exp: nowSeconds + JWT_TTL_SECONDS };
}

/**
 * A secondary's own credential (contract section 11): a JWT signed with that
 * node's secret, under another issuer than the hook's, sent as
 * `Authorization: GL-Geo <node id>:<JWT>`.
 */
export const NODE_JWT_ISSUER = 'geo-hook-node';
export const NODE_AUTH_SCHEME = 'GL-Geo';

export function nodeAuthorization(nodeId: number, secret: string, nowSeconds: number): string {
  return `${NODE_AUTH_SCHEME} ${nodeId}:${signJwt(claimsAt(nowSeconds, NODE_JWT_ISSUER), secret)}`;
}

/**
 * Signs with @noble/hashes (audited, pure JavaScript) rather than node:crypto:
 * the hook signs one token per run, and loading node:crypto (27 modules)
 * costs every push about 5 ms (npm run bench). The API verifies with
 * node:crypto (src/server/verifyJwt.ts), and the tests check the two agree.
 */
export function signJwt(claims: JwtClaims, secret: string): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify(claims));
  const signature = base64url(hmac(sha256, Buffer.from(secret), Buffer.from(`${header}.${payload}`)));
  return `${header}.${payload}.${signature}`;
}
