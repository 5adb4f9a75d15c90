// The test command: type check, build (bundle and single executable), every
// uvu suite under test/ against the bundle, then the end-to-end suites again
// against the single executable. Ends with the plain line "N passed, N failed".
//   node scripts/test.mjs [pattern]     only the suites whose file matches
//   GEO_HOOK_TEST_SEA=0                 skip the single-executable pass
import { spawn, spawnSync } from 'node:child_process';

const pattern = process.argv[2] ?? '\\.test\\.ts$';
let passed = 0;
let failed = 0;
let skipped = 0;

function step(name, command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status === 0) passed++;
  else {
    failed++;
    console.error(`\n${name} failed`);
  }
  return result.status === 0;
}

async function uvu(title, dir, env) {
  console.log(`\n== ${title}`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', dir, pattern], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
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
  if (total && done) {
    passed += Number(done[1]);
    skipped += Number(skips?.[1] ?? 0);
    failed += Number(total[1]) - Number(done[1]);
    if (code !== 0 && Number(total[1]) === Number(done[1])) failed++;
  } else {
    console.error(`\nthe test runner ended (status ${code}) without its totals`);
    failed++;
  }
}

if (process.env.GEO_HOOK_TEST_SKIP_TYPECHECK !== '1') step('type check', process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.']);
if (step('build', process.execPath, ['scripts/build-sea.mjs'])) {
  await uvu('unit and integration tests, geo-hook run from the bundle (dist/geo-hook.cjs)', 'test', { GEO_HOOK_TEST_TARGET: 'bundle' });
  if (process.env.GEO_HOOK_TEST_SEA !== '0') {
    await uvu('integration tests again, geo-hook run as the single executable (dist/geo-hook)', 'test/integration', { GEO_HOOK_TEST_TARGET: 'sea' });
  }
}

console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
