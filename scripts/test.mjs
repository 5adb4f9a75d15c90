// The test command: type check and build (steps: they fail the run, they are
// not tests), then every uvu suite under test/ against the bundle, then the
// end-to-end suites again against the single executable. Each pass prints its
// own line; the closing line sums the test runs of all passes, skips counted:
// "N passed, N failed, N skipped".
//   node scripts/test.mjs [pattern]     only the suites whose file matches
//   GEO_HOOK_TEST_SEA=0                 skip the single-executable pass
import { spawn, spawnSync } from 'node:child_process';

const pattern = process.argv[2] ?? '\\.test\\.ts$';
const totals = { passed: 0, failed: 0, skipped: 0 };
const passLines = [];
let brokenSteps = 0;

console.log(`tests run on node ${process.version} (${process.execPath})`);

function step(name, command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    brokenSteps++;
    console.error(`\n${name} failed: no tests were run`);
  }
  return result.status === 0;
}

async function uvu(pass, title, dir, env) {
  console.log(`\n== ${title}`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', dir, pattern], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // uvu colours its output whatever it writes to: only a terminal gets colours (NO_COLOR is kept as it is).
    env: { ...process.env, ...(!process.stdout.isTTY && process.env.FORCE_COLOR === undefined && { NO_COLOR: '1' }), ...env, GEO_HOOK_TEST_PASS: pass },
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    output += chunk;
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const total = /Total:\s+(\d+)/.exec(plain);
  const done = /Passed:\s+(\d+)/.exec(plain);
  const skips = /Skipped:\s+(\d+)/.exec(plain);
  const counts = { passed: 0, failed: 0, skipped: 0 };
  if (total && done) {
    counts.passed = Number(done[1]);
    counts.skipped = Number(skips?.[1] ?? 0);
    counts.failed = Number(total[1]) - Number(done[1]);
    // A suite that crashed outside its tests (a failing before hook) is a failure uvu does not count.
    if (code !== 0 && counts.failed === 0) counts.failed = 1;
  } else {
    console.error(`\nthe test runner ended (status ${code}) without its totals`);
    counts.failed = 1;
  }
  for (const key of Object.keys(totals)) totals[key] += counts[key];
  passLines.push(`${pass}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
}

if (process.env.GEO_HOOK_TEST_SKIP_TYPECHECK === '1' || step('type check', process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'])) {
  if (step('build', process.execPath, ['scripts/build-sea.mjs'])) {
    await uvu('bundle', 'unit and integration tests, geo-hook run from the bundle (dist/geo-hook.cjs)', 'test', { GEO_HOOK_TEST_TARGET: 'bundle' });
    if (process.env.GEO_HOOK_TEST_SEA !== '0') {
      await uvu('executable', 'integration tests again, geo-hook run as the single executable (dist/geo-hook)', 'test/integration', {
        GEO_HOOK_TEST_TARGET: 'sea',
      });
    }
  }
}

console.log('');
for (const line of passLines) console.log(line);
const ran = totals.passed + totals.failed;
if (brokenSteps === 0 && ran === 0) {
  console.error(`no test ran${process.argv[2] ? ` (no suite matches ${JSON.stringify(process.argv[2])})` : ''}`);
  totals.failed++;
}
if (brokenSteps > 0) totals.failed++;
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exitCode = totals.failed > 0 ? 1 : 0;
