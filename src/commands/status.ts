import type { CommandModule } from 'yargs';
import type { Shell } from '../shell.js';
import { HOOK_KEYS, configFlags, pickFlags } from './configFlags.js';

export function statusCommand(shell: Shell): CommandModule {
  return {
    command: 'status',
    describe: 'every Geo node of the site: its lag and where that comes from, its last report, pending events, health',
    builder: (yargs) =>
      yargs
        .options({
          ...configFlags(HOOK_KEYS),
          json: { type: 'boolean', describe: 'the answer of GET /api/v4/internal/geo/nodes, as JSON, for monitoring' },
        })
        .example('$0 status --config /etc/geo-hook/config.json', 'is replication working? exit 1 while a reporting secondary is unhealthy'),
    handler: async (argv) => {
      const [{ resolveConfig }, { readConfigFile }, { fetchNodes }, { renderStatus, statusExitCode }, { VERSION }, { jsonForTerminal, showControls }] = await Promise.all([
        import('../config/resolveConfig.js'),
        import('./readConfigFile.js'),
        import('../status/runStatus.js'),
        import('../status/renderStatus.js'),
        import('../version.js'),
        import('../hook/showControls.js'),
      ]);
      const flags = pickFlags(argv, HOOK_KEYS);
      const config = resolveConfig({ flags, env: shell.env, file: await readConfigFile(flags, shell.env) });
      const { nodes, apiUrl } = await fetchNodes(config, VERSION);
      // Node names and errors come from the site file and the secondaries: never raw on a terminal.
      shell.stdout.write(argv.json === true ? `${jsonForTerminal(nodes)}\n` : showControls(renderStatus(nodes, apiUrl)));
      shell.setExitCode(statusExitCode(nodes));
    },
  };
}
