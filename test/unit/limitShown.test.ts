import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { limitShown } from '../../src/hook/limitShown.js';

// The bound of contract section 5.
const LIMIT = 65_536;

test('text within the bound is unchanged, to the byte', () => {
  const text = `${'x'.repeat(LIMIT - 1)}\n`;
  assert.is(limitShown(text), text);
  assert.is(limitShown(''), '');
});

test('past the bound: whole lines up to it, then one line with the count of bytes left out', () => {
  const line = `${'a'.repeat(99)}\n`; // 100 bytes
  const text = line.repeat(1000); // 100,000 bytes
  const shown = limitShown(text);
  // 655 whole lines fit in 65,536 bytes (65,500); the other 345 lines are 34,500 bytes.
  assert.is(shown, `${line.repeat(655)}(34500 more bytes of messages not shown)\n`);
  assert.ok(Buffer.byteLength(shown) < LIMIT + 64);
});

test('one endless line is cut at a character boundary, never inside a UTF-8 sequence', () => {
  const text = '漢'.repeat(30_000); // 3 bytes each: 90,000 bytes
  const shown = limitShown(text);
  const [head, tail] = shown.split('\n');
  assert.is(head, '漢'.repeat(21_845)); // 65,535 bytes
  assert.is(tail, `(${90_000 - 65_535} more bytes of messages not shown)`);
});

test('thousands of empty alerts make at most the bound and one line', () => {
  const alert = `\n${'='.repeat(72)}\n\n${' '.repeat(36)}\n\n${'='.repeat(72)}\n\n`;
  const text = alert.repeat(35_000);
  const shown = limitShown(text);
  assert.ok(Buffer.byteLength(shown) <= LIMIT + 50, String(Buffer.byteLength(shown)));
  assert.match(shown, /\n\(\d+ more bytes of messages not shown\)\n$/);
  const left = Number(/\((\d+) more bytes/.exec(shown)![1]);
  assert.is(Buffer.byteLength(shown) - Buffer.byteLength(`(${left} more bytes of messages not shown)\n`) + left, Buffer.byteLength(text));
});

test.run();
