import type { CommandModule } from 'yargs';
import { UsageError } from '../errors.js';
import type { Shell } from '../shell.js';

/** The work of install or uninstall for one owner's repositories is a few hundred bytes a repository. */
const MAX_WORK_BYTES = 16 * 1024 * 1024;

/**
 * Not for people: what `install` and `uninstall`, run by root, start as a
 * repository's owner (setpriv) to do that repository's file work. It reads
 * the work from standard input and answers a JSON line per repository.
 */
export function repositoryFilesCommand(shell: Shell): CommandModule {
  return {
    command: 'repository-files',
    describe: false,
    handler: async () => {
      let input = '';
      for await (const chunk of shell.stdin) {
        input += String(chunk);
        if (input.length > MAX_WORK_BYTES) throw new UsageError('repository-files: standard input is too large', 'EUSAGE');
      }
      const { answerRepositoryWork } = await import('../installer/repositoryWork.js');
      await answerRepositoryWork(input, (line) => shell.stdout.write(line));
    },
  };
}
