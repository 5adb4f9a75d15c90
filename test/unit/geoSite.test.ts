import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { geoMessages } from '../../src/server/geoMessages.js';
import { parseGeoSite, secondaryNode } from '../../src/server/geoSite.js';

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
  assert.equal(geoMessages(site, 'group/project', secondaryNode(site, 2)), [
    {
      type: 'basic',
      message: 'This request to a Geo secondary node will be forwarded to the\nGeo primary node:\n\n  http://primary.geo.test/group/project.git\n',
    },
    { type: 'basic', message: 'Current replication lag: 42 seconds' },
  ]);
});

test('no lag message at lag 0; nothing for the primary or an unknown node', () => {
  const site = parseGeoSite(fixture, 'fixture');
  assert.is(geoMessages(site, 'group/project', secondaryNode(site, 4)).length, 1);
  assert.equal(geoMessages(site, 'group/project', secondaryNode(site, 1)), []);
  assert.equal(geoMessages(site, 'group/project', secondaryNode(site, 99)), []);
  assert.equal(geoMessages(site, 'group/project', secondaryNode(site, undefined)), []);
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

test.run();
