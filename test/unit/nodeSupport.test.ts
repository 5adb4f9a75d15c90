import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { judgeCliCodeCache, judgeCodeCache, judgeRuntime } from '../../src/installer/nodeSupport.js';

const at = (date: string) => Date.parse(`${date}T12:00:00Z`);

test('a supported LTS is ok, with its end of life', () => {
  assert.equal(judgeRuntime('v24.21.0', at('2026-11-25')), { status: 'ok', what: 'runtime node v24.21.0 (supported until 2028-04-30)' });
  assert.equal(judgeRuntime('v20.20.2', at('2026-04-29')), { status: 'ok', what: 'runtime node v20.20.2 (supported until 2026-04-30)' });
});

test('past its end of life: a warning that says what to do', () => {
  assert.equal(judgeRuntime('v20.20.2', at('2026-11-25')), {
    status: 'warn',
    what: 'runtime node v20.20.2: past its end of life (2026-04-30), no security releases',
    fix: 'rebuild geo-hook on a supported Node LTS (npm run build) and install that executable',
  });
  assert.is(judgeRuntime('v20.0.0', Date.parse('2026-04-30T00:00:00Z')).status, 'warn', 'from the day itself');
  assert.is(judgeRuntime('v24.0.0', at('2028-05-01')).status, 'warn');
});

test('every LTS line with its end of life, from nodejs.org\'s release schedule', () => {
  const ends: Array<[string, string]> = [
    ['v18.20.8', '2025-04-30'],
    ['v20.20.2', '2026-04-30'],
    ['v22.22.0', '2027-04-30'],
    ['v24.21.0', '2028-04-30'],
    ['v26.10.0', '2029-04-30'],
  ];
  for (const [version, end] of ends) assert.equal(judgeRuntime(version, at('2024-01-01')), { status: 'ok', what: `runtime node ${version} (supported until ${end})` });
});

test('a version without its v is read the same; one with anything before it is not a version', () => {
  assert.is(judgeRuntime('24.21.0', at('2026-11-25')).status, 'ok');
  assert.is(judgeRuntime('x24.21.0', at('2026-11-25')).status, 'warn');
});

test('a line it does not know (odd, or newer than the table): a warning', () => {
  for (const version of ['v23.1.0', 'v99.0.0', 'garbage']) assert.is(judgeRuntime(version, at('2026-11-25')).status, 'warn', version);
  assert.equal(judgeRuntime('v23.1.0', at('2026-11-25')), {
    status: 'warn',
    what: 'runtime node v23.1.0: not a long-term support line geo-hook knows',
    fix: 'build geo-hook on a Node LTS (npm run build embeds the pinned one)',
  });
});

test('the code cache: accepted is ok, refused a warning with its fix, and nothing to say without one', () => {
  assert.equal(judgeCodeCache('accepted'), { status: 'ok', what: "the executable's V8 code cache is accepted: the hook starts without compiling" });
  assert.equal(judgeCodeCache('rejected'), {
    status: 'warn',
    what: "the executable's V8 code cache is refused: every hook run compiles its code again (about 20 ms of each push)",
    fix: 'run geo-hook without V8 flags in NODE_OPTIONS (where git runs the hook, too), or rebuild it on this runtime',
  });
  assert.is(judgeCodeCache('none'), undefined);
});

test("the command line's code cache: none says nothing, accepted is ok, refused a warning that pushes are unaffected", () => {
  assert.is(judgeCliCodeCache('none'), undefined);
  assert.equal(judgeCliCodeCache('accepted'), { status: 'ok', what: "the executable's V8 code cache for its commands is accepted" });
  assert.equal(judgeCliCodeCache('rejected'), {
    status: 'warn',
    what: "the executable's V8 code cache for its commands is refused: each command compiles its code again (a slower start, pushes unaffected)",
    fix: 'run geo-hook without V8 flags in NODE_OPTIONS, or rebuild it on this runtime',
  });
});

test.run();
