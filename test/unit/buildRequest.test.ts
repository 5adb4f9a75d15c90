import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildCheckRequest, buildRequest, describeRequest } from '../../src/hook/buildRequest.js';
import { parseRefUpdates } from '../../src/hook/parseRefUpdates.js';
import { readHookEnv } from '../../src/hook/readHookEnv.js';
import { parseApiUrl, type ApiUrl } from '../../src/shared/apiUrl.js';
import { verifyJwt } from '../../src/server/verifyJwt.js';

const NOW = 1_800_000_000;
const line = `${'0'.repeat(40)} ${'a'.repeat(40)} refs/heads/main\n`;
const api = (url: string) => parseApiUrl(url) as ApiUrl;

function request(env: Record<string, string>, url = 'http://gitlab.test/') {
  return buildRequest({
    api: api(url),
    context: readHookEnv({ GL_ID: 'key-42', GL_REPOSITORY: 'project-7', ...env }),
    updates: parseRefUpdates(line),
    secret: 's3cret',
    nowSeconds: NOW,
    version: '1.2.3',
  });
}

test('the body upstream sends, and nothing unknown', () => {
  const built = request({});
  assert.is(built.method, 'POST');
  assert.is(built.url, 'http://gitlab.test/api/v4/internal/post_receive');
  assert.equal(JSON.parse(built.body!), { gl_repository: 'project-7', identifier: 'key-42', changes: line, push_options: [] });
  assert.is(built.headers['x-request-id'], undefined);
});

test('the two fixes travel in the body when known', () => {
  const built = request({ GEO_NODE_ID: '2', CORRELATION_ID: 'req-1', GL_USERNAME: 'deployer', GIT_PUSH_OPTION_COUNT: '1', GIT_PUSH_OPTION_0: 'ci.skip' });
  assert.equal(JSON.parse(built.body!), {
    gl_repository: 'project-7',
    identifier: 'key-42',
    changes: line,
    push_options: ['ci.skip'],
    gl_username: 'deployer',
    geo_node_id: 2,
    correlation_id: 'req-1',
  });
  assert.is(built.headers['x-request-id'], 'req-1');
});

test('headers: JSON, user agent, a valid token', () => {
  const built = request({});
  assert.is(built.headers['content-type'], 'application/json');
  assert.is(built.headers['user-agent'], 'geo-hook/1.2.3');
  assert.equal(verifyJwt(built.headers['gitlab-shell-api-request'], 's3cret', NOW), {
    ok: true,
    claims: { iss: 'gitlab-shell', iat: NOW, exp: NOW + 60 },
  });
});

test('URL forms: prefix, https, Unix socket', () => {
  assert.is(request({}, 'https://gitlab.test:8443/gitlab/').url, 'https://gitlab.test:8443/gitlab/api/v4/internal/post_receive');
  const unix = request({}, 'http+unix://%2Fvar%2Frun%2Fapi.socket');
  assert.is(unix.url, 'http://unix:/var/run/api.socket:/api/v4/internal/post_receive');
  assert.is(unix.displayUrl, 'http+unix://%2Fvar%2Frun%2Fapi.socket/api/v4/internal/post_receive');
});

test('the dry-run description hides the token and the password', () => {
  const built = request({ CORRELATION_ID: 'req-1' });
  const text = describeRequest(built, 'ops');
  assert.not.ok(text.includes(built.headers['gitlab-shell-api-request']!));
  assert.match(text, /gitlab-shell-api-request: \[redacted\]/);
  assert.match(text, /authorization: Basic \[redacted\] \(user "ops"\)/);
  assert.match(text, /^POST http:\/\/gitlab.test\/api\/v4\/internal\/post_receive\n/);
  assert.match(text, /"correlation_id": "req-1"/);
});

test('no x-request-id header at all without a correlation id', () => {
  assert.equal(Object.keys(request({}).headers).sort(), ['content-type', 'gitlab-shell-api-request', 'user-agent']);
});

test('the check request of geo-hook check: GET, user agent, a valid token, no body', () => {
  const built = buildCheckRequest(api('http://gitlab.test/prefix'), 's3cret', NOW, '1.2.3');
  assert.equal(Object.keys(built).sort(), ['displayUrl', 'headers', 'method', 'url']);
  assert.is(built.method, 'GET');
  assert.is(built.url, 'http://gitlab.test/prefix/api/v4/internal/check');
  assert.is(built.displayUrl, 'http://gitlab.test/prefix/api/v4/internal/check');
  assert.equal(Object.keys(built.headers).sort(), ['gitlab-shell-api-request', 'user-agent']);
  assert.is(built.headers['user-agent'], 'geo-hook/1.2.3');
  assert.ok(verifyJwt(built.headers['gitlab-shell-api-request'], 's3cret', NOW).ok);
});

test('the dry-run description, whole: only the token hidden; a request without a body or basic auth', () => {
  const built = request({ CORRELATION_ID: 'req-1' });
  assert.is(
    describeRequest(built, undefined),
    [
      'POST http://gitlab.test/api/v4/internal/post_receive',
      'content-type: application/json',
      'user-agent: geo-hook/1.2.3',
      'gitlab-shell-api-request: [redacted]',
      'x-request-id: req-1',
      '',
      '{',
      '  "gl_repository": "project-7",',
      '  "identifier": "key-42",',
      `  "changes": "${line.replace('\n', '\\n')}",`,
      '  "push_options": [],',
      '  "correlation_id": "req-1"',
      '}',
      '',
    ].join('\n'),
  );
  const check = buildCheckRequest(api('http://gitlab.test/'), 's3cret', NOW, '1.2.3');
  assert.is(describeRequest(check, undefined), 'GET http://gitlab.test/api/v4/internal/check\nuser-agent: geo-hook/1.2.3\ngitlab-shell-api-request: [redacted]\n');
});

test.run();
