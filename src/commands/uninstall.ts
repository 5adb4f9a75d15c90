import type { CommandModule } from 'yargs';
import type { Shell } from '../shell.js';
import { runInstaller, withTargets } from './install.js';

export function uninstallCommand(shell: Shell): CommandModule {
  return {
    command: 'uninstall <repo..>',
    describe: 'remove the hook, putting back exactly what install found',
    builder: (yargs) => withTargets(yargs).example('$0 uninstall --recursive /var/opt/gitlab/git-data/repositories', 'every repository under the folder, as it was before install'),
    handler: async (argv) => {
      await runInstaller(shell, 'uninstall', {
        targets: argv.repo as string[],
        recursive: argv.recursive === true,
        dryRun: argv['dry-run'] === true,
        configFile: undefined,
      });
    },
  };
}
