import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { geoMessages } from '../../src/server/geoMessages.js';
import { fileLag } from '../../src/server/replicationLag.js';
import { isAddress, isLag, parseGeoSite, secondaryNode } from '../../src/server/geoSite.js';

const fixture = readFileSync(new URL('../../fixtures/geo-site.json', import.meta.url), 'utf8');

test('the fixture: a primary and secondaries of different lags', () => {
  const site = parseGeoSite(fixture, 'fixture');
  assert.is(site.primary.id, 1);
  const lags = [...site.nodes.values()].filter((node) => !node.primary).map((node) => node.lagSeconds);
  assert.ok(lags.length >= 2);
  assert.ok(new Set(lags).size === lags.length);
  assert.is(site.repositories.get('project-7'), 'group/project');
});

test('messages for a push through a secondary, exactly as upstream', () => {
  const site = parseGeoSite(fixture, 'fixture');
  assert.equal(geoMessages(site, 'group/project', secondaryNode(site, 2), fileLag(secondaryNode(site, 2))), [
    {
      type: 'basic',
      message: 'This request to a Geo secondary node will be forwarded to the\nGeo primary node:\n\n  http://primary.geo.test/group/project.git\n',
    },
    { type: 'basic', message: 'Current replication lag: 42 seconds' },
  ]);
});

test('no lag message at lag 0; nothing for the primary or an unknown node', () => {
  const site = parseGeoSite(fixture, 'fixture');
  assert.is(geoMessages(site, 'group/project', secondaryNode(site, 4), fileLag(secondaryNode(site, 4))).length, 1);
  assert.equal(geoMessages(site, 'group/project', secondaryNode(site, 1), fileLag(secondaryNode(site, 1))), []);
  assert.equal(geoMessages(site, 'group/project', secondaryNode(site, 99), fileLag(secondaryNode(site, 99))), []);
  assert.equal(geoMessages(site, 'group/project', secondaryNode(site, undefined), fileLag(secondaryNode(site, undefined))), []);
});

test('secret_file: a reporting secondary, its path relative to the site file; never on the primary, never beside lag_seconds', () => {
  const P = { id: 1, name: 'p', url: 'http://p', primary: true };
  const site = parseGeoSite(JSON.stringify({ nodes: [P, { id: 2, name: 's', url: 'http://s', primary: false, secret_file: 'secrets/node-2' }] }), '/etc/geo-hook/site.json');
  assert.is(site.nodes.get(2)!.secretFile, '/etc/geo-hook/secrets/node-2');
  const absolute = parseGeoSite(JSON.stringify({ nodes: [P, { id: 2, name: 's', url: 'http://s', primary: false, secret_file: '/run/node-2' }] }), 'site.json');
  assert.is(absolute.nodes.get(2)!.secretFile, '/run/node-2');
  const refused = (nodes: unknown[], message: string) => assert.throws(() => parseGeoSite(JSON.stringify({ nodes }), 'f.json'), (error: Error) => error.message === message);
  refused([{ ...P, secret_file: 'p' }], 'f.json: nodes[0].secret_file is for secondaries: the primary does not report its replication');
  refused(
    [P, { id: 2, name: 's', url: 'http://s', primary: false, secret_file: 's', lag_seconds: 3 }],
    'f.json: nodes[1] has both secret_file and lag_seconds: a reporting node\'s lag is measured; drop lag_seconds (or secret_file, for a fixed lag)',
  );
  refused([P, { id: 2, name: 's', url: 'http://s', primary: false, secret_file: '' }], "f.json: nodes[1].secret_file must be the path of the node's secret file");
});

test('repository paths: words, never "." or ".." (a replica folder is never climbed out of)', () => {
  const P = { id: 1, name: 'p', url: 'http://p', primary: true };
  for (const bad of ['group/..', '../etc', 'a/./b']) {
    assert.throws(() => parseGeoSite(JSON.stringify({ nodes: [P], repositories: { 'project-1': bad } }), 'f.json'), /must be a path like "group\/project"/, bad);
  }
  assert.is(parseGeoSite(JSON.stringify({ nodes: [P], repositories: { 'project-1': 'a.b/..c' } }), 'f.json').repositories.get('project-1'), 'a.b/..c');
});

test('bad files say what is wrong', () => {
  const bad = (json: unknown, pattern: RegExp) => assert.throws(() => parseGeoSite(JSON.stringify(json), 'f.json'), pattern);
  bad({}, /"nodes" array/);
  bad({ nodes: [{ id: 1, name: 'p', url: 'http://p', primary: false }] }, /exactly one primary/);
  bad({ nodes: [{ id: 0, name: 'p', url: 'http://p', primary: true }] }, /id must be a positive integer/);
  bad({ nodes: [{ id: 1, name: 'p', url: 'http://p', primary: true, lag_seconds: -1 }] }, /lag_seconds/);
  bad({ nodes: [{ id: 1, name: 'p', url: 'http://p', primary: true }], repositories: { p1: 'a/b' } }, /not like "project-<n>"/);
  assert.throws(() => parseGeoSite('{', 'f.json'), /not valid JSON/);
});

test('every refusal in its exact words', () => {
  const P = { id: 1, name: 'p', url: 'http://p', primary: true };
  const S = { id: 2, name: 's', url: 'https://s/', primary: false };
  const message = (json: unknown) => {
    try {
      parseGeoSite(JSON.stringify(json), 'f.json');
    } catch (error) {
      return (error as Error).message;
    }
    return 'accepted';
  };
  const cases: Array<[unknown, string]> = [
    [[], 'f.json must be an object with a "nodes" array'],
    [{ nodes: {} }, 'f.json must be an object with a "nodes" array'],
    [{ nodes: [7] }, 'f.json: nodes[0] is not an object'],
    [{ nodes: [P, { ...S, id: '2' }] }, 'f.json: nodes[1].id must be a positive integer'],
    [{ nodes: [P, { ...S, id: 1.5 }] }, 'f.json: nodes[1].id must be a positive integer'],
    [{ nodes: [P, { ...S, id: 1 }] }, 'f.json: nodes[1].id 1 is used twice'],
    [{ nodes: [P, { ...S, name: '' }] }, 'f.json: nodes[1].name must be a non-empty string'],
    [{ nodes: [P, { ...S, name: 5 }] }, 'f.json: nodes[1].name must be a non-empty string'],
    [{ nodes: [P, { ...S, url: 'ftp://s' }] }, 'f.json: nodes[1].url must be an http(s) URL'],
    [{ nodes: [P, { ...S, url: 'http://a b' }] }, 'f.json: nodes[1].url must be an http(s) URL'],
    // Arrays that read like the right value (their text is) are not it.
    [{ nodes: [P, { ...S, url: ['http://s'] }] }, 'f.json: nodes[1].url must be an http(s) URL'],
    [{ nodes: [P, { ...S, addresses: [['192.0.2.10']] }] }, 'f.json: nodes[1].addresses must be a list of IP addresses or CIDR ranges, like "192.0.2.10" or "2001:db8::/64"'],
    [{ nodes: [P, S], repositories: { 'project-1': ['group/project'] } }, 'f.json: repositories["project-1"] must be a path like "group/project"'],
    [{ nodes: [P, S], repositories: { 'project-1': '!bad/group/project' } }, 'f.json: repositories["project-1"] must be a path like "group/project"'],
    [{ nodes: [P, { ...S, url: 5 }] }, 'f.json: nodes[1].url must be an http(s) URL'],
    [{ nodes: [P, { ...S, url: 'xhttp://s' }] }, 'f.json: nodes[1].url must be an http(s) URL'],
    [{ nodes: [P, { ...S, primary: 'no' }] }, 'f.json: nodes[1].primary must be true or false'],
    [{ nodes: [P, { ...S, lag_seconds: 1.5 }] }, 'f.json: nodes[1].lag_seconds must be a whole number of seconds, 0 or more'],
    [{ nodes: [P, { ...S, lag_seconds: '3' }] }, 'f.json: nodes[1].lag_seconds must be a whole number of seconds, 0 or more'],
    [{ nodes: [P, { ...S, addresses: '127.0.0.2' }] }, 'f.json: nodes[1].addresses must be a list of IP addresses or CIDR ranges, like "192.0.2.10" or "2001:db8::/64"'],
    [{ nodes: [P, { ...S, addresses: ['127.0.0.2/33'] }] }, 'f.json: nodes[1].addresses must be a list of IP addresses or CIDR ranges, like "192.0.2.10" or "2001:db8::/64"'],
    [{ nodes: [P, { ...S, addresses: ['host.example'] }] }, 'f.json: nodes[1].addresses must be a list of IP addresses or CIDR ranges, like "192.0.2.10" or "2001:db8::/64"'],
    [{ nodes: [{ ...P, addresses: ['127.0.0.1'] }] }, 'f.json: nodes[0].addresses is for secondaries: the primary does not push from a secondary'],
    [{ nodes: [P, { ...S, primary: true }] }, 'f.json must have exactly one primary node, not 2'],
    [{ nodes: [] }, 'f.json must have exactly one primary node, not 0'],
    [{ nodes: [P], repositories: [] }, 'f.json: "repositories" must map gl_repository to a path'],
    [{ nodes: [P], repositories: { 'project-1': 'project' } }, 'f.json: repositories["project-1"] must be a path like "group/project"'],
    [{ nodes: [P], repositories: { 'project-1': 5 } }, 'f.json: repositories["project-1"] must be a path like "group/project"'],
    [{ nodes: [P], repositories: { 'project-1': 'a/b c' } }, 'f.json: repositories["project-1"] must be a path like "group/project"'],
    [{ nodes: [P], repositories: { 'project-1': 'x/a/b/' } }, 'f.json: repositories["project-1"] must be a path like "group/project"'],
    [{ nodes: [P], repositories: { 'project-x': 'a/b' } }, 'f.json: repositories key "project-x" is not like "project-<n>"'],
  ];
  for (const [json, expected] of cases) assert.is(message(json), expected, JSON.stringify(json));
});

test('what a good file gives: trailing slashes off, lag 0 by default, addresses kept', () => {
  const site = parseGeoSite(
    JSON.stringify({
      nodes: [
        { id: 1, name: 'p', url: 'http://p//', primary: true },
        { id: 2, name: 's', url: 'https://s', primary: false, addresses: ['192.0.2.10', '2001:db8::/64', '10.0.0.0/8'] },
      ],
      repositories: { 'project-1': 'a/b', 'wiki-1': 'a.b/c_d-e/f' },
    }),
    'f.json',
  );
  assert.equal(site.nodes.get(1), { id: 1, name: 'p', url: 'http://p', primary: true, lagSeconds: 0, addresses: [] });
  assert.equal(site.nodes.get(2)!.addresses, ['192.0.2.10', '2001:db8::/64', '10.0.0.0/8']);
  assert.is(site.repositories.get('wiki-1'), 'a.b/c_d-e/f');
  assert.is(secondaryNode(site, 2)?.id, 2);
  assert.is(secondaryNode(site, 1), undefined);
});

test('isAddress and isLag', () => {
  for (const good of ['127.0.0.1', '0.0.0.0/0', '192.0.2.0/24', '::1', '2001:db8::/128', '10.1.2.3/32']) assert.ok(isAddress(good), good);
  for (const bad of ['', '256.0.0.1', '1.2.3', '1.2.3.4/', '1.2.3.4/33', '::1/129', '1.2.3.4/01', '1.2.3.4/8/8', 'localhost', '1.2.3.4 ']) assert.not.ok(isAddress(bad), bad);
  for (const good of [0, 1, 86400]) assert.ok(isLag(good));
  for (const bad of [-1, 0.5, '1', null, Number.NaN, 2 ** 53]) assert.not.ok(isLag(bad), String(bad));
});

test.run();
