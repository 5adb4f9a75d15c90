import type { CommandModule } from 'yargs';
import { MAX_TIMEOUT_SECONDS, OPTIONS } from '../config/options.js';
import { isGeoHookError } from '../errors.js';
import { pusherReason } from '../hook/pusherReason.js';
import { showControls } from '../hook/showControls.js';
import { errorLine, pusherLine } from '../messages.js';
import type { Shell } from '../shell.js';
import { HOOK_KEYS, configFlags, pickFlags } from './configFlags.js';

export interface HookFlags {
  readonly flags: Record<string, unknown>;
  readonly dryRun: boolean;
  readonly verbose: boolean;
}

export function postReceiveCommand(shell: Shell): CommandModule {
  return {
    command: 'post-receive',
    describe: "the hook: git runs it after a push (also what runs when invoked as 'post-receive')",
    builder: (yargs) =>
      yargs.options({
        ...configFlags(HOOK_KEYS),
        'dry-run': { type: 'boolean', describe: 'print the request it would send, and send nothing' },
        verbose: { type: 'boolean', describe: 'debug detail on stderr (also GEO_HOOK_VERBOSE=1)' },
      })
      .example('echo "$OLD $NEW refs/heads/main" | GL_ID=key-42 GL_REPOSITORY=project-7 $0 post-receive --dry-run --config /etc/geo-hook/config.json', 'what the hook would send for one ref update'),
    handler: async (argv) => {
      await runHook(shell, {
        flags: pickFlags(argv, HOOK_KEYS),
        dryRun: argv['dry-run'] === true,
        verbose: argv.verbose === true,
      });
    },
  };
}

/** The hook's shell: wires the process's streams, files and clock into runPostReceive. */
export async function runHook(shell: Shell, { flags, dryRun, verbose }: HookFlags): Promise<void> {
  const [{ runPostReceive, MAX_STDIN_BYTES }, { readAllStdin }, { sendRequest }, { appendLogLineSafely, readFileSafely }, { readConfigFile }, { VERSION }] = await Promise.all([
    import('../hook/runPostReceive.js'),
    import('../hook/readStdin.js'),
    import('../hook/sendRequest.js'),
    import('../hook/remoteFileIo.js'),
    import('./readConfigFile.js'),
    import('../version.js'),
  ]);
  const debugOn = verbose || /^(?:1|true)$/.test(shell.env.GEO_HOOK_VERBOSE ?? '');
  const started = Date.now();
  // Each line also says when it came since the process started (node's own start-up included): the profile of npm run bench reads it.
  const debug = debugOn
    ? (line: string) => shell.stderr.write(`geo-hook[debug +${Date.now() - started}ms, ${performance.now().toFixed(1)} ms since start] ${line}\n`)
    : undefined;
  debug?.(`geo-hook loaded; node's own start-up ended at ${performance.nodeTiming.bootstrapComplete.toFixed(1)} ms; V8 code cache ${shell.codeCache}`);
  let reading = false;
  let gaveUp = false;
  const onGiveUp = () => {
    gaveUp = true;
  };
  // git runs the hook for a pusher (it sets GIT_DIR), whose terminal shows no server paths or addresses;
  // run by hand on a terminal, or by anything else, the hook says the whole line.
  const forPusher = shell.env.GIT_DIR !== undefined && shell.stderr.isTTY !== true;
  let configFile;
  try {
    configFile = await readConfigFile(flags, shell.env, configWaitMs(flags, shell.env), onGiveUp);
  } catch (error) {
    if (!isGeoHookError(error)) throw error;
    debug?.(`the whole line: ${error.message}`);
    // The log file is named in the config that could not be read: syslog is where the operator finds this.
    (await import('../hook/syslog.js')).toSyslog(error.message, shell.env);
    const reason = forPusher ? pusherReason(error) : undefined;
    shell.stderr.write(showControls(errorLine(reason === undefined ? error.message : pusherLine(reason))));
    if (gaveUp) return shell.exitNow(error.exitStatus);
    shell.setExitCode(error.exitStatus);
    return;
  }
  const status = await runPostReceive({
    env: shell.env,
    flags,
    configFile,
    gaveUp: onGiveUp,
    stdinIsTerminal: shell.stdinIsTerminal,
    forPusher,
    toSyslog: (line) => void import('../hook/syslog.js').then(({ toSyslog }) => toSyslog(line, shell.env)),
    readStdin: async () => {
      reading = true;
      try {
        return await readAllStdin(() => shell.stdin, MAX_STDIN_BYTES);
      } finally {
        reading = false;
      }
    },
    // Files on NFS, CIFS or FUSE are read in a helper process the hook can leave behind at its deadline.
    readFile: readFileSafely,
    appendFile: appendLogLineSafely,
    writeStdout: (text) => shell.stdout.write(text),
    writeStderr: (text) => shell.stderr.write(text),
    now: Date.now,
    send: sendRequest,
    version: VERSION,
    dryRun,
    debug,
  });
  // At the deadline, whatever is still pending (a FIFO, a hung network file system) must not keep the push waiting.
  if (gaveUp) shell.exitNow(status);
  shell.setExitCode(status);
  // Standard input that never ends (the hook gave up at its deadline) must not keep the process alive.
  if (reading) shell.stdin.destroy();
}

/** How long the config file may take: the deadline from the flag or environment, or the default (the file may set another). */
function configWaitMs(flags: Readonly<Record<string, unknown>>, env: Readonly<Record<string, string | undefined>>): number {
  const given = Number(flags.timeout ?? env.GEO_HOOK_TIMEOUT);
  return (Number.isFinite(given) && given > 0 ? Math.min(given, MAX_TIMEOUT_SECONDS) : OPTIONS.timeout.default) * 1000;
}
