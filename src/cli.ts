import yargs from 'yargs';
import { checkCommand } from './commands/check.js';
import { statusCommand } from './commands/status.js';
import { demoCommand } from './commands/demo.js';
import { deployConfigCommand } from './commands/deployConfig.js';
import { installCommand } from './commands/install.js';
import { labCommand } from './commands/lab.js';
import { postReceiveCommand } from './commands/postReceive.js';
import { replicateCommand } from './commands/replicate.js';
import { repositoryFilesCommand } from './commands/repositoryFiles.js';
import { serveCommand } from './commands/serve.js';
import { uninstallCommand } from './commands/uninstall.js';
import { UsageError } from './errors.js';
import type { Shell } from './shell.js';
import { VERSION } from './version.js';

/** The command table; each command's body is imported only when it runs. */
export async function runCli(shell: Shell): Promise<void> {
  await yargs(shell.argv.slice())
    .scriptName('geo-hook')
    .usage('$0 <command> [options]\n\nA Git post-receive hook for Geo-replicated Git servers, and the parts around it.')
    .command(postReceiveCommand(shell))
    .command(serveCommand(shell))
    .command(installCommand(shell))
    .command(uninstallCommand(shell))
    .command(checkCommand(shell))
    .command(statusCommand(shell))
    .command(replicateCommand(shell))
    .command(labCommand(shell))
    .command(demoCommand(shell))
    .command(deployConfigCommand(shell))
    .command(repositoryFilesCommand(shell))
    // yargs offers a one-letter alias as "--r" after "--": only its real form, "-r", is offered.
    .completion('completion', 'print a shell completion script: geo-hook completion [bash|zsh] >> ~/.bashrc (or ~/.zshrc)', (_current: string, _argv: unknown, completionFilter: (onCompleted: (error: unknown, completions: string[] | undefined) => void) => void, done: (completions: string[]) => void) => {
      completionFilter((_error, completions) => done((completions ?? []).filter((word) => !/^--[^-]$/.test(word.split(':')[0]!))));
    })
    .demandCommand(1, 'name a command')
    // Flags are read by their own names; camelCase copies would only double every error.
    .parserConfiguration({ 'camel-case-expansion': false, 'boolean-negation': false, 'parse-numbers': false })
    .recommendCommands()
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(100, (shell.stdout as { columns?: number }).columns ?? 80))
    .fail((message, error) => {
      // A failure thrown by a command goes to the error boundary as it is; yargs's own
      // complaints about the command line become one usage line.
      if (error) throw error;
      throw new UsageError(`${message ?? 'bad command line'} (see geo-hook --help)`, 'EUSAGE');
    })
    .parseAsync();
}
