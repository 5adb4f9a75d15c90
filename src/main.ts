import { fstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ExitStatus, UsageError, isGeoHookError } from './errors.js';
import { showControls } from './hook/showControls.js';
import { errorLine, internalError } from './messages.js';
import type { CodeCacheState, WrappedBundle } from './executable/hookAsset.js';
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
    nodeVersion: process.version,
    codeCache: typeof geoHookCodeCache === 'string' ? geoHookCodeCache : 'none',
    // Known once the second bundle is loaded, which is before any command that asks.
    get cliCodeCache() {
      return cliCodeCache;
    },
    // Only install and the lab need it; a hook run does not pay for finding out.
    get self() {
      return selfCommand();
    },
    get stdin() {
      return process.stdin;
    },
    // Asked of the file descriptor: making process.stdin to ask costs a run about 2 ms, and node:tty is loaded only for a character device.
    get stdinIsTerminal() {
      return isCharacterDevice(0) && process.getBuiltinModule('node:tty').isatty(0);
    },
    stdout: process.stdout,
    stderr: process.stderr,
    setExitCode: (code) => {
      process.exitCode = code;
    },
    exitNow: (code) => process.exit(code),
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
    onReload: (handler) => {
      process.on('SIGHUP', () => {
        Promise.resolve(handler()).catch((error: unknown) => report(error, process.env));
      });
    },
  };
}

function isCharacterDevice(fd: number): boolean {
  try {
    return fstatSync(fd).isCharacterDevice();
  } catch {
    return false;
  }
}

/** A single executable runs as itself; otherwise node, its loader flags (tsx), and the script. */
function selfCommand(): string[] {
  if (isSingleExecutable()) return [process.execPath];
  return [process.execPath, ...process.execArgv.map(absoluteLoader), path.resolve(process.argv[1] ?? '')];
}

/**
 * `--import tsx` as a file URL: an installed hook runs in the repository's
 * folder, where the bare name would not resolve.
 */
function absoluteLoader(arg: string, index: number, args: readonly string[]): string {
  if (args[index - 1] !== '--import' || /^(?:file:|\/|\.)/.test(arg)) return arg;
  try {
    return typeof import.meta.resolve === 'function' ? import.meta.resolve(arg) : arg;
  } catch {
    return arg;
  }
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
    // A message can carry a name from disk or from the command line: never raw onto a terminal.
    process.stderr.write(showControls(errorLine(error.message)));
    process.exitCode = error.exitStatus;
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(showControls(errorLine(internalError(message, VERSION, process.versions.node))));
  if (/^(?:1|true)$/.test(env.GEO_HOOK_VERBOSE ?? '') && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  process.exitCode = ExitStatus.internal;
}

/** A parameter of the wrapper the single executable runs this bundle in (src/executable/seaMain.ts); undeclared elsewhere. */
declare const geoHookCodeCache: CodeCacheState | undefined;

/** Set by the build: the file of the second bundle, which holds everything but the hook. */
declare const GEO_HOOK_CLI_BUNDLE: string | undefined;

/**
 * The command line, the server, the lab and the installer. In the build they
 * are a second bundle, loaded only here, so that a push never pays for them.
 */
async function loadCli(): Promise<typeof import('./cli.js')> {
  if (typeof GEO_HOOK_CLI_BUNDLE === 'string') return loadSecondBundle(GEO_HOOK_CLI_BUNDLE) as typeof import('./cli.js');
  return import('./cli.js');
}

/** Set by the build: the asset holding V8's code cache for the second bundle, taken after a --help run. */
declare const GEO_HOOK_CLI_CODE_CACHE_ASSET: string | undefined;

/** Whether V8 took the second bundle's code cache ('none' outside the single executable). */
let cliCodeCache: CodeCacheState = 'none';

function loadSecondBundle(file: string): unknown {
  const sea = process.getBuiltinModule('node:sea');
  if (sea?.isSea()) {
    // A single executable carries the bundle wrapped (a function expression) beside V8's code cache for it,
    // taken by the build after a run, so yargs and the commands are not compiled again at every start.
    const { Script } = process.getBuiltinModule('node:vm');
    const cachedData = typeof GEO_HOOK_CLI_CODE_CACHE_ASSET === 'string' ? new Uint8Array(sea.getAsset(GEO_HOOK_CLI_CODE_CACHE_ASSET)) : new Uint8Array();
    const script = new Script(sea.getAsset(file, 'utf8'), { filename: file, ...(cachedData.byteLength > 0 && { cachedData }) });
    cliCodeCache = cachedData.byteLength === 0 ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'accepted';
    const module = { exports: {} };
    // Its require loads built-in modules only.
    (script.runInThisContext() as WrappedBundle)(module.exports, createRequire(process.execPath), module, process.execPath, path.dirname(process.execPath), cliCodeCache);
    return module.exports;
  }
  return createRequire(import.meta.url)(`./${file}`);
}

/** Commands that keep running and write a log to stdout. */
const LONG_RUNNING = new Set(['serve', 'lab']);

const COMPLETION_HELP = `geo-hook completion [bash|zsh]

print a shell completion script for geo-hook's commands and flags: for the
shell named, or else the one in SHELL (bash when that is neither)

Examples:
  geo-hook completion >> ~/.bashrc
  geo-hook completion zsh >> ~/.zshrc
`;

/**
 * \`geo-hook completion zsh\`: yargs picks the script's shell from SHELL
 * alone, so the shell named on the command line is put there, here at the
 * edge, and the word taken off the command line.
 */
function completionFor(shell: Shell): Shell {
  const [command, named, ...rest] = shell.argv;
  if (command !== 'completion' || (named !== 'bash' && named !== 'zsh') || rest.length > 0) return shell;
  process.env.SHELL = `/bin/${named}`;
  // The shell's other parts stay as they are (lazy getters included): only argv differs.
  return Object.assign(Object.create(shell) as Shell, { argv: ['completion'] });
}

async function main(): Promise<void> {
  const shell = makeShell();
  try {
    if (invokedAsHook()) {
      // git passes a post-receive hook no arguments; anything else is a mistake, said once.
      if (shell.argv.length > 0) {
        throw new UsageError('post-receive takes no arguments: configure it with GEO_HOOK_* or GEO_HOOK_CONFIG', 'EUSAGE');
      }
      const { runHook } = await import('./commands/postReceive.js');
      await runHook(shell, { flags: {}, dryRun: false, verbose: false });
    } else if (shell.argv.length === 1 && shell.argv[0] === 'post-receive') {
      // What an installed hook runs: no flags, so no argument parser to load.
      const { runHook } = await import('./commands/postReceive.js');
      await runHook(shell, { flags: {}, dryRun: false, verbose: false });
    } else if (shell.argv.length === 1 && shell.argv[0] === '--version') {
      // Scripts ask this often; it needs no argument parser either.
      shell.stdout.write(`${VERSION}\n`);
    } else if (shell.argv[0] === 'completion' && (shell.argv.includes('--help') || shell.argv.includes('-h'))) {
      // yargs answers its completion command with the script whatever follows: the help is said here.
      shell.stdout.write(COMPLETION_HELP);
    } else {
      // A reader that went away (geo-hook check | head) is no error of a command that prints and ends: no
      // stack trace, just the end. Not for the servers: a closed log pipe never stops them (they drop the lines).
      // Not on the hook's path either, which has its own bounds and should not make a stream it does not use.
      if (!LONG_RUNNING.has(shell.argv[0] ?? '')) {
        process.stdout.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
        });
      }
      const { runCli } = await loadCli();
      await runCli(completionFor(shell));
    }
  } catch (error) {
    report(error, process.env);
  }
}

void main();
