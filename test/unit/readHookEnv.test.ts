import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from '../../src/errors.js';
import { readHookEnv } from '../../src/hook/readHookEnv.js';
import { throwsError } from '../helpers/assertions.js';

const base = { GL_ID: 'key-42', GL_REPOSITORY: 'project-7' };

const rejects = (env: Record<string, string>, pattern: RegExp) => throwsError(() => readHookEnv(env), UsageError, pattern, JSON.stringify(env));

test('the minimal environment', () => {
  const context = readHookEnv(base);
  assert.is(context.glId, 'key-42');
  assert.is(context.glRepository, 'project-7');
  assert.is(context.geoNodeId, undefined);
  assert.is(context.correlationId, undefined);
  assert.equal(context.pushOptions, []);
});

test('everything set', () => {
  const context = readHookEnv({
    ...base,
    GL_USERNAME: 'deployer',
    GL_PROTOCOL: 'http',
    GL_PROJECT_PATH: 'group/project',
    CORRELATION_ID: '01J9Z3ABCDEF',
    GEO_NODE_ID: '2',
    GIT_PUSH_OPTION_COUNT: '2',
    GIT_PUSH_OPTION_0: 'ci.skip',
    GIT_PUSH_OPTION_1: 'merge_request.create',
  });
  assert.is(context.geoNodeId, 2);
  assert.is(context.correlationId, '01J9Z3ABCDEF');
  assert.is(context.glUsername, 'deployer');
  assert.equal(context.pushOptions, ['ci.skip', 'merge_request.create']);
});

test('user, wiki and snippet forms', () => {
  assert.is(readHookEnv({ GL_ID: 'user-1', GL_REPOSITORY: 'wiki-3' }).glRepository, 'wiki-3');
  assert.is(readHookEnv({ GL_ID: 'user-1', GL_REPOSITORY: 'snippet-3' }).glId, 'user-1');
});

test('empty optional values count as absent', () => {
  assert.is(readHookEnv({ ...base, GEO_NODE_ID: '', CORRELATION_ID: '' }).geoNodeId, undefined);
});

test('missing or malformed required values', () => {
  rejects({ GL_REPOSITORY: 'project-7' }, /GL_ID is not set/);
  rejects({ GL_ID: 'key-42' }, /GL_REPOSITORY is not set/);
  rejects({ ...base, GL_ID: 'deploy-42' }, /GL_ID is "deploy-42", expected/);
  rejects({ ...base, GL_ID: 'key-042' }, /GL_ID/);
  rejects({ ...base, GL_REPOSITORY: 'project-x' }, /GL_REPOSITORY/);
});

test('a malformed GEO_NODE_ID is reported, never sent', () => {
  for (const bad of ['0', '-1', '2a', ' 2', '1.5', '99999999999999999999', 'two']) {
    rejects({ ...base, GEO_NODE_ID: bad }, /GEO_NODE_ID .* expected a positive integer/);
  }
});

test('a correlation id that could break a header is refused', () => {
  rejects({ ...base, CORRELATION_ID: 'a b' }, /CORRELATION_ID/);
  rejects({ ...base, CORRELATION_ID: 'a\r\nX-Evil: 1' }, /CORRELATION_ID/);
  rejects({ ...base, CORRELATION_ID: 'x'.repeat(129) }, /CORRELATION_ID/);
});

test('push options must all be there', () => {
  rejects({ ...base, GIT_PUSH_OPTION_COUNT: '2', GIT_PUSH_OPTION_0: 'a' }, /GIT_PUSH_OPTION_1 is not set/);
  rejects({ ...base, GIT_PUSH_OPTION_COUNT: 'many' }, /GIT_PUSH_OPTION_COUNT/);
});

test('control bytes in the username are refused', () => {
  rejects({ ...base, GL_USERNAME: 'eve\x1b[2J' }, /GL_USERNAME/);
});

test('GL_PROTOCOL and GEO_NODE_ID are whole words', () => {
  const base = { GL_ID: 'key-1', GL_REPOSITORY: 'project-1' };
  for (const protocol of ['xhttp', 'httpx', 'sshd']) throwsError(() => readHookEnv({ ...base, GL_PROTOCOL: protocol }), UsageError, /^GL_PROTOCOL is /);
  for (const id of ['2x', '2a', '12 ']) throwsError(() => readHookEnv({ ...base, GEO_NODE_ID: id }), UsageError, /^GEO_NODE_ID is /);
  assert.is(readHookEnv({ ...base, GEO_NODE_ID: '22' }).geoNodeId, 22);
  assert.is(readHookEnv({ ...base, GEO_NODE_ID: '109' }).geoNodeId, 109);
});

test.run();
