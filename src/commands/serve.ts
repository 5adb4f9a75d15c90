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
      })
      .example('$0 serve --secret-file /etc/geo-hook/secret --nodes-file /etc/geo-hook/geo-site.json --store redis+sentinel://10.0.0.11:26379,10.0.0.12:26379/geo', 'the internal API, referrers in Redis behind Sentinel'),
    handler: async (argv) => {
      const [{ resolveConfig }, { readConfigFile }, { startApiServer }, { lineLog }] = await Promise.all([
        import('../config/resolveConfig.js'),
        import('./readConfigFile.js'),
        import('../server/startApiServer.js'),
        import('../server/logLines.js'),
      ]);
      const flags = pickFlags(argv, SERVER_KEYS);
      const config = resolveConfig({ flags, env: shell.env, file: await readConfigFile(flags, shell.env) });
      // A closed log pipe drops lines, and never stops the server.
      const toStdout = lineLog(shell.stdout);
      shell.stderr.on('error', () => {});
      const log = argv.quiet === true ? () => {} : toStdout;
      const running = await startApiServer(config, log, { droppedLogLines: toStdout.dropped });
      const operations = running.operationsUrl ? `; operations on ${running.operationsUrl}` : '';
      shell.stderr.write(`geo-hook serve: listening on ${running.url} (store: ${running.store.kind}${config.legacy ? ', legacy mode' : ''}${operations}); Ctrl-C stops\n`);
      shell.onStop(async () => {
        await running.close();
      });
      // kill -HUP (systemctl reload): the site file again, for a repository or a node added; nothing else restarts.
      shell.onReload(async () => {
        try {
          const site = await running.reloadSite();
          toStdout({ event: 'site_reloaded', nodes_file: config.nodesFile, nodes: site.nodes.size, repositories: site.repositories.size });
        } catch (error) {
          toStdout({ event: 'site_reload_failed', nodes_file: config.nodesFile, error: (error as Error).message, kept: 'the site as it was' });
        }
      });
    },
  };
}
