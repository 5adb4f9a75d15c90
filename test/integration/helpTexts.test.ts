import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runGeoHook } from '../helpers/geoHook.js';

const COMMANDS = ['post-receive', 'serve', 'install', 'uninstall', 'check', 'lab', 'demo', 'deploy-config'];

test('every command has --help with an example; settings show their defaults', async () => {
  for (const command of COMMANDS) {
    const help = await runGeoHook([command, '--help']);
    assert.equal([help.code, help.stderr], [0, ''], command);
    const examples = help.stdout.split('\nExamples:\n')[1] ?? '';
    assert.ok(examples.replace(/\s+/g, ' ').includes(`geo-hook ${command} `), `${command} has an example of itself`);
  }
  const hook = (await runGeoHook(['post-receive', '--help'])).stdout.replace(/\s+/g, ' ');
  // Defaults from contract section 9 and the README's table, written out by hand (help wraps: spaces folded).
  assert.match(hook, /\[GEO_HOOK_TIMEOUT\] \[default: 10\]/);
  assert.match(hook, /\[GEO_HOOK_API_URL\] \[default: http:\/\/127\.0\.0\.1:8080\]/);
  const serve = await runGeoHook(['serve', '--help']);
  assert.match(serve.stdout.replace(/\s+/g, ' '), /\[GEO_HOOK_MAX_CONNECTIONS\] \[default: 1024\]/);
  assert.match(serve.stdout.replace(/\s+/g, ' '), /\[GEO_HOOK_STORE\] \[default: memory\]/);
  // Numbers are numbers to the reader, whatever the parser keeps them as.
  assert.match(hook, /\[GEO_HOOK_TIMEOUT\] \[default: 10\] \[number\]/);
  assert.not.match(hook, /\[GEO_HOOK_TIMEOUT\] \[default: 10\] \[number\] \[string\]/);
  assert.match(serve.stdout.replace(/\s+/g, ' '), /\[default: 1024\] \[number\]/);
  // A required list of repositories has no default.
  const install = (await runGeoHook(['install', '--help'])).stdout.replace(/\s+/g, ' ');
  assert.match(install, /repo bare repositories \(with --recursive: folders holding them\) \[array\] \[required\]/);
  assert.not.match(install, /\[default: \[\]\]/);
  // The lab's default mode is the deploy guide's default.
  assert.match((await runGeoHook(['lab', '--help'])).stdout.replace(/\s+/g, ' '), /\[default: "geo-node-id"\]/);
});

test('geo-hook completion prints a shell completion script that completes the commands and their flags', async () => {
  const script = await runGeoHook(['completion']);
  assert.equal([script.code, script.stderr], [0, '']);
  assert.match(script.stdout, /^###-begin-geo-hook-completions-###$/m);
  assert.match(script.stdout, /--get-yargs-completions/);
  const commands = await runGeoHook(['--get-yargs-completions', 'geo-hook', 'se']);
  assert.ok(commands.stdout.split('\n').includes('serve'), commands.stdout);
  const flags = await runGeoHook(['--get-yargs-completions', 'geo-hook', 'serve', '--st']);
  assert.ok(flags.stdout.split('\n').includes('--store'), flags.stdout);
  assert.ok(flags.stdout.split('\n').includes('--max-connections'), flags.stdout);
});

test('completion: --help is help, zsh and bash by name whatever SHELL says, one-letter aliases offered as -r only', async () => {
  const help = await runGeoHook(['completion', '--help']);
  assert.equal([help.code, help.stderr], [0, '']);
  assert.match(help.stdout, /^geo-hook completion \[bash\|zsh\]\n/);
  assert.not.match(help.stdout, /begin-geo-hook-completions/);
  const zsh = await runGeoHook(['completion', 'zsh'], { env: { SHELL: '/bin/bash' } });
  assert.equal([zsh.code, zsh.stderr], [0, '']);
  assert.match(zsh.stdout, /^#compdef geo-hook$/m);
  const bash = await runGeoHook(['completion', 'bash'], { env: { SHELL: '/usr/bin/zsh' } });
  assert.match(bash.stdout, /^###-begin-geo-hook-completions-###$/m);
  assert.not.match(bash.stdout, /#compdef/);
  const flags = (await runGeoHook(['--get-yargs-completions', 'geo-hook', 'install', '--r'])).stdout.split('\n');
  assert.ok(flags.includes('--recursive'), flags.join(' '));
  assert.not.ok(flags.includes('--r'), flags.join(' '));
});

test.run();
