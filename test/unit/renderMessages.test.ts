import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderAlert, renderMessages } from '../../src/hook/renderMessages.js';

const RULE = '='.repeat(72);
const pad = (n: number) => ' '.repeat(n);
const alert = (...lines: string[]) => `${RULE}\n\n${lines.join('\n')}\n\n${RULE}`;
const a = (n: number) => 'a'.repeat(n);

// Expected bytes written out by hand from Gitaly's printMessages/printAlert.
const cases: Array<[string, string, string]> = [
  ['short alert is centred', 'hello world', alert(pad(30) + 'hello world')],
  ['empty alert is one empty padded line', '', alert(pad(36))],
  ['whitespace-only alert is one empty padded line', ' \t\n ', alert(pad(36))],
  ['runs of whitespace separate words', '  a\t\tb\n c\r\fd  ', alert(pad(32) + 'a b c d')],
  ['67-byte word then a word: the second wraps', `${a(67)} b`, alert(pad(2) + a(67), pad(35) + 'b')],
  ['68-byte first word comes after an empty line', a(68), alert(pad(36), pad(2) + a(68))],
  ['100-byte word: never negative padding', a(100), alert(pad(36), a(100))],
  ['two words filling exactly 68 stay on one line', `${a(33)} ${a(33)}`, alert(pad(2) + `${a(33)} ${a(33)}`)],
  ['one byte more wraps', `${a(33)} ${a(34)}`, alert(pad(19) + a(33), pad(19) + a(34))],
  ['odd length rounds the padding down', 'abc', alert(pad(34) + 'abc')],
  ['width counts bytes, not characters', 'é'.repeat(34), alert(pad(36), pad(2) + 'é'.repeat(34))],
  ['multi-byte words wrap by bytes', `${'é'.repeat(17)} ${'é'.repeat(17)}`, alert(pad(19) + 'é'.repeat(17), pad(19) + 'é'.repeat(17))],
  ['no-break space separates words, as in Go', 'a\u00a0b', alert(pad(34) + 'a b')],
  ['NEL separates words, as in Go', 'a\u0085b', alert(pad(34) + 'a b')],
  ['BOM is not a space in Go', 'a\ufeffb', alert(pad(33) + 'a\ufeffb')],
];

for (const [name, text, expected] of cases) {
  test(`alert: ${name}`, () => {
    assert.is(renderAlert(text), expected);
  });
}

test('a long alert fills lines greedily', () => {
  const words = Array.from({ length: 30 }, (_, i) => `word${i}`);
  const rendered = renderAlert(words.join(' '));
  const body = rendered.split('\n').slice(2, -2);
  for (const line of body) assert.ok(Buffer.byteLength(line.trim()) <= 68, line);
  assert.is(body.map((line) => line.trim()).join(' '), words.join(' '));
  // Greedy: the first line could not have taken the next word.
  const first = body[0]!.trim();
  const next = words[first.split(' ').length]!;
  assert.ok(first.length + 1 + 1 + next.length > 68);
});

test('basic message is written as it is, between a newline and two', () => {
  assert.is(renderMessages([{ type: 'basic', message: 'Current replication lag: 42 seconds' }]), '\nCurrent replication lag: 42 seconds\n\n');
});

test('several messages in order, basic and alert', () => {
  const out = renderMessages([
    { type: 'basic', message: 'one\n' },
    { type: 'alert', message: 'two' },
    { type: 'basic', message: '' },
  ]);
  assert.is(out, `\none\n\n\n\n${alert(pad(34) + 'two')}\n\n\n\n\n`);
});

test('no messages render to nothing', () => {
  assert.is(renderMessages([]), '');
});

test('whitespace before the first word takes no room on its line (as Go strings.Fields)', () => {
  // A 67-byte first word fits the first line (0 + 1 + 67 <= 68); a blank before it must not push it down.
  assert.is(renderAlert(` ${a(67)}`), alert(pad(2) + a(67)));
  assert.is(renderAlert(`\t\t${a(67)} b`), alert(`${pad(2)}${a(67)}`, `${pad(35)}b`));
});

test.run();
