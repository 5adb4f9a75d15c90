import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OPTIONS } from '../../src/config/options.js';
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
  // Keys every object inherits are still unknown keys of the file.
  for (const key of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__']) {
    rejects(() => resolveConfig({ flags: {}, env: {}, file: { path: '/c.json', text: `{"${key}": "x"}` } }), new RegExp(`unknown key "${key}"`));
  }
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

test('where the config file is named: --config, else GEO_HOOK_CONFIG, empty meaning unset', () => {
  assert.is(configFilePath({ config: '/f.json' }, { GEO_HOOK_CONFIG: '/e.json' }), '/f.json');
  assert.is(configFilePath({ config: '' }, { GEO_HOOK_CONFIG: '/e.json' }), '/e.json');
  assert.is(configFilePath({}, { GEO_HOOK_CONFIG: '/e.json' }), '/e.json');
  assert.is(configFilePath({}, { GEO_HOOK_CONFIG: '' }), undefined);
  assert.is(configFilePath({}, {}), undefined);
});

test('numbers and booleans from text are whole words, nothing around them', () => {
  for (const text of ['1e1', '0x10', '5s', 'x5']) rejects(() => resolveConfig({ flags: {}, env: { GEO_HOOK_TIMEOUT: text } }), new RegExp(`^GEO_HOOK_TIMEOUT "${text}" is not a number$`));
  assert.is(resolveConfig({ flags: {}, env: { GEO_HOOK_TIMEOUT: ' 2.5 ' } }).timeout, 2.5);
  for (const text of ['onward', 'maybe-on', 'yesno', 'offline', 'turnoff', '10']) {
    rejects(() => resolveConfig({ flags: {}, env: { GEO_HOOK_LEGACY: text } }), new RegExp(`^GEO_HOOK_LEGACY "${text}" is not true or false$`));
  }
  rejects(() => resolveConfig({ flags: { legacy: 1 }, env: {} }), /^--legacy 1 is not true or false$/);
  // A flag given twice arrives as an array: said so, whatever its values.
  rejects(() => resolveConfig({ flags: { timeout: ['5', '6'] }, env: {} }), /^--timeout is given more than once$/);
  rejects(() => resolveConfig({ flags: { secretFile: ['/a', '/b'] }, env: {} }), /^--secret-file is given more than once$/);
  // JSON's 1e400 is Infinity: not a number a setting can have.
  rejects(() => resolveConfig({ flags: {}, env: {}, file: { path: '/c.json', text: '{"timeout": 1e400}' } }), /^"timeout" in \/c\.json null is not a number$/);
});

test('a bad value with a password in it is shown with the password hidden', () => {
  rejects(() => resolveConfig({ flags: {}, env: { GEO_HOOK_API_URL: 'ftp://deploy:hunter2@api.test' } }), /^GEO_HOOK_API_URL "ftp:\/\/deploy:\*\*\*@api\.test" must not hold credentials: use user and password$/);
});

test('a broken config file is placed by line and column, or not at all when the parser gives no place', () => {
  rejects(() => resolveConfig({ flags: {}, env: {}, file: { path: '/c.json', text: '{\n  "timeout": 5,\n}\n\n\n' } }), /^config file \/c\.json is not valid JSON \(line 3, column 1\)$/);
  rejects(() => resolveConfig({ flags: {}, env: {}, file: { path: '/c.json', text: '' } }), /^config file \/c\.json is not valid JSON$/);
});

test('typos: the first of equally close keys, and nothing when three edits away', () => {
  rejects(() => resolveConfig({ flags: {}, env: {}, file: { path: '/c.json', text: '{"toFile": 1}' } }), /unknown key "toFile" \(did you mean "caFile"\?\)$/);
  rejects(() => resolveConfig({ flags: {}, env: {}, file: { path: '/c.json', text: '{"storeXYZ": 1}' } }), /unknown key "storeXYZ"$/);
  rejects(() => resolveConfig({ flags: {}, env: {}, file: { path: '/c.json', text: '{"storeXY": 1}' } }), /unknown key "storeXY" \(did you mean "store"\?\)$/);
});

test('every default passes its own check (so defaults need no checking)', () => {
  for (const [key, spec] of Object.entries(OPTIONS)) {
    if (spec.check && spec.default !== undefined) assert.is((spec.check as (v: unknown) => string | undefined)(spec.default), undefined, key);
  }
});

test.run();
