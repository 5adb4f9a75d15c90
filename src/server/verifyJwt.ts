import { createHmac, timingSafeEqual } from 'node:crypto';
import { JWT_ISSUER, JWT_LEEWAY_SECONDS, JWT_MAX_LIFETIME_SECONDS, type JwtClaims } from '../shared/jwt.js';
import { isRecord } from '../shared/isRecord.js';
import { isFiniteNumber } from '../shared/numbers.js';

export type JwtVerdict = { ok: true; claims: JwtClaims } | { ok: false; reason: string };

/** Verifies a token the way the API must: HS256 only, right issuer, not expired beyond the leeway, a short life. */
export function verifyJwt(token: string | undefined, secret: string, nowSeconds: number, issuer: string = JWT_ISSUER): JwtVerdict {
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
  if (claims.iss !== issuer) return { ok: false, reason: 'wrong issuer' };
  const { iat, exp } = claims;
  if (!isFiniteNumber(exp)) return { ok: false, reason: 'no expiry' };
  if (!isFiniteNumber(iat)) return { ok: false, reason: 'no issue time' };
  if (exp - iat > JWT_MAX_LIFETIME_SECONDS) return { ok: false, reason: 'lifetime too long' };
  if (nowSeconds > exp + JWT_LEEWAY_SECONDS) return { ok: false, reason: 'expired' };
  if (iat > nowSeconds + JWT_LEEWAY_SECONDS) return { ok: false, reason: 'issued in the future' };
  return { ok: true, claims: { iss: issuer, iat, exp } };
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    // Not JSON: no header, no claims.
  }
  return undefined;
}
