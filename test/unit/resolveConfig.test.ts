import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configFilePath, resolveConfig } from '../../src/config/resolveConfig.js';
import { UsageError } from '../../src/errors.js';
import { throwsError } from '../helpers/assertions.js';

const file = (json: unknown, path = '/etc/geo-hook/config.json') => ({ path, text: JSON.stringify(json) });

const rejects = (run: () => unknown, pattern: RegExp) => throwsError(run, UsageError, pattern);

test('defaults', () => {
  const config = resolveConfig({ flags: {}, env: {} });
  assert.is(config.apiUrl, 'http://127.0.0.1:8080');
  assert.is(config.timeout, 10);
  assert.is(config.secretFile, undefined);
  assert.is(config.legacy, false);
  assert.ok(Object.isFrozen(config));
});

test('precedence: flag over environment over file over default', () => {
  const sources = {
    flags: { timeout: '3' },
    env: { GEO_HOOK_TIMEOUT: '4', GEO_HOOK_API_URL: 'http://env.test' },
    file: file({ timeout: 5, apiUrl: 'http://file.test', logFile: 'hook.log' }),
  };
  const config = resolveConfig(sources);
  assert.is(config.timeout, 3);
  assert.is(config.apiUrl, 'http://env.test');
  assert.is(config.logFile, '/etc/geo-hook/hook.log');
  assert.is(resolveConfig({ ...sources, flags: {} }).timeout, 4);
  assert.is(resolveConfig({ ...sources, flags: {}, env: {} }).timeout, 5);
});

test('paths in the file are relative to the file; absolute ones stay', () => {
  const config = resolveConfig({ flags: {}, env: {}, file: file({ secretFile: '../secret', caFile: '/ca.pem' }) });
  assert.is(config.secretFile, '/etc/secret');
  assert.is(config.caFile, '/ca.pem');
});

test('empty environment variables are ignored', () => {
  assert.is(resolveConfig({ flags: {}, env: { GEO_HOOK_TIMEOUT: '' } }).timeout, 10);
});

test('booleans from text', () => {
  assert.is(resolveConfig({ flags: {}, env: { GEO_HOOK_LEGACY: 'yes' } }).legacy, true);
  assert.is(resolveConfig({ flags: { legacy: false }, env: { GEO_HOOK_LEGACY: '1' } }).legacy, false);
  rejects(() => resolveConfig({ flags: {}, env: { GEO_HOOK_LEGACY: 'maybe' } }), /GEO_HOOK_LEGACY "maybe" is not true or false/);
});

test('bad values name their source', () => {
  rejects(() => resolveConfig({ flags: { timeout: 'soon' }, env: {} }), /--timeout "soon" is not a number/);
  rejects(() => resolveConfig({ flags: {}, env: { GEO_HOOK_TIMEOUT: '0' } }), /GEO_HOOK_TIMEOUT 0 must be above 0/);
  rejects(() => resolveConfig({ flags: {}, env: {}, file: file({ timeout: '5' }) }), /"timeout" in \/etc\/geo-hook\/config.json "5" is not a number/);
  rejects(() => resolveConfig({ flags: { apiUrl: 'ftp://x' }, env: {} }), /--api-url "ftp:\/\/x" must start with http/);
  rejects(() => resolveConfig({ flags: { apiUrl: 'http://u:p@x' }, env: {} }), /must not hold credentials/);
  rejects(() => resolveConfig({ flags: { listen: 'nowhere' }, env: {} }), /--listen/);
});

test('a password is never echoed back', () => {
  const error = throwsError(() => resolveConfig({ flags: {}, env: {}, file: file({ password: 12345 }) }), UsageError, /"password" in .* \(hidden\) is not a non-empty string/);
  assert.not.match(error.message, /12345/);
});

test('unknown keys and bad JSON in the file', () => {
  rejects(() => resolveConfig({ flags: {}, env: {}, file: file({ apiURL: 'http://x' }) }), /unknown key "apiURL" \(did you mean "apiUrl"\?\)/);
  rejects(() => resolveConfig({ flags: {}, env: {}, file: file({ frobnicate: 1 }) }), /unknown key "frobnicate"$/);
  rejects(() => resolveConfig({ flags: {}, env: {}, file: { path: 'c.json', text: '{"timeout": 5,' } }), /c.json is not valid JSON/);
  rejects(() => resolveConfig({ flags: {}, env: {}, file: file([1]) }), /must hold a JSON object/);
});

test('API URL forms', () => {
  for (const url of ['http://gitlab.test', 'https://gitlab.test:8443/prefix', 'http+unix://%2Fvar%2Frun%2Fapi.socket']) {
    assert.is(resolveConfig({ flags: { apiUrl: url }, env: {} }).apiUrl, url);
  }
  rejects(() => resolveConfig({ flags: { apiUrl: 'http+unix://relative.sock' }, env: {} }), /absolute/);
});

test('the config file is named by --config, else GEO_HOOK_CONFIG', () => {
  assert.is(configFilePath({ config: 'a.json' }, { GEO_HOOK_CONFIG: 'b.json' }), 'a.json');
  assert.is(configFilePath({}, { GEO_HOOK_CONFIG: 'b.json' }), 'b.json');
  assert.is(configFilePath({}, {}), undefined);
});

test.run();
