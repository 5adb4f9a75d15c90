import type { CommandModule } from 'yargs';
import type { Shell } from '../shell.js';
import { SERVER_KEYS, configFlags, pickFlags } from './configFlags.js';

export function serveCommand(shell: Shell): CommandModule {
  return {
    command: 'serve',
    describe: "the reference internal API (the primary's side)",
    builder: (yargs) =>
      yargs.options({
        ...configFlags(SERVER_KEYS),
        quiet: { type: 'boolean', describe: 'no log line per request' },
      }),
    handler: async (argv) => {
      const [{ resolveConfig }, { readConfigFile }, { startApiServer }] = await Promise.all([
        import('../config/resolveConfig.js'),
        import('./readConfigFile.js'),
        import('../server/startApiServer.js'),
      ]);
      const flags = pickFlags(argv, SERVER_KEYS);
      const config = resolveConfig({ flags, env: shell.env, file: await readConfigFile(flags, shell.env) });
      const log = argv.quiet === true ? () => {} : (record: Record<string, unknown>) => shell.stdout.write(`${JSON.stringify(record)}\n`);
      const running = await startApiServer(config, log);
      shell.stderr.write(`geo-hook serve: listening on ${running.url} (store: ${running.store.kind}${config.legacy ? ', legacy mode' : ''}); Ctrl-C stops\n`);
      shell.onStop(async () => {
        await running.close();
      });
    },
  };
}
