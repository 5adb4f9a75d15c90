import { spawnSync } from 'node:child_process';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/geoHook.js';
import { suiteNeeding } from '../helpers/tools.js';

/** The test command itself: what it writes to a file (a CI log) is plain text, and its closing line is the plain one. */
const test = suiteNeeding('the test command', { onlyInPass: 'bundle' });

test('written to a pipe, the test command has no colour codes, and ends with "N passed, N failed, N skipped"', () => {
  const env: NodeJS.ProcessEnv = { ...process.env, GEO_HOOK_TEST_SKIP_TYPECHECK: '1', GEO_HOOK_TEST_SEA: '0' };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  const run = spawnSync(process.execPath, ['scripts/test.mjs', 'limitShown\\.test'], { cwd: ROOT, env, encoding: 'utf8', timeout: 180_000 });
  assert.is(run.status, 0, run.stdout + run.stderr);
  assert.not.match(run.stdout, /\x1b\[/);
  assert.match(run.stdout, /\n\d+ passed, 0 failed, 0 skipped\n$/);
});

test.run();
