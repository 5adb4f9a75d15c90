import path from 'node:path';
import { ExitStatus, UsageError, isGeoHookError } from './errors.js';
import { errorLine, internalError } from './messages.js';
import type { Shell } from './shell.js';
import { VERSION } from './version.js';

/**
 * The one entry and the one error boundary: the only module that reads
 * `process`. A known error prints `geo-hook: …` and sets its exit status; an
 * unknown one is reported as internal, with a stack only when debugging.
 */
function makeShell(): Shell {
  return {
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    self: selfCommand(),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    setExitCode: (code) => {
      process.exitCode = code;
    },
    onStop: (handler) => {
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        Promise.resolve(handler()).catch((error: unknown) => report(error, process.env));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
  };
}

/** A single executable runs as itself; otherwise node, its loader flags (tsx), and the script. */
function selfCommand(): string[] {
  if (isSingleExecutable()) return [process.execPath];
  return [process.execPath, ...process.execArgv, path.resolve(process.argv[1] ?? '')];
}

function isSingleExecutable(): boolean {
  return process.getBuiltinModule('node:sea')?.isSea() ?? false;
}

/** Invoked as `post-receive` (a symlink in hooks/), the executable is the hook, as gitaly-hooks is. */
function invokedAsHook(): boolean {
  const names = [process.argv0, process.argv[1]].map((name) => path.basename(name ?? ''));
  return names.some((name) => name === 'post-receive');
}

function report(error: unknown, env: NodeJS.ProcessEnv): void {
  if (isGeoHookError(error)) {
    process.stderr.write(errorLine(error.message));
    process.exitCode = error.exitStatus;
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(errorLine(internalError(message, VERSION, process.versions.node)));
  if (/^(?:1|true)$/.test(env.GEO_HOOK_VERBOSE ?? '') && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  process.exitCode = ExitStatus.internal;
}

async function main(): Promise<void> {
  const shell = makeShell();
  try {
    if (invokedAsHook()) {
      const { runHook } = await import('./commands/postReceive.js');
      // git passes a post-receive hook no arguments; anything else is a mistake, said once.
      if (shell.argv.length > 0) {
        throw new UsageError('post-receive takes no arguments: configure it with GEO_HOOK_* or GEO_HOOK_CONFIG', 'EUSAGE');
      }
      await runHook(shell, { flags: {}, dryRun: false, verbose: false });
    } else {
      const { runCli } = await import('./cli.js');
      await runCli(shell);
    }
  } catch (error) {
    report(error, process.env);
  }
}

void main();
