import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { frontendTokenProblem } from '../../src/server/frontendToken.js';

const SECRET = 'the-hook-secret-0123456789';

test('a long token of its own, without white space, is fine', () => {
  assert.is(frontendTokenProblem('0123456789abcdef', SECRET), undefined);
  assert.is(frontendTokenProblem('frontend-5e1f0c9a2b7d4e3f', SECRET), undefined);
});

test('refused: empty, inner white space, the hook secret, under 16 characters', () => {
  assert.is(frontendTokenProblem('', SECRET), 'is empty');
  for (const token of ['abcdefgh ijklmnopq', 'abcdefgh\tijklmnopq', 'abcdefgh\nijklmnopq']) {
    assert.is(frontendTokenProblem(token, SECRET), 'holds white space inside the token: nginx sends it as one word, so it could never match');
  }
  assert.is(frontendTokenProblem(SECRET, SECRET), "holds the hook's secret: give the web server a token of its own (openssl rand -hex 32)");
  assert.is(frontendTokenProblem('x', SECRET), 'holds a token of under 16 characters: make a longer one (openssl rand -hex 32)');
  assert.is(frontendTokenProblem('0123456789abcde', SECRET), 'holds a token of under 16 characters: make a longer one (openssl rand -hex 32)');
});

test.run();
