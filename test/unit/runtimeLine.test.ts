import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { judgePin } from '../../scripts/runtimeLine.mjs';

test('the newest patch of the pinned line, other lines and pre-releases ignored', () => {
  const published = ['22.20.0', '24.21.0', '24.22.1', '24.22.3', '24.3.0', '25.1.0', '24.23.0-rc.1'];
  assert.equal(judgePin('24.21.0', published), { line: 24, newest: '24.22.3', behind: true });
  assert.equal(judgePin('24.22.3', published), { line: 24, newest: '24.22.3', behind: false });
  // Compared as numbers, not text: 24.10 is newer than 24.9.
  assert.equal(judgePin('24.9.0', ['24.9.0', '24.10.0']), { line: 24, newest: '24.10.0', behind: true });
  assert.equal(judgePin('24.22.3', []), { line: 24, newest: '24.22.3', behind: false });
});

test('a pin that is not an exact version is said so', () => {
  assert.equal(judgePin('^24.21.0', ['24.22.3']), { error: 'the pin "^24.21.0" is not an exact version (x.y.z)' });
});

test.run();
