import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveConfig } from '../../src/config/resolveConfig.js';
import { UsageError } from '../../src/errors.js';
import { parseRedisTarget } from '../../src/server/stores/redis/redisTarget.js';
import { redactUrl } from '../../src/shared/redactUrl.js';
import { throwsError } from '../helpers/assertions.js';

test('one Redis: redis:// and rediss:// are handed on as they are', () => {
  assert.equal(parseRedisTarget('redis://:pw@127.0.0.1:6379/2'), { kind: 'single', url: 'redis://:pw@127.0.0.1:6379/2' });
  assert.equal(parseRedisTarget('rediss://redis.example.com'), { kind: 'single', url: 'rediss://redis.example.com' });
});

test('Sentinel: the sentinels, the master name, the passwords', () => {
  assert.equal(parseRedisTarget('redis+sentinel://10.0.0.1:26379,10.0.0.2:26380,[::1]:26381/geo'), {
    kind: 'sentinel',
    sentinels: [
      { host: '10.0.0.1', port: 26379 },
      { host: '10.0.0.2', port: 26380 },
      { host: '::1', port: 26381 },
    ],
    name: 'geo',
  });
  assert.equal(parseRedisTarget('redis+sentinel://:p%40ss@sentinel-a:1,sentinel-b/geo-main?sentinelPassword=s%26cret'), {
    kind: 'sentinel',
    sentinels: [
      { host: 'sentinel-a', port: 1 },
      { host: 'sentinel-b', port: 26379 },
    ],
    name: 'geo-main',
    password: 'p@ss',
    sentinelPassword: 's&cret',
  });
  assert.equal(parseRedisTarget('REDIS+SENTINEL://geo-user:pw@h:2/m'), {
    kind: 'sentinel',
    sentinels: [{ host: 'h', port: 2 }],
    name: 'm',
    username: 'geo-user',
    password: 'pw',
  });
});

test('Sentinel URLs: a user without a password, the highest port, an empty query, a parameter without a value', () => {
  assert.equal(parseRedisTarget('redis+sentinel://geo-user@h:65535/m'), { kind: 'sentinel', sentinels: [{ host: 'h', port: 65535 }], name: 'm', username: 'geo-user' });
  assert.equal(parseRedisTarget('redis+sentinel://h:1/m?'), { kind: 'sentinel', sentinels: [{ host: 'h', port: 1 }], name: 'm' });
  assert.equal(parseRedisTarget('redis+sentinel://h:1/m?sentinelPassword'), { kind: 'sentinel', sentinels: [{ host: 'h', port: 1 }], name: 'm', sentinelPassword: '' });
});

test('Sentinel URLs that cannot work are refused, saying why', () => {
  const refusals: Array<[string, string]> = [
    ['redis+sentinel://h:1', 'a redis+sentinel:// URL names the master after the sentinels: redis+sentinel://host:port[,host:port…]/<master name>'],
    ['redis+sentinel://h:1/', 'the master name after the sentinels must be letters, digits, ".", "_" or "-"'],
    ['redis+sentinel://h:1/a/b', 'the master name after the sentinels must be letters, digits, ".", "_" or "-"'],
    ['redis+sentinel://h:1,,h:2/geo', 'sentinel address "" is not host:port'],
    ['redis+sentinel://h:70000/geo', 'sentinel address "h:70000" is not host:port'],
    ['redis+sentinel://h:0/geo', 'sentinel address "h:0" is not host:port'],
    ['redis+sentinel://h:x/geo', 'sentinel address "h:x" is not host:port'],
    ['redis+sentinel://h:1/geo?db=2', 'unknown parameter "db" in a redis+sentinel:// URL (known: sentinelPassword, allowMasters)'],
    ['redis+sentinel://h:1/geo?a?b', 'a redis+sentinel:// URL has one "?"'],
    ['redis+sentinel://:%zz@h:1/geo', 'the user or password in a redis+sentinel:// URL is not valid percent-encoding'],
    ['redis+sentinel://%zz:pw@h:1/geo', 'the user or password in a redis+sentinel:// URL is not valid percent-encoding'],
    ['redis+sentinel://h:1/%zz', 'the master name after the sentinels must be letters, digits, ".", "_" or "-"'],
    ['redis+sentinel://h:65536/geo', 'sentinel address "h:65536" is not host:port'],
    ['redis+sentinel://h:1/geo?sentinelPassword=%zz', 'sentinelPassword is not valid percent-encoding'],
    ['sentinel://h:1/geo', 'must be "memory", redis://…, rediss://… or redis+sentinel://host:port[,host:port…]/<master name>'],
    ['redis://', 'must be "memory", redis://…, rediss://… or redis+sentinel://host:port[,host:port…]/<master name>'],
  ];
  for (const [url, error] of refusals) assert.equal(parseRedisTarget(url), { error }, url);
});

test('--store is checked with the same words, and its passwords are never shown', () => {
  assert.is(resolveConfig({ flags: { store: 'redis+sentinel://h:1,h:2/geo' }, env: {} }).store, 'redis+sentinel://h:1,h:2/geo');
  throwsError(() => resolveConfig({ flags: { store: 'mem' }, env: {} }), UsageError, /^--store "mem" must be "memory", redis:\/\/…, rediss:\/\/… or redis\+sentinel:/);
  throwsError(
    () => resolveConfig({ flags: {}, env: { GEO_HOOK_STORE: 'redis+sentinel://:hunter2@h:1/geo?db=1&sentinelPassword=swordfish' } }),
    UsageError,
    /^GEO_HOOK_STORE "redis\+sentinel:\/\/:\*\*\*@h:1\/geo\?db=1&sentinelPassword=\*\*\*" is not a usable store URL: unknown parameter "db"/,
  );
});

test('redactUrl: userinfo and sentinelPassword hidden, the rest kept', () => {
  assert.is(redactUrl('redis+sentinel://:a@h:1,h:2/geo?sentinelPassword=b'), 'redis+sentinel://:***@h:1,h:2/geo?sentinelPassword=***');
  assert.is(redactUrl('http://deploy:pw@host/x?y=1'), 'http://deploy:***@host/x?y=1');
  assert.is(redactUrl('redis://host:6379'), 'redis://host:6379');
  assert.is(redactUrl('http://deploy@host/x'), 'http://deploy@host/x', 'a user without a password is kept');
  assert.is(redactUrl('redis://host/?password=x&db=1'), 'redis://host/?password=***&db=1');
  // Every URL in a text, not only one at its start.
  assert.is(redactUrl('from ftp://a:b@h to redis://:c@r'), 'from ftp://a:***@h to redis://:***@r');
});

test('allowMasters: the addresses a master may have, Redis\'s port by default', () => {
  assert.equal(parseRedisTarget('redis+sentinel://s1:26379,s2:26379/geo?allowMasters=10.0.0.5:6380,10.0.0.6,[::1]:7000&sentinelPassword=x'), {
    kind: 'sentinel',
    sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }],
    name: 'geo',
    sentinelPassword: 'x',
    allowMasters: [{ host: '10.0.0.5', port: 6380 }, { host: '10.0.0.6', port: 6379 }, { host: '::1', port: 7000 }],
  });
  for (const [url, error] of [
    ['redis+sentinel://h:1/geo?allowMasters=', 'allowMasters must be host:port[,host:port…]'],
    ['redis+sentinel://h:1/geo?allowMasters', 'allowMasters must be host:port[,host:port…]'],
    ['redis+sentinel://h:1/geo?allowMasters=a:1,,b:2', 'allowMasters address "" is not host:port'],
    ['redis+sentinel://h:1/geo?allowMasters=a:70000', 'allowMasters address "a:70000" is not host:port'],
    ['redis+sentinel://h:1/geo?allowMasters=a%zz', 'allowMasters must be host:port[,host:port…]'],
  ] as const) {
    assert.equal(parseRedisTarget(url), { error }, url);
  }
});

test.run();
