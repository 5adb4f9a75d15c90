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

test.run();
