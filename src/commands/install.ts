import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../errors.js';
import type { Shell } from '../shell.js';

export interface InstallerArgs {
  readonly targets: readonly string[];
  readonly recursive: boolean;
  readonly dryRun: boolean;
  readonly configFile: string | undefined;
  /** Install a command that would not last (npx's cache). */
  readonly force?: boolean;
}

export function installCommand(shell: Shell): CommandModule {
  return {
    command: 'install <repo..>',
    describe: 'install the hook into bare repositories, keeping any post-receive hook already there',
    builder: (yargs) =>
      withTargets(yargs)
        .options({
          config: { type: 'string', requiresArg: true, describe: 'the JSON config file the installed hook will use' },
          force: { type: 'boolean', describe: "install even with a config file the hook cannot use, or a command that will not last (inside npx's cache)" },
        })
        .example('$0 install --recursive /var/opt/gitlab/git-data/repositories --config /etc/geo-hook/config.json', 'every bare repository under the folder'),
    handler: async (argv) => {
      await runInstaller(shell, 'install', {
        targets: argv.repo as string[],
        recursive: argv.recursive === true,
        dryRun: argv['dry-run'] === true,
        configFile: argv.config as string | undefined,
        force: argv.force === true,
      });
    },
  };
}

/** The repositories and how to take them, the same for install and uninstall. */
export function withTargets(yargs: Argv) {
  return yargs.positional('repo', { type: 'string', array: true, default: undefined, defaultDescription: undefined, describe: 'bare repositories (with --recursive: folders holding them)' }).options({
    recursive: { alias: 'r', type: 'boolean', describe: 'every bare repository under the given folders' },
    'dry-run': { type: 'boolean', describe: 'list what would change, and change nothing' },
  });
}

/** Shared by install and uninstall: progress on a terminal, a line per repository, a summary always. */
export async function runInstaller(shell: Shell, action: 'install' | 'uninstall', args: InstallerArgs): Promise<void> {
  const [{ installHooks, resultLine, summarise }, { hookScript }, { showControls }] = await Promise.all([
    import('../installer/installHooks.js'),
    import('../installer/hookScript.js'),
    import('../hook/showControls.js'),
  ]);
  let script: string | undefined;
  if (action === 'install') {
    const configFile = args.configFile === undefined ? undefined : path.resolve(shell.cwd, args.configFile);
    if (configFile !== undefined) {
      // Read now what every push will read: a broken config would show every pusher an error.
      const { validateHookConfig } = await import('../installer/validateHookConfig.js');
      const problem = await validateHookConfig(configFile);
      if (problem !== undefined && args.force !== true) throw new UsageError(`${problem}: nothing was installed (fix it, or --force to install anyway)`, 'ECONFIG');
      if (problem !== undefined) shell.stderr.write(showControls(`geo-hook: warning: ${problem}: installing anyway (--force)\n`));
    }
    const { judgeHookCommand } = await import('../installer/hookCommand.js');
    const judged = await judgeHookCommand(shell.self);
    if (judged.refusals.length > 0 && args.force !== true) throw new UsageError(judged.refusals[0]!, 'EUNSTABLE');
    for (const line of [...judged.refusals, ...judged.warnings]) shell.stderr.write(showControls(`geo-hook: warning: ${line}\n`));
    script = hookScript(shell.self, configFile);
  }
  const progress = shell.stderr.isTTY === true;
  const results = await installHooks({
    targets: args.targets.map((target) => path.resolve(shell.cwd, target)),
    recursive: args.recursive,
    script,
    dryRun: args.dryRun,
    self: shell.self,
    ...(action === 'install' && args.configFile === undefined && { keepConfigWith: shell.self }),
    onResult: (result, count) => {
      if (progress) shell.stderr.write('\r\x1b[K');
      // Many repositories: lines only for what changed or failed; the summary counts the rest.
      if (result.outcome !== 'unchanged' || !args.recursive) shell.stdout.write(`${showControls(resultLine(result, args.dryRun))}\n`);
      if (progress) shell.stderr.write(`${action}: ${count} repositories…`);
    },
  });
  if (progress) shell.stderr.write('\r\x1b[K');
  shell.stdout.write(`${summarise(results, args.dryRun)}\n`);
  if (results.some((result) => result.outcome === 'failed')) shell.setExitCode(1);
}
