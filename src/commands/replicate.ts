import type { CommandModule } from 'yargs';
import type { Shell } from '../shell.js';
import { REPLICATOR_KEYS, configFlags, pickFlags } from './configFlags.js';

export function replicateCommand(shell: Shell): CommandModule {
  return {
    command: 'replicate',
    describe: "keep this secondary's replicas of the primary's repositories, following its event log (a service)",
    builder: (yargs) =>
      yargs
        .options(configFlags(REPLICATOR_KEYS))
        .example(
          '$0 replicate --config /etc/geo-hook/replicate.json',
          'nodeId, nodeSecretFile, apiUrl (the primary), primaryGitUrl (https://primary.example.com/-/geo/replication), repositories (/srv/geo-hook/replicas)',
        ),
    handler: async (argv) => {
      const [{ resolveConfig }, { readConfigFile }, { startReplicator }, { lineLog }, { appendLogLineSafely }, { VERSION }] = await Promise.all([
        import('../config/resolveConfig.js'),
        import('./readConfigFile.js'),
        import('../replicator/startReplicator.js'),
        import('../server/logLines.js'),
        import('../hook/remoteFileIo.js'),
        import('../version.js'),
      ]);
      const flags = pickFlags(argv, REPLICATOR_KEYS);
      const config = resolveConfig({ flags, env: shell.env, file: await readConfigFile(flags, shell.env) });
      // One JSON line per record, to logFile or to stdout (the journal); a closed pipe or a full disk drops lines, never the replicator.
      shell.stderr.on('error', () => {});
      const toStdout = lineLog(shell.stdout);
      let appending = Promise.resolve();
      // Lines appended one after another, in order; one that cannot be written is dropped.
      const toFile = (record: Record<string, unknown>) => {
        appending = appending.then(() => appendLogLineSafely(config.logFile!, `${JSON.stringify(record)}\n`)).catch(() => undefined);
      };
      const log = config.logFile === undefined ? toStdout : toFile;
      const running = await startReplicator(config, shell.env, log, VERSION);
      const operations = running.operationsUrl ? `; operations on ${running.operationsUrl}` : '';
      shell.stderr.write(`geo-hook replicate: node ${config.nodeId} keeping ${config.repositories}${operations}; Ctrl-C stops\n`);
      shell.onStop(() => running.stop());
      await running.done;
      shell.setExitCode(0);
    },
  };
}
