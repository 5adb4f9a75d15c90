import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { usableNodeId, validatePostReceive } from '../../src/server/validatePostReceive.js';

const LINE = `${'0'.repeat(40)} ${'a'.repeat(40)} refs/heads/main\n`;
const body = (extra: Record<string, unknown> = {}) => ({ gl_repository: 'project-7', identifier: 'key-42', changes: LINE, ...extra });

test('a minimal body: defaults filled, nothing invented', () => {
  assert.equal(validatePostReceive(body()), {
    glRepository: 'project-7',
    identifier: 'key-42',
    changes: LINE,
    pushOptions: [],
    glUsername: undefined,
    correlationId: undefined,
    geoNodeId: undefined,
  });
});

test('a full body, as the hook sends it', () => {
  assert.equal(validatePostReceive(body({ push_options: ['ci.skip', ''], gl_username: 'deployer', correlation_id: 'req-1', geo_node_id: 2 })), {
    glRepository: 'project-7',
    identifier: 'key-42',
    changes: LINE,
    pushOptions: ['ci.skip', ''],
    glUsername: 'deployer',
    correlationId: 'req-1',
    geoNodeId: 2,
  });
});

test('null optional values are absent values', () => {
  const params = validatePostReceive(body({ gl_username: null, correlation_id: null, geo_node_id: null }));
  assert.ok(!('error' in params));
  assert.is((params as { glUsername: unknown }).glUsername, undefined);
  assert.is((params as { correlationId: unknown }).correlationId, undefined);
  assert.is((params as { geoNodeId: unknown }).geoNodeId, null, 'a bad node id is judged later, leniently');
});

test('each field refused with its own words', () => {
  const cases: Array<[unknown, string]> = [
    [null, 'body must be a JSON object'],
    [[body()], 'body must be a JSON object'],
    ['text', 'body must be a JSON object'],
    [body({ gl_repository: undefined }), 'gl_repository is missing or invalid'],
    [body({ gl_repository: 7 }), 'gl_repository is missing or invalid'],
    [body({ gl_repository: 'project-0' }), 'gl_repository is missing or invalid'],
    [body({ gl_repository: 'x project-7' }), 'gl_repository is missing or invalid'],
    [body({ identifier: undefined }), 'identifier is missing or invalid'],
    [body({ identifier: 42 }), 'identifier is missing or invalid'],
    [body({ identifier: 'key-42 ' }), 'identifier is missing or invalid'],
    [body({ changes: undefined }), 'changes is missing or empty'],
    [body({ changes: '' }), 'changes is missing or empty'],
    [body({ changes: ['x'] }), 'changes is missing or empty'],
    [body({ push_options: 'ci.skip' }), 'push_options must be an array of strings'],
    [body({ push_options: ['ci.skip', 1] }), 'push_options must be an array of strings'],
    [body({ push_options: [1] }), 'push_options must be an array of strings'],
    [body({ gl_username: 5 }), 'gl_username must be a string'],
    [body({ gl_username: false }), 'gl_username must be a string'],
    [body({ correlation_id: 5 }), 'correlation_id must be up to 128 printable ASCII characters'],
    [body({ correlation_id: 'a b' }), 'correlation_id must be up to 128 printable ASCII characters'],
    [body({ correlation_id: 'x'.repeat(129) }), 'correlation_id must be up to 128 printable ASCII characters'],
    [body({ correlation_id: '' }), 'correlation_id must be up to 128 printable ASCII characters'],
  ];
  for (const [input, error] of cases) assert.equal(validatePostReceive(input), { error }, JSON.stringify(input));
  assert.not.ok('error' in validatePostReceive(body({ correlation_id: 'x'.repeat(128) })));
});

test('usableNodeId: positive safe integers only', () => {
  for (const good of [1, 2, 2 ** 53 - 1]) assert.is(usableNodeId(good), good);
  for (const bad of [0, -1, 1.5, 2 ** 53, Number.NaN, Infinity, '2', null, undefined, {}, [2], true]) assert.is(usableNodeId(bad), undefined, String(bad));
});

test('identifiers must be strings, not arrays that read like them', () => {
  assert.equal(validatePostReceive(body({ gl_repository: ['project-7'] })), { error: 'gl_repository is missing or invalid' });
  assert.equal(validatePostReceive(body({ identifier: ['key-42'] })), { error: 'identifier is missing or invalid' });
});

test.run();
