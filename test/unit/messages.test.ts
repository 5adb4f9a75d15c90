import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveConfig } from '../../src/config/resolveConfig.js';
import { ApiError, UsageError } from '../../src/errors.js';
import { parseRefUpdates } from '../../src/hook/parseRefUpdates.js';
import { parseResponse } from '../../src/hook/parseResponse.js';
import { readHookEnv } from '../../src/hook/readHookEnv.js';
import { parseApiUrl } from '../../src/shared/apiUrl.js';
import { GL_ID, GL_REPOSITORY } from '../../src/shared/identifiers.js';
import { errorLine, pusherLine } from '../../src/messages.js';

/**
 * Every line a user reads for a mistake, in its exact words (written out
 * here by hand): a pusher sees them, so they are part of the interface.
 */

function thrown(run: () => unknown): Error {
  let error: unknown;
  try {
    run();
  } catch (caught) {
    error = caught;
  }
  if (error === undefined) assert.unreachable('accepted');
  return error as Error;
}

const Z = '0'.repeat(40);
const A = 'a'.repeat(40);
const S = 'b'.repeat(64);

test('ref updates', () => {
  const says = (input: string) => thrown(() => parseRefUpdates(input)).message;
  assert.is(says(''), 'hook got no reference updates on standard input');
  assert.is(says(`${Z} ${A}\n`), `standard input, line 1: expected "<old-oid> <new-oid> <ref>", got "${Z} ${A.slice(0, 19)}…"`);
  assert.is(says(`x ${A} refs/heads/a\n`), 'standard input, line 1: "x" is not an object id');
  assert.is(says(`${A} ${'A'.repeat(40)} refs/heads/a\n`), `standard input, line 1: "${'A'.repeat(40)}" is not an object id`);
  assert.is(says(`${A} ${A}0 refs/heads/a\n`), `standard input, line 1: "${A}0" is not an object id`);
  assert.is(says(`${A} ${S} refs/heads/a\n`), 'standard input, line 1: old and new object ids are of different hash algorithms');
  assert.is(says(`${Z} ${Z} refs/heads/a\n`), 'standard input, line 1: both object ids are zero');
  assert.is(says(`${A} ${A} heads/a\n`), 'standard input, line 1: "heads/a" is not a valid ref name');
  assert.is(says(`${A} ${A} refs/heads/a\n${A} ${A} ${'x'.repeat(70)}\n`), `standard input, line 2: "${'x'.repeat(60)}…" is not a valid ref name`);
  assert.instance(thrown(() => parseRefUpdates('')), UsageError);
  // SHA-256 ids, and a zero id of either length.
  assert.is(parseRefUpdates(`${'0'.repeat(64)} ${S} refs/heads/a\n`).length, 1);
});

test('the environment', () => {
  const base = { GL_ID: 'key-1', GL_REPOSITORY: 'project-1' };
  const says = (env: Record<string, string>) => thrown(() => readHookEnv(env)).message;
  assert.is(says({ GL_REPOSITORY: 'project-1' }), 'GL_ID is not set: to try the hook by hand, set it as a front end would (see geo-hook post-receive --help)');
  // Under git (GIT_DIR set) it is a real push that came round the front end: the operator's to fix.
  assert.is(
    says({ GL_REPOSITORY: 'project-1', GIT_DIR: '.' }),
    "GL_ID is not set: this push did not come through a front end that sets it (the server's web server or gitlab-shell): tell the server's operator",
  );
  assert.is(says({ GL_ID: '', GL_REPOSITORY: 'project-1' }), 'GL_ID is not set: to try the hook by hand, set it as a front end would (see geo-hook post-receive --help)');
  assert.is(says({ GL_ID: 'root', GL_REPOSITORY: 'project-1' }), 'GL_ID is "root", expected "user-<n>" or "key-<n>"');
  assert.is(says({ GL_ID: 'key-1' }), 'GL_REPOSITORY is not set: to try the hook by hand, set it as a front end would (see geo-hook post-receive --help)');
  assert.is(says({ ...base, GL_REPOSITORY: 'group/x' }), 'GL_REPOSITORY is "group/x", expected "project-<n>", "wiki-<n>" or "snippet-<n>"');
  assert.is(says({ ...base, GL_PROTOCOL: 'ftp' }), 'GL_PROTOCOL is "ftp", expected "http", "ssh" or "web"');
  assert.is(says({ ...base, CORRELATION_ID: 'a b' }), 'CORRELATION_ID is "a b", expected up to 128 printable ASCII characters');
  assert.is(says({ ...base, GEO_NODE_ID: '0' }), 'GEO_NODE_ID is "0", expected a positive integer');
  assert.is(says({ ...base, GL_PROJECT_PATH: 'a\u0007b' }), 'GL_PROJECT_PATH is "a\\u0007b", expected printable text');
  assert.is(says({ ...base, GL_USERNAME: 'x'.repeat(1025) }), `GL_USERNAME is "${'x'.repeat(60)}…", expected printable text`);
  assert.is(says({ ...base, GIT_PUSH_OPTION_COUNT: '101' }), 'GIT_PUSH_OPTION_COUNT is "101", expected a whole number up to 100');
  assert.is(says({ ...base, GIT_PUSH_OPTION_COUNT: '01' }), 'GIT_PUSH_OPTION_COUNT is "01", expected a whole number up to 100');
  assert.is(says({ ...base, GIT_PUSH_OPTION_COUNT: '2', GIT_PUSH_OPTION_0: 'a' }), 'GIT_PUSH_OPTION_COUNT is 2 but GIT_PUSH_OPTION_1 is not set');
  const fine = readHookEnv({ ...base, GL_PROTOCOL: '', CORRELATION_ID: '', GL_USERNAME: 'x'.repeat(1024), GIT_PUSH_OPTION_COUNT: '', GL_PROJECT_PATH: '' });
  assert.is(fine.glProtocol, undefined);
  assert.is(fine.correlationId, undefined);
  assert.is(fine.glProjectPath, undefined);
  assert.equal(fine.pushOptions, []);
  assert.equal(readHookEnv({ ...base, GIT_PUSH_OPTION_COUNT: '100', ...Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`GIT_PUSH_OPTION_${i}`, `o${i}`])) }).pushOptions.length, 100);
  assert.equal(readHookEnv({ ...base, GIT_PUSH_OPTION_COUNT: '0' }).pushOptions, []);
  for (const protocol of ['http', 'ssh', 'web']) assert.is(readHookEnv({ ...base, GL_PROTOCOL: protocol }).glProtocol, protocol);
});

test('identifiers: anchored at both ends', () => {
  for (const good of ['user-1', 'key-42', 'user-10']) assert.ok(GL_ID.test(good), good);
  for (const bad of ['user-0', 'key-01', 'xuser-1', 'user-1x', 'deploy-1', 'user-', 'key-4 2']) assert.not.ok(GL_ID.test(bad), bad);
  for (const good of ['project-7', 'wiki-1', 'snippet-30']) assert.ok(GL_REPOSITORY.test(good), good);
  for (const bad of ['project-0', 'xproject-7', 'project-7x', 'group-7', 'project-07']) assert.not.ok(GL_REPOSITORY.test(bad), bad);
});

test("the API's answers", () => {
  const says = (status: number, body: string, contentType: string | undefined) =>
    thrown(() => parseResponse({ status, body, contentType })) as ApiError;
  const cases: Array<[number, string, string | undefined, string, string]> = [
    [401, '{"message":"401 Unauthorized"}', 'application/json', 'the API refused our credentials (HTTP 401 Unauthorized): check the secret file: "401 Unauthorized"', 'EAUTH'],
    [403, '', undefined, 'the API refused our credentials (HTTP 403 Forbidden): check the secret file', 'EAUTH'],
    [404, '{"error":"nope"}', 'application/json; charset=utf-8', 'the API has no post_receive endpoint there (HTTP 404 Not Found): check the API URL: "nope"', 'ENOTFOUND'],
    [
      404,
      '{"message":"404 Project Not Found"}',
      'application/json',
      'the API does not know this repository (HTTP 404 Not Found: "404 Project Not Found"): check GL_REPOSITORY against the API\'s projects',
      'ENOPROJECT',
    ],
    [405, '', 'text/html', 'the API has no post_receive endpoint there (HTTP 405 Method Not Allowed): check the API URL', 'ENOTFOUND'],
    [501, '', 'text/html', 'the API has no post_receive endpoint there (HTTP 501 Not Implemented): check the API URL', 'ENOTFOUND'],
    [413, '{"message":"body larger than 33554432 bytes"}', 'application/json', 'the API refused the request as too large (HTTP 413 Content Too Large): "body larger than 33554432 bytes"', 'ETOOLARGE'],
    [500, '{"message":"boom"}', 'text/plain', 'the API failed (HTTP 500 Internal Server Error)', 'ESERVER'],
    [503, '{"message":5}', 'application/json', 'the API failed (HTTP 503 Service Unavailable)', 'ESERVER'],
    [599, '', undefined, 'the API failed (HTTP 599)', 'ESERVER'],
    [500, '{"error":5,"message":["x"]}', 'application/json', 'the API failed (HTTP 500 Internal Server Error)', 'ESERVER'],
    [500, '{"error":"from error"}', 'application/json', 'the API failed (HTTP 500 Internal Server Error): "from error"', 'ESERVER'],
    [418, '[1]', 'application/json', 'the API answered HTTP 418', 'EHTTP'],
    [429, '', undefined, 'the API answered HTTP 429 Too Many Requests', 'EHTTP'],
    [400, '', undefined, 'the API answered HTTP 400 Bad Request', 'EHTTP'],
    [408, '', undefined, 'the API answered HTTP 408 Request Timeout', 'EHTTP'],
    [409, '', undefined, 'the API answered HTTP 409 Conflict', 'EHTTP'],
    [422, '', undefined, 'the API answered HTTP 422 Unprocessable Content', 'EHTTP'],
    [502, '', undefined, 'the API failed (HTTP 502 Bad Gateway)', 'ESERVER'],
    [504, '', undefined, 'the API failed (HTTP 504 Gateway Timeout)', 'ESERVER'],
    // Only a 404 is the API not knowing the repository, whatever another status's reason says.
    [500, '{"message":"project database down"}', 'application/json', 'the API failed (HTTP 500 Internal Server Error): "project database down"', 'ESERVER'],
    [404, 'null', 'application/json', 'the API has no post_receive endpoint there (HTTP 404 Not Found): check the API URL', 'ENOTFOUND'],
    [199, '{"message":"early"}', 'application/json', 'the API answered HTTP 199: "early"', 'EHTTP'],
    [300, 'x', 'application/json', 'the API answered HTTP 300', 'EHTTP'],
    [200, '<html>', 'text/html; charset=utf-8', 'the API answered HTTP 200 with a body that is not JSON (text/html)', 'EBADREPLY'],
    [200, 'x', undefined, 'the API answered HTTP 200 with a body that is not JSON (no content type)', 'EBADREPLY'],
    [200, '[]', 'application/json', "the API's answer is not a post_receive reply: the body is not a JSON object", 'EBADREPLY'],
    [200, '{"messages":[]}', 'application/json', `the API's answer is not a post_receive reply: "reference_counter_decreased" is missing or not a boolean`, 'EBADREPLY'],
    [200, '{"reference_counter_decreased":true}', 'application/json', `the API's answer is not a post_receive reply: "messages" is missing or not an array`, 'EBADREPLY'],
    [200, '{"reference_counter_decreased":true,"messages":[{"type":"basic"}]}', 'application/json', `the API's answer is not a post_receive reply: messages[0] has no "message" string`, 'EBADREPLY'],
    [200, '{"reference_counter_decreased":true,"messages":[{"type":"basic","message":"a"},{"type":"warn","message":"b"}]}', 'application/json', `the API's answer is not a post_receive reply: messages[1] has unknown type "warn"`, 'EBADREPLY'],
    [200, '{"reference_counter_decreased":true,"messages":[{"type":3,"message":"b"}]}', 'application/json', `the API's answer is not a post_receive reply: messages[0] has unknown type 3`, 'EBADREPLY'],
  ];
  for (const [status, body, type, message, code] of cases) {
    const error = says(status, body, type);
    assert.instance(error, ApiError);
    assert.is(error.message, message);
    assert.is(error.code, code);
    assert.is(error.status, status);
  }
  assert.equal(parseResponse({ status: 299, body: '{"reference_counter_decreased":false,"messages":[]}', contentType: undefined }), { referenceCounterDecreased: false, messages: [] });
});

test('configuration', () => {
  const says = (sources: Parameters<typeof resolveConfig>[0]) => thrown(() => resolveConfig(sources)).message;
  const file = (json: unknown, text = JSON.stringify(json)) => ({ path: '/etc/geo-hook/c.json', text });
  assert.is(says({ flags: {}, env: {}, file: file(null, '[1]') }), 'config file /etc/geo-hook/c.json must hold a JSON object');
  assert.is(says({ flags: {}, env: {}, file: file(null, '{"a": 1 x}') }), 'config file /etc/geo-hook/c.json is not valid JSON (line 1, column 9)');
  assert.is(says({ flags: {}, env: {}, file: file(null, '{\n "password": "s3cret",\n "b": 1 x}') }), 'config file /etc/geo-hook/c.json is not valid JSON (line 3, column 9)');
  assert.is(says({ flags: {}, env: {}, file: file({ timeout: '5' }) }), '"timeout" in /etc/geo-hook/c.json "5" is not a number');
  assert.is(says({ flags: {}, env: { GEO_HOOK_TIMEOUT: 'soon' }, file: undefined }), 'GEO_HOOK_TIMEOUT "soon" is not a number');
  assert.is(says({ flags: { timeout: '0' }, env: {}, file: undefined }), '--timeout 0 must be above 0 and at most 3600');
  assert.is(says({ flags: {}, env: { GEO_HOOK_TIMEOUT: '0' }, file: undefined }), 'GEO_HOOK_TIMEOUT 0 must be above 0 and at most 3600');
  assert.is(says({ flags: {}, env: {}, file: file({ timeout: 0 }) }), '"timeout" in /etc/geo-hook/c.json 0 must be above 0 and at most 3600');
  assert.is(says({ flags: {}, env: {}, file: file({ legacy: 'yes' }) }), '"legacy" in /etc/geo-hook/c.json "yes" is not true or false');
  assert.is(says({ flags: {}, env: { GEO_HOOK_LEGACY: 'maybe' }, file: undefined }), 'GEO_HOOK_LEGACY "maybe" is not true or false');
  assert.is(says({ flags: {}, env: {}, file: file({ apiUrl: '' }) }), '"apiUrl" in /etc/geo-hook/c.json "" is not a non-empty string');
  assert.is(says({ flags: {}, env: { GEO_HOOK_PASSWORD: '' }, file: file({ password: 7 }) }), '"password" in /etc/geo-hook/c.json (hidden) is not a non-empty string');
  // Text values: numbers with spaces, booleans in words; an empty variable is no setting.
  const config = resolveConfig({ flags: {}, env: { GEO_HOOK_TIMEOUT: ' 2.5 ', GEO_HOOK_LEGACY: 'On', GEO_HOOK_API_URL: '' }, file: undefined });
  assert.equal([config.timeout, config.legacy, config.apiUrl], [2.5, true, 'http://127.0.0.1:8080']);
  for (const [text, value] of [['1', true], ['TRUE', true], ['yes', true], ['0', false], ['false', false], ['No', false], ['off', false]] as const) {
    assert.is(resolveConfig({ flags: {}, env: { GEO_HOOK_LEGACY: text }, file: undefined }).legacy, value, text);
  }
  // A default is never checked; a path from the file is relative to the file, one from a flag is as given.
  const paths = resolveConfig({ flags: { caFile: 'ca.pem' }, env: {}, file: file({ secretFile: 'secret', logFile: '/var/log/h.log', user: 'u' }) });
  assert.equal([paths.secretFile, paths.logFile, paths.caFile, paths.user], ['/etc/geo-hook/secret', '/var/log/h.log', 'ca.pem', 'u']);
  assert.is(resolveConfig({ flags: {}, env: {}, file: file({ timeout: 3600 }) }).timeout, 3600);
});

test('API URLs', () => {
  const cases: Array<[string, unknown]> = [
    ['not a url', { error: 'is not a URL' }],
    ['http://u:p@h', { error: 'must not hold credentials: use user and password' }],
    ['http://u@h', { error: 'must not hold credentials: use user and password' }],
    ['http://h/?a=1', { error: 'must not have a query or fragment' }],
    ['http://h/#x', { error: 'must not have a query or fragment' }],
    ['http+unix://%E0%A4%A', { error: 'has a badly percent-encoded socket path' }],
    ['http+unix://run%2Fa', { error: 'needs an absolute, percent-encoded socket path (%2Fpath%2Fto%2Fsocket)' }],
    ['http+unix://%2Fa%3Ab', { error: 'has a socket path with a colon, which cannot be used' }],
    ['ws://h', { error: 'must start with http://, https:// or http+unix://' }],
    ['http://h:81/prefix//', { kind: 'tcp', base: 'http://h:81/prefix' }],
    ['https://h', { kind: 'tcp', base: 'https://h' }],
    ['http+unix://%2Frun%2Fapi.socket/api//', { kind: 'unix', socketPath: '/run/api.socket', prefix: '/api' }],
  ];
  for (const [text, expected] of cases) assert.equal(parseApiUrl(text), expected, text);
});

test('each refusal carries its code, which the log records as error_code', () => {
  const code = (run: () => unknown) => (thrown(run) as Error & { code: string }).code;
  assert.is(code(() => parseRefUpdates('')), 'ENOUPDATES');
  for (const input of [`${Z} ${A}\n`, `x ${A} refs/heads/a\n`, `${A} x refs/heads/a\n`, `${A} ${S} refs/heads/a\n`, `${Z} ${Z} refs/heads/a\n`, `${A} ${A} heads/a\n`]) {
    assert.is(code(() => parseRefUpdates(input)), 'EBADUPDATE', input);
  }
  assert.is(code(() => readHookEnv({ GL_REPOSITORY: 'project-1' })), 'EBADENV');
  assert.is(code(() => readHookEnv({ GL_ID: 'root', GL_REPOSITORY: 'project-1' })), 'EBADENV');
  assert.is(code(() => readHookEnv({ GL_ID: 'key-1', GL_REPOSITORY: 'project-1', GIT_PUSH_OPTION_COUNT: '1' })), 'EBADENV');
  const file = (text: string) => ({ flags: {}, env: {}, file: { path: '/c.json', text } });
  assert.is(code(() => resolveConfig(file('{'))), 'ECONFIG');
  assert.is(code(() => resolveConfig(file('[]'))), 'ECONFIG');
  assert.is(code(() => resolveConfig(file('{"tmeout": 1}'))), 'ECONFIG');
  assert.is(code(() => resolveConfig(file('{"timeout": "x"}'))), 'ECONFIG');
  assert.is(code(() => resolveConfig(file('{"timeout": 0}'))), 'ECONFIG');
});

test('every line a pusher can be shown instead of an operator\'s is explained, word for word, in docs/troubleshooting.md', () => {
  const page = readFileSync(new URL('../../docs/troubleshooting.md', import.meta.url), 'utf8');
  for (const reason of ['unreachable', 'refused', 'answer', 'configuration'] as const) {
    const line = errorLine(pusherLine(reason)).trim();
    assert.ok(page.includes(`\`${line}\``), line);
  }
});

test.run();
