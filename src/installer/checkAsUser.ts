import { spawn } from 'node:child_process';
import { UsageError } from '../errors.js';

/** The whole check, given time to reach the API and read its files as the other user. */
const CHECK_AS_USER_MS = 60_000;

/**
 * What the other user is given of root's environment: runuser keeps it all,
 * and root's may hold tokens that user must never see. The check needs only
 * these.
 */
export function environmentForUser(env: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && (name === 'PATH' || name === 'HOME' || name === 'LANG' || name.startsWith('GEO_HOOK_'))) kept[name] = value;
  }
  return kept;
}

/**
 * `check --as-user git`: the same check run again as the user git runs the
 * hook as (runuser, so that user's own groups), because which files that
 * user can read is what decides whether pushes work, not what root can.
 * The caller runs the check itself when that user is the one running it.
 */
export async function checkAsUser(
  user: string,
  self: readonly string[],
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  out: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  if (!/^[a-z_][a-z0-9_.-]*\$?$/i.test(user)) throw new UsageError(`--as-user ${JSON.stringify(user)} is not a user name`, 'EUSAGE');
  if (process.getuid?.() !== 0) {
    throw new UsageError(`only root can check as another user: run it as root (sudo geo-hook check --as-user ${user} …) or as ${user} itself`, 'EUSAGE');
  }
  return new Promise((resolve, reject) => {
    const child = spawn('runuser', ['-u', user, '--', ...self, 'check', ...args], { env: environmentForUser(env), stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHECK_AS_USER_MS);
    // Which user's view the lines are: a check as git and one as root read alike otherwise.
    let first = !args.includes('--json');
    child.stdout.on('data', (chunk: Buffer) => {
      if (first) out.stdout.write(`check run as user ${user}:\n`);
      first = false;
      out.stdout.write(chunk);
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new UsageError(error.code === 'ENOENT' ? 'runuser is not installed (Debian: util-linux), so the check cannot run as another user' : `cannot run the check as ${user}: ${error.message}`, 'EUSAGE', error));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      // runuser's own refusals (no such user, the command cannot be run as that user) in one line;
      // what geo-hook said as that user, as it came.
      if (/^runuser: /m.test(stderr)) {
        reject(new UsageError(`cannot run the check as ${user}: ${stderr.replace(/^runuser: /, '').trim().split('\n')[0]}`, 'EUSAGE'));
        return;
      }
      out.stderr.write(stderr);
      resolve(code ?? 1);
    });
  });
}
