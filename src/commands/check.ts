import path from 'node:path';
import type { CommandModule } from 'yargs';
import type { Shell } from '../shell.js';
import { HOOK_KEYS, configFlags, pickFlags } from './configFlags.js';

export function checkCommand(shell: Shell): CommandModule {
  return {
    command: 'check [repo..]',
    describe: 'check a hook installation: configuration, secret, the API, the clock, and the given repositories',
    builder: (yargs) =>
      yargs.positional('repo', { type: 'string', array: true, describe: 'bare repositories whose hook to check' }).options(configFlags(HOOK_KEYS)),
    handler: async (argv) => {
      const [{ checkInstallation, renderCheckResults }, { sendRequest }, { readConfigFile }, { VERSION }] = await Promise.all([
        import('../installer/checkInstallation.js'),
        import('../hook/sendRequest.js'),
        import('./readConfigFile.js'),
        import('../version.js'),
      ]);
      const flags = pickFlags(argv, HOOK_KEYS);
      const results = await checkInstallation({
        sources: { flags, env: shell.env, file: await readConfigFile(flags, shell.env) },
        repositories: ((argv.repo as string[] | undefined) ?? []).map((repo) => path.resolve(shell.cwd, repo)),
        self: shell.self,
        version: VERSION,
        runtimeVersion: shell.nodeVersion,
        now: Date.now,
        send: sendRequest,
      });
      shell.stdout.write(renderCheckResults(results));
      shell.setExitCode(results.some((result) => result.status === 'fail') ? 1 : 0);
    },
  };
}
