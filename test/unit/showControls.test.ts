import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { showControls } from '../../src/hook/showControls.js';

test('text without control bytes is unchanged', () => {
  const text = 'Current replication lag: 42 seconds\n\tindented é 漢字 🚀';
  assert.is(showControls(text), text);
});

test('ESC, CR and DEL in caret form', () => {
  assert.is(showControls('\x1b[31mred\x1b[0m'), '^[[31mred^[[0m');
  assert.is(showControls('safe\rEVIL'), 'safe^MEVIL');
  assert.is(showControls('a\x7fb'), 'a^?b');
});

test('every C0 control but newline and tab', () => {
  for (let code = 0; code < 0x20; code++) {
    const char = String.fromCharCode(code);
    const shown = showControls(char);
    if (code === 0x0a || code === 0x09) assert.is(shown, char);
    else assert.is(shown, `^${String.fromCharCode(code + 0x40)}`);
  }
});

test('C1 controls as cat -v shows them', () => {
  assert.is(showControls('\u009b31m'), 'M-^[31m');
  assert.is(showControls('\u0080\u009f'), 'M-^@M-^_');
  assert.is(showControls('\u00a0'), '\u00a0');
});

test('bidirectional overrides, isolates, zero-width characters, separators and the BOM as <U+XXXX>', () => {
  const expected: Record<number, string> = {
    0x200b: '<U+200B>', 0x200c: '<U+200C>', 0x200d: '<U+200D>', 0x200e: '<U+200E>', 0x200f: '<U+200F>',
    0x2028: '<U+2028>', 0x2029: '<U+2029>',
    0x202a: '<U+202A>', 0x202b: '<U+202B>', 0x202c: '<U+202C>', 0x202d: '<U+202D>', 0x202e: '<U+202E>',
    0x2066: '<U+2066>', 0x2067: '<U+2067>', 0x2068: '<U+2068>', 0x2069: '<U+2069>',
    0xfeff: '<U+FEFF>',
  };
  for (const [code, shown] of Object.entries(expected)) assert.is(showControls(`a${String.fromCharCode(Number(code))}b`), `a${shown}b`);
  // Their neighbours are ordinary text.
  for (const code of [0x200a, 0x2010, 0x2027, 0x202f, 0x2065, 0x206a, 0xfefe]) {
    const text = `a${String.fromCharCode(code)}b`;
    assert.is(showControls(text), text);
  }
  // Trojan Source: a right-to-left override cannot reorder what the pusher reads.
  assert.is(showControls('access\u202e\u2066 // check\u2069\u2066'), 'access<U+202E><U+2066> // check<U+2069><U+2066>');
});

test.run();
