import { createHmac } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyJwt } from '../../src/server/verifyJwt.js';
import { claimsAt, secretFromFile, signJwt } from '../../src/shared/jwt.js';

const SECRET = 'a-shared-secret';
const NOW = 1_800_000_000;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const sign = (data: string, secret = SECRET) => createHmac('sha256', secret).update(data).digest('base64url');
const forge = (header: unknown, payload: unknown, secret = SECRET) => {
  const data = `${b64(header)}.${b64(payload)}`;
  return `${data}.${sign(data, secret)}`;
};

test('claims: iss gitlab-shell, iat now, exp now + 60 s', () => {
  assert.equal(claimsAt(NOW), { iss: 'gitlab-shell', iat: NOW, exp: NOW + 60 });
});

test('a signed token is HS256 and verifies', () => {
  const token = signJwt(claimsAt(NOW), SECRET);
  const [header, payload] = token.split('.');
  assert.equal(JSON.parse(Buffer.from(header!, 'base64url').toString()), { alg: 'HS256', typ: 'JWT' });
  assert.equal(JSON.parse(Buffer.from(payload!, 'base64url').toString()), claimsAt(NOW));
  assert.equal(verifyJwt(token, SECRET, NOW), { ok: true, claims: claimsAt(NOW) });
});

test('the signature is HMAC-SHA256 over header.payload (interoperable)', () => {
  const token = signJwt(claimsAt(NOW), SECRET);
  const [header, payload, signature] = token.split('.');
  assert.is(signature, sign(`${header}.${payload}`));
});

test('the token is byte for byte what an independent HMAC-SHA256 makes (computed with Python\'s hmac module)', () => {
  const claims = claimsAt(NOW);
  assert.is(
    signJwt(claims, SECRET),
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJnaXRsYWItc2hlbGwiLCJpYXQiOjE4MDAwMDAwMDAsImV4cCI6MTgwMDAwMDA2MH0.XA-T11gl5yD6aWe8OxfflnIoTw3NrqwWatz7GNtqwaY',
  );
  // 140 bytes of UTF-8: longer than SHA-256's 64-byte block, so HMAC hashes the key first.
  assert.is(
    signJwt(claims, 'ü'.repeat(70)),
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJnaXRsYWItc2hlbGwiLCJpYXQiOjE4MDAwMDAwMDAsImV4cCI6MTgwMDAwMDA2MH0.dAxYBw5dX0YlQC6X265npjxMiFcoL8j14RZzSjcEhqU',
  );
});

test('signing (pure JavaScript) and node:crypto agree for secrets of every length around the block size, ASCII or not', () => {
  for (let length = 0; length <= 140; length++) {
    for (const unit of ['k', 'é', '鍵']) {
      const secret = unit.repeat(length);
      const token = signJwt(claimsAt(NOW + length), secret);
      const [header, payload, signature] = token.split('.');
      assert.is(signature, sign(`${header}.${payload}`, secret), `${length} × ${unit}`);
      assert.ok(verifyJwt(token, secret, NOW + length).ok, `${length} × ${unit}`);
    }
  }
});

test('60 s of leeway, and no more', () => {
  const token = signJwt(claimsAt(NOW), SECRET);
  assert.ok(verifyJwt(token, SECRET, NOW + 120).ok);
  assert.equal(verifyJwt(token, SECRET, NOW + 121), { ok: false, reason: 'expired' });
  assert.ok(verifyJwt(token, SECRET, NOW - 60).ok);
  assert.equal(verifyJwt(token, SECRET, NOW - 61), { ok: false, reason: 'issued in the future' });
});

test('refused: missing, malformed, alg none, other algorithm, wrong issuer, tampered, other secret', () => {
  const claims = claimsAt(NOW);
  const reason = (token: string | undefined) => {
    const verdict = verifyJwt(token, SECRET, NOW);
    return verdict.ok ? 'accepted' : verdict.reason;
  };
  assert.is(reason(undefined), 'missing token');
  assert.is(reason('abc'), 'malformed token');
  assert.is(reason(`${b64({ alg: 'none' })}.${b64(claims)}.`), 'unsupported algorithm');
  assert.is(reason(forge({ alg: 'HS512', typ: 'JWT' }, claims)), 'unsupported algorithm');
  assert.is(reason(forge({ alg: 'HS256' }, { ...claims, iss: 'someone-else' })), 'wrong issuer');
  assert.is(reason(forge({ alg: 'HS256' }, { iss: 'gitlab-shell' })), 'no expiry');
  const good = signJwt(claims, SECRET);
  const [header, , signature] = good.split('.');
  assert.is(reason(`${header}.${b64({ ...claims, exp: NOW + 9999 })}.${signature}`), 'bad signature');
  assert.is(reason(`${good.slice(0, -2)}xx`), 'bad signature');
  assert.is(reason(signJwt(claims, 'another-installation')), 'bad signature');
});

test('the secret file is trimmed', () => {
  assert.is(secretFromFile('  s3cret\n'), 's3cret');
  assert.is(secretFromFile('\n\t'), '');
});

test('claims the server needs: an object with a finite iat and exp, living 120 s at most', () => {
  const reason = (token: string) => {
    const verdict = verifyJwt(token, SECRET, NOW);
    return verdict.ok ? 'accepted' : verdict.reason;
  };
  const header = b64({ alg: 'HS256' });
  const signed = (payloadPart: string) => `${header}.${payloadPart}.${sign(`${header}.${payloadPart}`)}`;
  assert.is(reason(signed(Buffer.from('not json').toString('base64url'))), 'malformed claims');
  assert.is(reason(forge({ alg: 'HS256' }, ['gitlab-shell'])), 'malformed claims');
  assert.is(reason(forge({ alg: 'HS256' }, { iss: 'gitlab-shell', iat: NOW })), 'no expiry');
  assert.is(reason(forge({ alg: 'HS256' }, { iss: 'gitlab-shell', iat: NOW, exp: String(NOW + 60) })), 'no expiry');
  // JSON's 1e400 is Infinity: a number, and still no expiry.
  assert.is(reason(signed(Buffer.from(`{"iss":"gitlab-shell","iat":${NOW},"exp":1e400}`).toString('base64url'))), 'no expiry');
  assert.is(reason(forge({ alg: 'HS256' }, { iss: 'gitlab-shell', exp: NOW + 60 })), 'no issue time');
  assert.is(reason(forge({ alg: 'HS256' }, { iss: 'gitlab-shell', iat: String(NOW), exp: NOW + 60 })), 'no issue time');
  assert.is(reason(signed(Buffer.from(`{"iss":"gitlab-shell","iat":-1e400,"exp":${NOW + 60}}`).toString('base64url'))), 'no issue time');
  assert.is(reason(forge({ alg: 'HS256' }, { iss: 'gitlab-shell', iat: NOW - 61, exp: NOW + 60 })), 'lifetime too long');
  assert.is(reason(forge({ alg: 'HS256' }, { iss: 'gitlab-shell', iat: NOW - 60, exp: NOW + 60 })), 'accepted', 'exactly 120 s is allowed');
  // A signature of another length is refused, not thrown over.
  assert.is(reason(`${header}.${b64(claimsAt(NOW))}.abc`), 'bad signature');
});

test.run();
