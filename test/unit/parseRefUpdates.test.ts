import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from '../../src/errors.js';
import { formatChanges, parseRefUpdates } from '../../src/hook/parseRefUpdates.js';
import { throwsError } from '../helpers/assertions.js';

const Z40 = '0'.repeat(40);
const A40 = 'a'.repeat(40);
const B40 = 'b'.repeat(40);
const Z64 = '0'.repeat(64);
const A64 = 'a'.repeat(64);

const rejects = (input: string, pattern: RegExp) => throwsError(() => parseRefUpdates(input), UsageError, pattern, JSON.stringify(input));

test('update, create and delete (SHA-1)', () => {
  const input = `${A40} ${B40} refs/heads/main\n${Z40} ${A40} refs/heads/new\n${B40} ${Z40} refs/tags/old\n`;
  assert.equal(parseRefUpdates(input), [
    { oldOid: A40, newOid: B40, ref: 'refs/heads/main' },
    { oldOid: Z40, newOid: A40, ref: 'refs/heads/new' },
    { oldOid: B40, newOid: Z40, ref: 'refs/tags/old' },
  ]);
  assert.is(formatChanges(parseRefUpdates(input)), input);
});

test('SHA-256 ids', () => {
  assert.equal(parseRefUpdates(`${Z64} ${A64} refs/heads/main\n`), [{ oldOid: Z64, newOid: A64, ref: 'refs/heads/main' }]);
});

test('a last line without its newline', () => {
  assert.is(parseRefUpdates(`${A40} ${B40} refs/heads/main`).length, 1);
  assert.is(formatChanges(parseRefUpdates(`${A40} ${B40} refs/heads/main`)), `${A40} ${B40} refs/heads/main\n`);
});

test('empty input is an error, as upstream', () => {
  rejects('', /no reference updates/);
  rejects('\n', /line 1/);
});

test('malformed lines say where', () => {
  rejects(`${A40} ${B40}\n`, /line 1: expected/);
  rejects(`${A40} ${B40} refs/heads/main\n${A40} refs/heads/x\n`, /line 2/);
  rejects(`${A40.toUpperCase()} ${B40} refs/heads/main`, /not an object id/);
  rejects(`${A40.slice(1)} ${B40} refs/heads/main`, /not an object id/);
  rejects(`${Z40} ${A64} refs/heads/main`, /different hash/);
  rejects(`${Z40} ${Z40} refs/heads/main`, /both object ids are zero/);
  rejects(`${A40} ${B40} heads/main`, /not a valid ref/);
  rejects(`${A40} ${B40} refs/`, /not a valid ref/);
  rejects(`${A40} ${B40} refs/heads/main\r\n`, /not a valid ref/);
  rejects(`${A40} ${B40} refs/heads/a\x1bb`, /not a valid ref/);
  rejects(`${A40}  ${B40} refs/heads/main`, /expected/);
});

test('error lines never carry raw control bytes', () => {
  const error = throwsError(() => parseRefUpdates(`\x1b[2J ${B40} refs/heads/main`), UsageError, /line 1/);
  assert.not.match(error.message, /\x1b/);
});

test('10,000 updates parse', () => {
  const lines = Array.from({ length: 10_000 }, (_, i) => `${Z40} ${A40} refs/heads/b${i}\n`).join('');
  assert.is(parseRefUpdates(lines).length, 10_000);
});

test('only ids of all zeros are zero: ids that start or end with zeros are not', () => {
  const [endA, endB] = [`${'a'.repeat(39)}0`, `${'b'.repeat(39)}0`];
  const [startA, startB] = [`0${'a'.repeat(39)}`, `0${'b'.repeat(39)}`];
  assert.equal(parseRefUpdates(`${endA} ${endB} refs/heads/x\n`), [{ oldOid: endA, newOid: endB, ref: 'refs/heads/x' }]);
  assert.equal(parseRefUpdates(`${startA} ${startB} refs/heads/y\n`), [{ oldOid: startA, newOid: startB, ref: 'refs/heads/y' }]);
});

test('a value shown in a refusal is cut only past 60 characters', () => {
  throwsError(() => parseRefUpdates(`${'a'.repeat(40)} ${'b'.repeat(40)} ${'x'.repeat(60)}\n`), UsageError, new RegExp(`^standard input, line 1: "${'x'.repeat(60)}" is not a valid ref name$`));
});

test.run();
