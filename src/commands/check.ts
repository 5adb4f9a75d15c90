import { userInfo } from 'node:os';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import type { Shell } from '../shell.js';
import { HOOK_KEYS, configFlags, pickFlags } from './configFlags.js';

export function checkCommand(shell: Shell): CommandModule {
  return {
    command: 'check [repo..]',
    describe: 'check a hook installation: configuration, secret, the API, the clock, and the given repositories',
    builder: (yargs) =>
      yargs
        .positional('repo', { type: 'string', array: true, describe: 'bare repositories whose hook to check' })
        .options({
          ...configFlags(HOOK_KEYS),
          recursive: { alias: 'r', type: 'boolean', describe: 'check every bare repository under the given folders (each hook current, its config usable)' },
          'as-user': { type: 'string', requiresArg: true, describe: 'run the check as this user (the one git runs the hook as: its files, its groups); root only' },
          json: { type: 'boolean', describe: 'one JSON object on stdout, for monitoring: {"ok": …, "results": [{"status", "what", "fix"}]}' },
        })
        .example('$0 check --config /etc/geo-hook/config.json /srv/git/group/project.git', 'configuration, secret, API, clock and one repository')
        .example('$0 check --as-user git --config /etc/geo-hook/config.json', 'the same, with the files as the user git runs the hook as')
        .example('$0 check --recursive /var/opt/gitlab/git-data/repositories', 'every installed hook under the folder: current, and its config usable'),
    handler: async (argv) => {
      const asUser = argv['as-user'] as string | undefined;
      // As oneself, the check needs no second process.
      if (asUser !== undefined && asUser !== runningUser()) {
        const { checkAsUser } = await import('../installer/checkAsUser.js');
        // Everything but --as-user, as it was given.
        const args = withoutAsUser(shell.argv.slice(shell.argv.indexOf('check') + 1));
        shell.setExitCode(await checkAsUser(asUser, shell.self, args, shell.env, shell));
        return;
      }
      const [{ checkInstallation, renderCheckResults }, { sendRequest }, { readConfigFile }, { VERSION }, { jsonForTerminal, showControls }] = await Promise.all([
        import('../installer/checkInstallation.js'),
        import('../hook/sendRequest.js'),
        import('./readConfigFile.js'),
        import('../version.js'),
        import('../hook/showControls.js'),
      ]);
      const flags = pickFlags(argv, HOOK_KEYS);
      const given = ((argv.repo as string[] | undefined) ?? []).map((repo) => path.resolve(shell.cwd, repo));
      const repositories = argv.recursive === true ? await everyRepositoryUnder(given) : given;
      const results = await checkInstallation({
        sources: { flags, env: shell.env, file: await readConfigFile(flags, shell.env) },
        repositories,
        self: shell.self,
        version: VERSION,
        runtimeVersion: shell.nodeVersion,
        codeCache: shell.codeCache,
        cliCodeCache: shell.cliCodeCache,
        now: Date.now,
        send: sendRequest,
      });
      const failed = results.some((result) => result.status === 'fail');
      // Names from disk (a repository's folder, the command in its hook) can hold terminal escapes: never raw.
      shell.stdout.write(argv.json === true ? `${jsonForTerminal({ ok: !failed, user: runningUser(), results })}\n` : showControls(renderCheckResults(results)));
      shell.setExitCode(failed ? 1 : 0);
    },
  };
}

/** --recursive: the bare repositories under the folders, found as install finds them (no link followed). */
async function everyRepositoryUnder(folders: readonly string[]): Promise<string[]> {
  const { findBareRepositories } = await import('../installer/findBareRepositories.js');
  const found: string[] = [];
  for (const folder of folders) for await (const repository of findBareRepositories(folder)) found.push(repository);
  return found;
}

function withoutAsUser(args: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--as-user') i++;
    else if (!args[i]!.startsWith('--as-user=')) kept.push(args[i]!);
  }
  return kept;
}

function runningUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}
