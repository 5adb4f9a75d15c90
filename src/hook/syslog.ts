/**
 * The last resort for a line no log file will hold: a config file that
 * cannot be read or parsed names the log in itself, so nothing would reach
 * any place an operator looks. The line goes to syslog through logger(1)
 * (util-linux), started and left to itself: the hook never waits for it.
 * Loaded only on that error path (node:child_process stays off a push's).
 * GEO_HOOK_SYSLOG_SOCKET names another socket than logger's own (/dev/log).
 */
export function toSyslog(line: string, env: Readonly<Record<string, string | undefined>>): void {
  try {
    const { spawn } = process.getBuiltinModule('node:child_process');
    const socket = env.GEO_HOOK_SYSLOG_SOCKET;
    const args = ['-t', 'geo-hook', '-p', 'user.err', ...(socket ? ['-u', socket] : []), '--', line];
    const child = spawn('logger', args, { stdio: 'ignore', env: { PATH: '/usr/bin:/bin' }, detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No logger, no fork: the pusher's line is all there is.
  }
}
