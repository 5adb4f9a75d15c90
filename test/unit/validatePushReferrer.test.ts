import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stepFromBody, stepFromHeaders } from '../../src/server/validatePushReferrer.js';

test('the JSON form: a correlation registration, and a legacy one', () => {
  assert.equal(stepFromBody({ geo_node_id: 2, correlation_id: 'c-1' }, false), { geoNodeId: 2, correlationId: 'c-1', glId: undefined, glRepository: undefined });
  assert.equal(stepFromBody({ geo_node_id: 3, gl_id: 'key-42', gl_repository: 'project-7' }, true), {
    geoNodeId: 3,
    correlationId: undefined,
    glId: 'key-42',
    glRepository: 'project-7',
  });
  assert.equal(stepFromBody({ geo_node_id: 3, correlation_id: null, gl_id: null, gl_repository: null }, false), { error: 'correlation_id is required' });
});

test('the JSON form refuses with the field names', () => {
  const cases: Array<[unknown, boolean, string]> = [
    [[], false, 'body must be a JSON object'],
    [{ correlation_id: 'c' }, false, 'geo_node_id must be a positive integer'],
    [{ geo_node_id: '2', correlation_id: 'c' }, false, 'geo_node_id must be a positive integer'],
    [{ geo_node_id: 2, correlation_id: 7 }, false, 'correlation_id must be up to 128 printable ASCII characters'],
    [{ geo_node_id: 2, correlation_id: 'c', gl_id: 'root' }, false, 'gl_id must be like "user-<n>" or "key-<n>"'],
    [{ geo_node_id: 2, correlation_id: 'c', gl_id: 5 }, false, 'gl_id must be like "user-<n>" or "key-<n>"'],
    [{ geo_node_id: 2, correlation_id: 'c', gl_repository: 'group/project' }, false, 'gl_repository must be like "project-<n>"'],
    [{ geo_node_id: 2, correlation_id: 'c', gl_repository: 7 }, false, 'gl_repository must be like "project-<n>"'],
    [{ geo_node_id: 2, gl_id: 'key-1' }, true, 'gl_id and gl_repository are required in legacy mode'],
    [{ geo_node_id: 2, gl_repository: 'project-1' }, true, 'gl_id and gl_repository are required in legacy mode'],
    [{ geo_node_id: 2 }, false, 'correlation_id is required'],
  ];
  for (const [input, legacy, error] of cases) assert.equal(stepFromBody(input, legacy), { error }, JSON.stringify(input));
});

test('the header form: text values, decimal node id, the header names in its errors', () => {
  assert.equal(stepFromHeaders({ 'x-geo-node-id': '12', 'x-request-id': 'r-1' }, false), { geoNodeId: 12, correlationId: 'r-1', glId: undefined, glRepository: undefined });
  assert.equal(stepFromHeaders({ 'x-geo-node-id': '2', 'x-request-id': 'r-1', 'x-gl-id': 'user-1', 'x-gl-repository': 'wiki-3' }, true), {
    geoNodeId: 2,
    correlationId: 'r-1',
    glId: 'user-1',
    glRepository: 'wiki-3',
  });
  // Empty headers (nginx sends an empty value for an empty variable) are absent ones.
  assert.equal(stepFromHeaders({ 'x-geo-node-id': '2', 'x-request-id': 'r', 'x-gl-id': '', 'x-gl-repository': '' }, false), {
    geoNodeId: 2,
    correlationId: 'r',
    glId: undefined,
    glRepository: undefined,
  });
  const cases: Array<[Record<string, string>, boolean, string]> = [
    [{ 'x-request-id': 'r' }, false, 'X-Geo-Node-Id must be a positive integer'],
    [{ 'x-geo-node-id': '', 'x-request-id': 'r' }, false, 'X-Geo-Node-Id must be a positive integer'],
    [{ 'x-geo-node-id': '02', 'x-request-id': 'r' }, false, 'X-Geo-Node-Id must be a positive integer'],
    [{ 'x-geo-node-id': '2 ', 'x-request-id': 'r' }, false, 'X-Geo-Node-Id must be a positive integer'],
    [{ 'x-geo-node-id': '1e3', 'x-request-id': 'r' }, false, 'X-Geo-Node-Id must be a positive integer'],
    [{ 'x-geo-node-id': '12345678901234567', 'x-request-id': 'r' }, false, 'X-Geo-Node-Id must be a positive integer'],
    [{ 'x-geo-node-id': '2' }, false, 'X-Request-ID is required'],
    [{ 'x-geo-node-id': '2', 'x-request-id': 'a b' }, false, 'X-Request-ID must be up to 128 printable ASCII characters'],
    [{ 'x-geo-node-id': '2', 'x-request-id': 'r', 'x-gl-id': 'key-0' }, false, 'X-Gl-Id must be like "user-<n>" or "key-<n>"'],
    [{ 'x-geo-node-id': '2', 'x-request-id': 'r', 'x-gl-repository': 'project' }, false, 'X-Gl-Repository must be like "project-<n>"'],
    [{ 'x-geo-node-id': '2' }, true, 'X-Gl-Id and X-Gl-Repository are required in legacy mode'],
  ];
  for (const [headers, legacy, error] of cases) assert.equal(stepFromHeaders(headers, legacy), { error }, JSON.stringify(headers));
  // Sixteen digits pass the header's shape but not a safe integer.
  assert.equal(stepFromHeaders({ 'x-geo-node-id': '9999999999999999', 'x-request-id': 'r' }, false), { error: 'X-Geo-Node-Id must be a positive integer' });
});

test('gl_id and gl_repository must be strings, not arrays that read like them', () => {
  const step = (extra: Record<string, unknown>) => stepFromBody({ geo_node_id: 2, correlation_id: 'c-1', ...extra }, false);
  assert.equal(step({ gl_id: ['key-42'] }), { error: 'gl_id must be like "user-<n>" or "key-<n>"' });
  assert.equal(step({ gl_repository: ['project-7'] }), { error: 'gl_repository must be like "project-<n>"' });
  // The header form names the headers.
  assert.equal(stepFromHeaders({ 'x-geo-node-id': '2', 'x-request-id': 'c-1', 'x-gl-id': 'root' }, false), { error: 'X-Gl-Id must be like "user-<n>" or "key-<n>"' });
});

test.run();
