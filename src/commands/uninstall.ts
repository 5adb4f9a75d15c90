import type { CommandModule } from 'yargs';
import type { Shell } from '../shell.js';
import { runInstaller } from './install.js';

export function uninstallCommand(shell: Shell): CommandModule {
  return {
    command: 'uninstall <repo..>',
    describe: 'remove the hook, putting back exactly what install found',
    builder: (yargs) =>
      yargs
        .positional('repo', { type: 'string', array: true, describe: 'bare repositories (with --recursive: folders holding them)' })
        .options({
          recursive: { alias: 'r', type: 'boolean', describe: 'every bare repository under the given folders' },
          'dry-run': { type: 'boolean', describe: 'list what would change, and change nothing' },
        }),
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
