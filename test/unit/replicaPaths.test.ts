import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gitCredentialEnvironment, removedDir, replicaDir } from '../../src/replicator/replicaPaths.js';

test('a replica is <folder>/<path>.git; a path that could climb out has none', () => {
  assert.is(replicaDir('/srv/replicas', 'group/project'), '/srv/replicas/group/project.git');
  assert.is(replicaDir('/srv/replicas', 'a/b/c.d'), '/srv/replicas/a/b/c.d.git');
  for (const bad of ['../etc', 'group/..', 'group/./x', '/abs/path', 'single', 'group//x', 'group/x y', '', '.removed/x', '.removed/2026-12-02T12-00-00-000Z-unlisted/g/p']) {
    assert.is(replicaDir('/srv/replicas', bad), undefined, bad);
  }
});

test('a removed replica goes under .removed, with the time and why', () => {
  assert.is(removedDir('/srv/replicas', 'group/project', new Date('2026-12-02T14:40:05.123Z'), 'unlisted'), '/srv/replicas/.removed/2026-12-02T14-40-05-123Z-unlisted/group/project.git');
  assert.is(removedDir('/srv/replicas', 'group/..', new Date(0), 'broken'), undefined);
});

test("git gets the node's credential as configuration in its environment, and never prompts", () => {
  assert.equal(gitCredentialEnvironment('GL-Geo 2:abc.def.ghi'), {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: 'Authorization: GL-Geo 2:abc.def.ghi',
    GIT_TERMINAL_PROMPT: '0',
  });
  assert.equal(gitCredentialEnvironment('GL-Geo 2:abc.def.ghi', '/etc/geo-hook/ca.pem'), {
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: 'Authorization: GL-Geo 2:abc.def.ghi',
    GIT_CONFIG_KEY_1: 'http.sslCAInfo',
    GIT_CONFIG_VALUE_1: '/etc/geo-hook/ca.pem',
    GIT_TERMINAL_PROMPT: '0',
  });
});

test.run();
