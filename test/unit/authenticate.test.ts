import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { authenticate } from '../../src/server/authenticate.js';
import { claimsAt, signJwt } from '../../src/shared/jwt.js';

const NOW = 1_800_000_000;
const credentials = { secret: 'the-secret', frontendToken: 'front-token', nowSeconds: NOW };
const jwt = (secret = 'the-secret') => ({ 'gitlab-shell-api-request': signJwt(claimsAt(NOW), secret) });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test('none: every request', () => {
  assert.equal(authenticate('none', {}, credentials), { ok: true, by: 'none' });
});

test('jwt: the token of gitlab-shell, and nothing else', () => {
  assert.equal(authenticate('jwt', jwt(), credentials), { ok: true, by: 'jwt' });
  assert.equal(authenticate('jwt', {}, credentials), { ok: false, reason: 'missing token' });
  assert.equal(authenticate('jwt', jwt('other'), credentials), { ok: false, reason: 'bad signature' });
  assert.equal(authenticate('jwt', { ...jwt(), ...bearer('front-token') }, credentials), { ok: false, reason: 'front-end token not valid here' });
  assert.equal(authenticate('jwt', bearer('front-token'), credentials), { ok: false, reason: 'front-end token not valid here' });
  // Another bearer token is simply not ours: the JWT decides.
  assert.equal(authenticate('jwt', { ...jwt(), ...bearer('something-else') }, credentials), { ok: true, by: 'jwt' });
  assert.equal(authenticate('jwt', { 'gitlab-shell-api-request': [signJwt(claimsAt(NOW), 'the-secret'), 'x'] } as never, credentials), { ok: true, by: 'jwt' });
});

test('frontend-or-jwt: the front-end token or the JWT', () => {
  assert.equal(authenticate('frontend-or-jwt', bearer('front-token'), credentials), { ok: true, by: 'frontend-token' });
  assert.equal(authenticate('frontend-or-jwt', { authorization: 'bearer   front-token ' }, credentials), { ok: true, by: 'frontend-token' });
  assert.equal(authenticate('frontend-or-jwt', jwt(), credentials), { ok: true, by: 'jwt' });
  assert.equal(authenticate('frontend-or-jwt', bearer('front-tokenx'), credentials), { ok: false, reason: 'wrong front-end token' });
  assert.equal(authenticate('frontend-or-jwt', bearer('front-toke'), credentials), { ok: false, reason: 'wrong front-end token' });
  assert.equal(authenticate('frontend-or-jwt', { authorization: 'Basic front-token' }, credentials), { ok: false, reason: 'missing token' });
  assert.equal(authenticate('frontend-or-jwt', { authorization: 'Bearer front token' }, credentials), { ok: false, reason: 'missing token' });
  assert.equal(authenticate('frontend-or-jwt', {}, credentials), { ok: false, reason: 'missing token' });
  // Without a token file, only the JWT opens it.
  assert.equal(authenticate('frontend-or-jwt', bearer('front-token'), { ...credentials, frontendToken: undefined }), { ok: false, reason: 'wrong front-end token' });
});

test('a Bearer that is not the front-end token, on a JWT-only endpoint, is judged as the JWT it lacks', () => {
  assert.equal(authenticate('jwt', bearer('nope'), credentials), { ok: false, reason: 'missing token' });
  assert.equal(authenticate('frontend-or-jwt', bearer('nope'), credentials), { ok: false, reason: 'wrong front-end token' });
  // Only a header that starts with the scheme: "NotBearer <token>" is no bearer token.
  assert.equal(authenticate('frontend-or-jwt', { authorization: 'NotBearer front-token' }, credentials), { ok: false, reason: 'missing token' });
});

test.run();
