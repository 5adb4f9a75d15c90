import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OPTIONS, parseListen } from '../../src/config/options.js';

test('flags, environment variables and file keys as contract section 9 names them', () => {
  const expected: Record<string, [string, string, string]> = {
    apiUrl: ['api-url', 'GEO_HOOK_API_URL', 'string'],
    secretFile: ['secret-file', 'GEO_HOOK_SECRET_FILE', 'string'],
    timeout: ['timeout', 'GEO_HOOK_TIMEOUT', 'number'],
    caFile: ['ca-file', 'GEO_HOOK_CA_FILE', 'string'],
    user: ['user', 'GEO_HOOK_USER', 'string'],
    password: ['password', 'GEO_HOOK_PASSWORD', 'string'],
    logFile: ['log-file', 'GEO_HOOK_LOG_FILE', 'string'],
    listen: ['listen', 'GEO_HOOK_LISTEN', 'string'],
    nodesFile: ['nodes-file', 'GEO_HOOK_NODES_FILE', 'string'],
    store: ['store', 'GEO_HOOK_STORE', 'string'],
    legacy: ['legacy', 'GEO_HOOK_LEGACY', 'boolean'],
    frontendTokenFile: ['frontend-token-file', 'GEO_HOOK_FRONTEND_TOKEN_FILE', 'string'],
    metricsListen: ['metrics-listen', 'GEO_HOOK_METRICS_LISTEN', 'string'],
    maxConnections: ['max-connections', 'GEO_HOOK_MAX_CONNECTIONS', 'number'],
    statusMaxAge: ['status-max-age', 'GEO_HOOK_STATUS_MAX_AGE', 'number'],
    // Contract section 12: the replicator's keys.
    nodeId: ['node-id', 'GEO_HOOK_NODE_ID', 'number'],
    nodeSecretFile: ['node-secret-file', 'GEO_HOOK_NODE_SECRET_FILE', 'string'],
    primaryGitUrl: ['primary-git-url', 'GEO_HOOK_PRIMARY_GIT_URL', 'string'],
    repositories: ['repositories', 'GEO_HOOK_REPOSITORIES', 'string'],
    concurrency: ['concurrency', 'GEO_HOOK_CONCURRENCY', 'number'],
    reportInterval: ['report-interval', 'GEO_HOOK_REPORT_INTERVAL', 'number'],
    reconcileInterval: ['reconcile-interval', 'GEO_HOOK_RECONCILE_INTERVAL', 'number'],
  };
  const actual = Object.fromEntries(Object.entries(OPTIONS).map(([key, spec]) => [key, [spec.flag, spec.env, spec.type]]));
  assert.equal(actual, expected);
});

test('defaults, and which settings are paths (relative to the config file) or secrets', () => {
  const defaults = Object.fromEntries(Object.entries(OPTIONS).map(([key, spec]) => [key, spec.default]));
  assert.equal(defaults, {
    apiUrl: 'http://127.0.0.1:8080',
    secretFile: undefined,
    timeout: 10,
    caFile: undefined,
    user: undefined,
    password: undefined,
    logFile: undefined,
    listen: '127.0.0.1:8080',
    nodesFile: undefined,
    store: 'memory',
    legacy: false,
    frontendTokenFile: undefined,
    metricsListen: undefined,
    maxConnections: 1024,
    // Contract section 11: a status older than 60 seconds says nothing of now.
    statusMaxAge: 60,
    nodeId: undefined,
    nodeSecretFile: undefined,
    primaryGitUrl: undefined,
    repositories: undefined,
    // Contract section 12: 4 at once, a report every 10 s, a reconcile every 600 s.
    concurrency: 4,
    reportInterval: 10,
    reconcileInterval: 600,
  });
  const paths = Object.entries(OPTIONS).filter(([, spec]) => spec.isPath === true).map(([key]) => key);
  assert.equal(paths.sort(), ['caFile', 'frontendTokenFile', 'logFile', 'nodeSecretFile', 'nodesFile', 'repositories', 'secretFile']);
  assert.equal(Object.entries(OPTIONS).filter(([, spec]) => spec.secret === true).map(([key]) => key), ['password']);
});

test('the checks of timeout, store and listen', () => {
  const check = <K extends keyof typeof OPTIONS>(key: K, value: unknown) => (OPTIONS[key].check as (v: unknown) => string | undefined)(value);
  assert.is(check('timeout', 0.1), undefined);
  assert.is(check('timeout', 3600), undefined);
  for (const bad of [0, -1, 3600.5]) assert.is(check('timeout', bad), 'must be above 0 and at most 3600');
  assert.is(check('store', 'memory'), undefined);
  assert.is(check('store', 'redis://127.0.0.1:6379'), undefined);
  assert.is(check('store', 'rediss://r.example:6380/0'), undefined);
  assert.is(check('store', 'redis+sentinel://127.0.0.1:26379,127.0.0.1:26380/geo'), undefined);
  for (const bad of ['Memory', 'mem', 'http://redis', 'x redis://a', '', 'redis://']) {
    assert.is(check('store', bad), 'must be "memory", redis://…, rediss://… or redis+sentinel://host:port[,host:port…]/<master name>', bad);
  }
  assert.is(check('store', 'redis+sentinel://h:1'), 'is not a usable store URL: a redis+sentinel:// URL names the master after the sentinels: redis+sentinel://host:port[,host:port…]/<master name>');
  for (const good of [1, 1024, 1_000_000]) assert.is(check('maxConnections', good), undefined);
  for (const bad of [0, -5, 2.5, 1_000_001]) assert.is(check('maxConnections', bad), 'must be a whole number from 1 to 1000000', String(bad));
  for (const good of [1, 60, 86_400]) assert.is(check('statusMaxAge', good), undefined);
  for (const bad of [0, 1.5, 86_401]) assert.is(check('statusMaxAge', bad), 'must be a whole number of seconds from 1 to 86400', String(bad));
  assert.is(check('listen', '127.0.0.1:80'), undefined);
  assert.is(check('metricsListen', '127.0.0.1:9100'), undefined);
  assert.is(check('metricsListen', '/run/geo-hook/metrics.socket'), undefined);
  assert.is(check('metricsListen', 'localhost'), 'must be host:port or an absolute socket path');
  assert.equal(parseListen('[::1]:8080'), { host: '::1', port: 8080 });
  assert.is(check('listen', 'localhost'), 'must be host:port or an absolute socket path');
  assert.is(check('apiUrl', 'http://a'), undefined);
  assert.is(check('apiUrl', 'ftp://a'), 'must start with http://, https:// or http+unix://');
});

test("the replicator's checks: its node id, the primary's Git URL, concurrency and intervals", () => {
  const check = <K extends keyof typeof OPTIONS>(key: K, value: unknown) => (OPTIONS[key].check as (v: unknown) => string | undefined)(value);
  assert.is(check('nodeId', 2), undefined);
  for (const bad of [0, -1, 1.5]) assert.ok(check('nodeId', bad)?.startsWith('must be a whole number from 1'));
  assert.is(check('primaryGitUrl', 'https://primary.example.com/-/geo/replication'), undefined);
  assert.is(check('primaryGitUrl', 'http://10.0.0.1:8081/-/geo/replication'), undefined);
  assert.is(check('primaryGitUrl', 'https://node:secret@primary.example.com/-/geo/replication'), 'must hold no user or password: the node authenticates with its secret');
  assert.is(check('primaryGitUrl', 'ssh://git@primary.example.com/x'), 'must be an http:// or https:// URL');
  assert.is(check('primaryGitUrl', 'https://primary.example.com/-/geo/replication?x=1'), 'must have no query or fragment');
  assert.is(check('primaryGitUrl', 'primary.example.com'), 'is not a URL (https://primary.example.com/-/geo/replication)');
  assert.is(check('concurrency', 1), undefined);
  assert.is(check('concurrency', 64), undefined);
  for (const bad of [0, 65, 2.5]) assert.is(check('concurrency', bad), 'must be a whole number from 1 to 64');
  assert.is(check('reportInterval', 0.1), undefined);
  assert.is(check('reportInterval', 0), 'must be from 0.1 to 3600 seconds');
  assert.is(check('reconcileInterval', 0.5), 'must be from 1 to 604800 seconds (a week)');
});

test('parseListen: host:port, [IPv6]:port, a socket path; nothing else', () => {
  assert.equal(parseListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
  assert.equal(parseListen('localhost:0'), { host: 'localhost', port: 0 });
  assert.equal(parseListen('[::1]:65535'), { host: '::1', port: 65535 });
  assert.equal(parseListen('/run/geo-hook/api.socket'), { socketPath: '/run/geo-hook/api.socket' });
  for (const bad of ['', '8080', ':8080', 'host:', 'host:65536', 'host:123456', 'a b:80', 'host:80 ', ' host:80', '[::1:80', 'run/api.socket', '::1:80', 'host:8o']) {
    assert.is(parseListen(bad), undefined, bad);
  }
});

test.run();
