import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HOOK_MARKER, hookScript, readHookScript, shellQuote } from '../../src/installer/hookScript.js';
import { type RepositoryState, planInstall, planUninstall } from '../../src/installer/planInstall.js';

const SCRIPT = hookScript(['/usr/bin/node', '/opt/geo hook/geo-hook.cjs'], "/etc/geo-hook/it's.json");
const SHA = (text: string) => createHash('sha256').update(text).digest('hex');
const state = (overrides: Partial<RepositoryState> = {}): RepositoryState => ({
  path: '/srv/a.git',
  isBare: true,
  hooksDirExists: true,
  hooksIsFolder: true,
  hook: { kind: 'none' },
  chainDirExists: false,
  chainEntryExists: false,
  editedEntryExists: false,
  manifest: undefined,
  ...overrides,
});

test('shell quoting', () => {
  assert.is(shellQuote('/usr/bin/node'), '/usr/bin/node');
  assert.is(shellQuote('/opt/geo hook'), "'/opt/geo hook'");
  assert.is(shellQuote("it's"), "'it'\\''s'");
});

test('the script: config, exec without a chain, the chain with the same input', () => {
  assert.match(SCRIPT, /^#!\/bin\/sh\n/);
  assert.ok(SCRIPT.includes(HOOK_MARKER));
  assert.match(SCRIPT, /^GEO_HOOK_CONFIG='\/etc\/geo-hook\/it'\\''s.json'\nexport GEO_HOOK_CONFIG$/m);
  assert.match(SCRIPT, /^\[ -d "\$chain" \] \|\| exec \/usr\/bin\/node '\/opt\/geo hook\/geo-hook.cjs' post-receive$/m);
  assert.match(SCRIPT, /"\$hook" "\$@" <"\$input" \|\| status=\$\?/);
  assert.equal(readHookScript(SCRIPT), { command: "/usr/bin/node '/opt/geo hook/geo-hook.cjs'", configFile: "/etc/geo-hook/it's.json" });
  assert.is(readHookScript('#!/bin/sh\necho mine\n'), undefined);
  assert.not.match(hookScript(['/bin/geo-hook'], undefined), /GEO_HOOK_CONFIG/);
});

test('install into an empty hooks folder', () => {
  const plan = planInstall(state(), SCRIPT);
  assert.is(plan.outcome, 'installed');
  assert.equal('steps' in plan && plan.steps.map((step) => step.do), ['write-manifest', 'write-hook']);
});

test('install keeps a hook that was there, in post-receive.d', () => {
  const plan = planInstall(state({ hook: { kind: 'other', symlinkTarget: undefined } }), SCRIPT);
  assert.is(plan.outcome, 'installed');
  assert.equal('steps' in plan && plan.steps.map((step) => step.do), ['mkdir', 'keep-original', 'write-manifest', 'write-hook']);
  const manifest = 'steps' in plan ? plan.steps.find((step) => step.do === 'write-manifest') : undefined;
  assert.equal(manifest, {
    do: 'write-manifest',
    manifest: { installedBy: 'geo-hook', original: { symlinkTarget: null }, createdChainDir: true, createdHooksDir: false, hookSha256: SHA(SCRIPT) },
  });
});

test('install twice changes nothing; a different script is an update', () => {
  assert.equal(planInstall(state({ hook: { kind: 'ours', script: SCRIPT } }), SCRIPT), { outcome: 'unchanged', note: 'already installed' });
  const old = `${SCRIPT}#`;
  const manifest = { installedBy: 'geo-hook' as const, original: null, createdChainDir: false, createdHooksDir: false, hookSha256: SHA(old) };
  assert.equal(planInstall(state({ hook: { kind: 'ours', script: old }, manifest }), SCRIPT), {
    outcome: 'updated',
    steps: [{ do: 'write-manifest', manifest: { ...manifest, hookSha256: SHA(SCRIPT) } }, { do: 'write-hook', script: SCRIPT }],
  });
});

test('an installed hook edited by hand is kept as hooks/post-receive.edited, by update and by uninstall', () => {
  const manifest = { installedBy: 'geo-hook' as const, original: null, createdChainDir: false, createdHooksDir: true, hookSha256: SHA(SCRIPT) };
  const edited = `${SCRIPT}echo mine\n`;
  const note = 'hooks/post-receive had been edited by hand: kept as hooks/post-receive.edited';
  assert.equal(planUninstall(state({ hook: { kind: 'ours', script: edited }, manifest })), {
    outcome: 'uninstalled',
    steps: [{ do: 'keep-edited' }, { do: 'remove-hook' }, { do: 'remove-manifest' }],
    note,
  });
  const updated = planInstall(state({ hook: { kind: 'ours', script: edited }, manifest }), `${SCRIPT}#new`);
  assert.equal(updated.outcome === 'updated' && [updated.steps.map((step) => step.do), updated.note], [['keep-edited', 'write-manifest', 'write-hook'], note]);
  const taken = 'hooks/post-receive was edited by hand and hooks/post-receive.edited already exists: move one away first';
  assert.equal(planUninstall(state({ hook: { kind: 'ours', script: edited }, manifest, editedEntryExists: true })), { outcome: 'failed', note: taken });
  assert.equal(planInstall(state({ hook: { kind: 'ours', script: edited }, manifest, editedEntryExists: true }), `${SCRIPT}#new`), { outcome: 'failed', note: taken });
  // A manifest without a hash cannot tell: the hook is kept, to be safe.
  const unhashed = planUninstall(state({ hook: { kind: 'ours', script: SCRIPT }, manifest: { installedBy: 'geo-hook', original: null, createdChainDir: false, createdHooksDir: false } }));
  assert.equal('steps' in unhashed && unhashed.steps[0], { do: 'keep-edited' });
});

test('install refuses what it cannot do safely', () => {
  assert.is(planInstall(state({ isBare: false }), SCRIPT).outcome, 'failed');
  assert.equal(planInstall(state({ hooksIsFolder: false }), SCRIPT), { outcome: 'failed', note: 'hooks is not a folder' });
  const taken = planInstall(state({ hook: { kind: 'other', symlinkTarget: undefined }, chainDirExists: true, chainEntryExists: true }), SCRIPT);
  assert.is(taken.outcome, 'failed');
});

test('uninstall undoes what the manifest says', () => {
  const manifest = { installedBy: 'geo-hook' as const, original: { symlinkTarget: '../shared/hook' }, createdChainDir: true, createdHooksDir: false, hookSha256: SHA(SCRIPT) };
  const plan = planUninstall(state({ hook: { kind: 'ours', script: SCRIPT }, manifest, chainDirExists: true, chainEntryExists: true }));
  assert.equal('steps' in plan && plan.steps, [
    { do: 'restore-original', symlinkTarget: '../shared/hook' },
    { do: 'remove-chain-dir-if-empty' },
    { do: 'remove-manifest' },
  ]);
  assert.is(planUninstall(state()).outcome, 'unchanged');
  assert.is(planUninstall(state({ hook: { kind: 'ours', script: SCRIPT }, manifest })).outcome, 'failed', 'the kept hook is gone');
});

test.run();
