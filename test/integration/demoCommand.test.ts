import { test } from 'uvu';
import { suiteNeeding } from '../helpers/tools.js';
import * as assert from 'uvu/assert';
import { runGeoHook } from '../helpers/geoHook.js';

test('geo-hook demo: the race in legacy mode, both fixes pass, plain text when piped', async () => {
  const result = await runGeoHook(['demo', '--concurrency', '2'], { killAfterMs: 180_000 });
  assert.is(result.stderr, '');
  assert.is(result.code, 0);
  assert.not.match(result.stdout, /\x1b/);
  assert.match(result.stdout, /^RACE legacy .*: \d+ of 6 pushes saw another push's message or none$/m);
  assert.match(result.stdout, /^PASS geo-node-id .*: all 6 pushes saw exactly their own message$/m);
  assert.match(result.stdout, /^PASS correlation .*: all 6 pushes saw exactly their own message$/m);
  // One row per push: 3 modes x 3 scenarios x 2 pushes, then the second act's 8.
  assert.match(result.stdout, /3\. through a secondary and straight to the primary +legacy +1\.2 +primary +nothing +lag 42 s +WRONG/);
  // The second act: real replicas, a real lag, every push told what its secondary's replicas say.
  assert.match(result.stdout, /^Act 2: the lag a pusher is told is the replicas' own$/m);
  assert.match(result.stdout, /^PASS replication: all 8 pushes were told the lag their secondary's replicas really had$/m);
  assert.match(result.stdout, /^paused \d s: the push before is not replicated +secondary-eu +lag \d to \d s +lag [2-9] s +ok$/m);
  assert.match(result.stdout, /^paused \d s: the other secondary replicates on +secondary-ap +no lag line \(lag 0\) +no lag line +ok$/m);
  assert.match(result.stdout, /^stopped longer than the status age \(8 s\) +secondary-eu +unknown: last report over 8 s ago +unknown: last report (?:9|\d\d) s ago +ok$/m);
  assert.is(result.stdout.split('\n').filter((line) => / (ok|WRONG)$/.test(line)).length, 18 + 8);
});

// A real pseudo-terminal comes from script(1).
const onTerminal = suiteNeeding('the demo on a terminal', { tools: ['script'] });

onTerminal('geo-hook demo: colour only on a terminal, and not with NO_COLOR', async () => {
  const { spawnSync } = await import('node:child_process');
  const { geoHookShellLine } = await import('../helpers/geoHook.js');
  const onTerminal = (env: Record<string, string>) =>
    spawnSync('script', ['-qec', `${geoHookShellLine()} demo --act race --mode correlation`, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', TERM: 'xterm', ...env },
      encoding: 'utf8',
      timeout: 120_000,
    }).stdout;
  assert.match(onTerminal({}), /\x1b\[32mPASS\x1b\[39m correlation/);
  const plain = onTerminal({ NO_COLOR: '1' });
  assert.match(plain, /^PASS correlation/m);
  assert.not.match(plain, /\x1b\[3\dm/);
});

test('geo-hook demo: bad numbers are one usage line', async () => {
  const result = await runGeoHook(['demo', '--concurrency', '1']);
  assert.equal([result.code, result.stdout, result.stderr], [2, '', 'geo-hook: --concurrency must be a whole number from 2 to 64\n']);
  const age = await runGeoHook(['demo', '--status-max-age', '1']);
  assert.equal([age.code, age.stdout, age.stderr], [2, '', 'geo-hook: --status-max-age must be a whole number of seconds from 2 to 60\n']);
});

test.run();
onTerminal.run();
