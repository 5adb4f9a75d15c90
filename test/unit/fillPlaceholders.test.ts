import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fillPlaceholders } from '../../src/deploy/fillPlaceholders.js';

test('every placeholder filled, in comments too', () => {
  const text = '# @LISTEN@: where it listens\nlisten @LISTEN@;\nroot @REPOS@/x;';
  assert.is(fillPlaceholders(text, { LISTEN: '0.0.0.0:80', REPOS: '/srv/git' }, 'f'), '# 0.0.0.0:80: where it listens\nlisten 0.0.0.0:80;\nroot /srv/git/x;');
});

test('a placeholder given as null drops the directive that uses it; its comment says none', () => {
  const text = '# bind @SOURCE@\nproxy_bind @SOURCE@;\nlisten 80;';
  assert.is(fillPlaceholders(text, { SOURCE: null }, 'f'), '# bind none\nlisten 80;');
});

test('one left unfilled is an error naming its line, never a half-filled file', () => {
  assert.throws(() => fillPlaceholders('listen @LISTEN@;\nserver @UPSTREAM@;', { LISTEN: '80' }, 'deploy/x.conf'), /^deploy\/x\.conf: placeholders left unfilled: server @UPSTREAM@;$/);
  assert.throws(() => fillPlaceholders('# see @OTHER@', {}, 'f'), /placeholders left unfilled: # see @OTHER@/);
});

test.run();
