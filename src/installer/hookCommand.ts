import { stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Whether the command an installed hook will run is one that lasts and that
 * git's user can run. A hook runs on every push, as whatever user runs git
 * (the web server's CGI user, sshd's git user), long after `install`.
 */

/** npx runs packages from npm's cache, which `npm cache clean` or a new version empties. */
export function inNpmCache(file: string): boolean {
  return /[\\/]_npx[\\/]|[\\/]\.npm[\\/]|[\\/]_cacache[\\/]/.test(file);
}

export interface CommandProblems {
  /** Refuse without --force. */
  readonly refusals: string[];
  /** Say, and install anyway. */
  readonly warnings: string[];
}

/** The files of the command (the executable; node and the script when run through node), judged. */
export async function judgeHookCommand(command: readonly string[]): Promise<CommandProblems> {
  const refusals: string[] = [];
  const warnings: string[] = [];
  const files = command.filter((word) => path.isAbsolute(word));
  for (const file of files) {
    if (inNpmCache(file)) {
      refusals.push(
        `the hook would run ${file}, inside npm's cache (npx), which is emptied without warning: install geo-hook for good (npm run build, then copy dist/geo-hook to /usr/local/bin) and run that one's install, or pass --force`,
      );
    }
  }
  for (const [index, file] of files.entries()) {
    const unreachable = await notForOthers(file, index === 0 ? 0o001 : 0o004);
    if (unreachable) warnings.push(`${unreachable}: git runs the hook as the user that runs git (the web server's CGI user, or sshd's git user), who must be able to run ${files.join(' ')}`);
  }
  return { refusals, warnings };
}

/** What stops a user other than the owner from reaching the file with this permission bit, if anything. */
async function notForOthers(file: string, bit: number): Promise<string | undefined> {
  try {
    const info = await stat(file);
    if ((info.mode & bit) === 0) return `${file} is not ${bit === 0o001 ? 'executable' : 'readable'} by other users`;
    for (let folder = path.dirname(file); ; folder = path.dirname(folder)) {
      if (((await stat(folder)).mode & 0o001) === 0) return `${folder} (holding ${path.basename(file)}) cannot be entered by other users`;
      if (path.dirname(folder) === folder) return undefined;
    }
  } catch (error) {
    return `${file} cannot be looked at (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}
