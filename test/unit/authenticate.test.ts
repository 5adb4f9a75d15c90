import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { authenticate } from '../../src/server/authenticate.js';
import { claimsAt, nodeAuthorization, signJwt } from '../../src/shared/jwt.js';

const NOW = 1_800_000_000;
const credentials = { secret: 'the-secret', frontendToken: 'front-token', nodeSecrets: new Map([[2, 'node-2-secret'], [3, 'node-3-secret']]), nowSeconds: NOW };
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

test('node: GL-Geo <id>:<JWT>, signed with that node\'s secret under its own issuer', () => {
  const node = (id: number, secret: string, at = NOW) => ({ authorization: nodeAuthorization(id, secret, at) });
  assert.equal(authenticate('node', node(2, 'node-2-secret'), credentials), { ok: true, by: 'node', nodeId: 2 });
  assert.equal(authenticate('node', node(3, 'node-3-secret'), credentials), { ok: true, by: 'node', nodeId: 3 });
  // The header names node 3, the token is node 2's: the signature decides who speaks.
  assert.equal(authenticate('node', node(3, 'node-2-secret'), credentials), { ok: false, reason: 'node 3: bad signature' });
  assert.equal(authenticate('node', node(4, 'node-2-secret'), credentials), { ok: false, reason: 'node 4 is not a reporting secondary' });
  assert.equal(authenticate('node', node(2, 'node-2-secret', NOW - 121), credentials), { ok: false, reason: 'node 2: expired' });
  assert.equal(authenticate('node', node(2, 'node-2-secret', NOW - 119), credentials), { ok: true, by: 'node', nodeId: 2 });
  // A hook token signed with the node's secret is still the hook's issuer: refused.
  assert.equal(authenticate('node', { authorization: `GL-Geo 2:${signJwt(claimsAt(NOW), 'node-2-secret')}` }, credentials), { ok: false, reason: 'node 2: wrong issuer' });
  assert.equal(authenticate('node', jwt(), credentials), { ok: false, reason: 'missing node credential' });
  assert.equal(authenticate('node', bearer('front-token'), credentials), { ok: false, reason: 'not a node credential' });
  assert.equal(authenticate('node', { authorization: 'GL-Geo 0:x.y.z' }, credentials), { ok: false, reason: 'not a node credential' });
  // The node's credential opens nothing of the hook's.
  assert.equal(authenticate('jwt', node(2, 'node-2-secret'), credentials), { ok: false, reason: 'missing token' });
  assert.equal(authenticate('frontend-or-jwt', node(2, 'node-2-secret'), credentials), { ok: false, reason: 'missing token' });
});

test.run();
