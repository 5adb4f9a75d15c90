import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkJsonShape } from '../../src/server/jsonShape.js';

const shape = (text: string, limits = { maxDepth: 4, maxValues: 10_000 }) => checkJsonShape(Buffer.from(text), limits);

test('a post_receive body as the hook sends it passes', () => {
  const body = JSON.stringify({ gl_repository: 'project-7', identifier: 'key-42', changes: 'a b refs/heads/main\n', push_options: ['ci.skip', 'x'], geo_node_id: 2 });
  assert.is(shape(body), undefined);
});

test('depth: exactly the limit passes, one more is refused', () => {
  assert.is(shape('[[[[]]]]'), undefined);
  assert.is(shape('[[[[[]]]]]'), 'body nested deeper than 4 levels');
  assert.is(shape('{"a":{"b":{"c":{"d":{}}}}}'), 'body nested deeper than 4 levels');
  // Closing brackets give depth back: side by side is not deeper.
  assert.is(shape('[[[[]]],[[[]]],[[[]]]]'), undefined);
  assert.is(shape('['.repeat(1_000_000)), 'body nested deeper than 4 levels');
});

test('values: one array of exactly the limit passes, one more is refused', () => {
  const array = (n: number) => `[${Array.from({ length: n }, () => '1').join(',')}]`;
  assert.is(shape(array(10), { maxDepth: 4, maxValues: 10 }), undefined);
  assert.is(shape(array(11), { maxDepth: 4, maxValues: 10 }), 'body has more than 10 values');
  assert.is(shape(array(10_000)), undefined);
  assert.is(shape(array(10_001)), 'body has more than 10000 values');
});

test('the default limits are the API body shape: 4 levels, 10,000 values', () => {
  assert.is(checkJsonShape(Buffer.from('[[[[]]]]')), undefined);
  assert.is(checkJsonShape(Buffer.from('[[[[[]]]]]')), 'body nested deeper than 4 levels');
  assert.is(checkJsonShape(Buffer.from(`[${'1,'.repeat(10_000)}1]`)), 'body has more than 10000 values');
});

test('closing braces give depth back as closing brackets do', () => {
  assert.is(shape('{"a":{"b":{}},"c":{"d":{}},"e":{"f":{}}}', { maxDepth: 3, maxValues: 100 }), undefined);
});

test('brackets, braces and commas inside strings do not count, escaped quotes included', () => {
  const text = JSON.stringify({ changes: '[[[[[[{{{{{,,,,,,,,,,,,\\"[[[[[[', other: '"]]]]]]' });
  assert.is(shape(text, { maxDepth: 1, maxValues: 2 }), undefined);
  assert.is(shape('["\\\\",[[[[]]]]]'), 'body nested deeper than 4 levels', 'an escaped backslash ends before the quote');
});

test.run();
