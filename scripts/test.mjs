// The test command: type check, bundle, then every uvu suite under test/;
// ends with the plain line "N passed, N failed" that CI reads.
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

if (!process.env.GEO_HOOK_TEST_SKIP_TYPECHECK) step('type check', process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.']);
const built = step('build', process.execPath, ['scripts/build.mjs']);

if (built) {
  const uvu = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', 'test', pattern], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  uvu.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    output += chunk;
  });
  const code = await new Promise((resolve) => uvu.on('close', resolve));
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

console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
