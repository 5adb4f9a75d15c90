import { createHmac, timingSafeEqual } from 'node:crypto';
import { isRecord } from './isRecord.js';
import { isFiniteNumber } from './numbers.js';

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

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** The secret file's content with surrounding whitespace trimmed, as upstream reads it. */
export function secretFromFile(content: string): string {
  return content.trim();
}

export function claimsAt(nowSeconds: number): JwtClaims {
  return { iss: JWT_ISSUER, iat: nowSeconds, exp: nowSeconds + JWT_TTL_SECONDS };
}

export function signJwt(claims: JwtClaims, secret: string): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify(claims));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

export type JwtVerdict = { ok: true; claims: JwtClaims } | { ok: false; reason: string };

/** Verifies a token the way the API must: HS256 only, right issuer, not expired beyond the leeway, a short life. */
export function verifyJwt(token: string | undefined, secret: string, nowSeconds: number): JwtVerdict {
  if (!token) return { ok: false, reason: 'missing token' };
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed token' };
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJson(headerPart);
  // Checking alg before the signature is what stops `alg: none` and algorithm confusion.
  if (!isRecord(header) || header.alg !== 'HS256') return { ok: false, reason: 'unsupported algorithm' };
  const expected = createHmac('sha256', secret).update(`${headerPart}.${payloadPart}`).digest();
  const given = Buffer.from(signaturePart, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad signature' };
  }
  const claims = decodeJson(payloadPart);
  if (!isRecord(claims)) return { ok: false, reason: 'malformed claims' };
  if (claims.iss !== JWT_ISSUER) return { ok: false, reason: 'wrong issuer' };
  const { iat, exp } = claims;
  if (!isFiniteNumber(exp)) return { ok: false, reason: 'no expiry' };
  if (!isFiniteNumber(iat)) return { ok: false, reason: 'no issue time' };
  if (exp - iat > JWT_MAX_LIFETIME_SECONDS) return { ok: false, reason: 'lifetime too long' };
  if (nowSeconds > exp + JWT_LEEWAY_SECONDS) return { ok: false, reason: 'expired' };
  if (iat > nowSeconds + JWT_LEEWAY_SECONDS) return { ok: false, reason: 'issued in the future' };
  return { ok: true, claims: { iss: JWT_ISSUER, iat, exp } };
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    // Not JSON: no header, no claims.
  }
  return undefined;
}
