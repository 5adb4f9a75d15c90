import type { CommandModule } from 'yargs';
import type { Shell } from '../shell.js';

export function labCommand(shell: Shell): CommandModule {
  return {
    command: 'lab',
    describe: 'the reference server and a smart-HTTP front end over fixture repositories, on loopback',
    builder: (yargs) =>
      yargs.options({
        mode: { choices: ['geo-node-id', 'correlation', 'legacy'], default: 'geo-node-id', describe: 'how the front end tells the hook where a push came from (geo-node-id, the default, as in the deploy guide)' },
        host: { type: 'string', default: '127.0.0.1', describe: 'address to listen on (loopback unless you mean it)' },
        port: { type: 'number', default: 0, describe: 'front-end port (0: any free one)' },
        'api-port': { type: 'number', default: 0, describe: 'internal API port (0: any free one)' },
        hold: { type: 'number', default: 0, describe: 'hold receive-packs in rounds of this many, to force the race' },
        dir: { type: 'string', describe: 'build the lab in this folder (kept) instead of a temporary one' },
        'nodes-file': { type: 'string', describe: 'Geo nodes (default: the built-in fixtures/geo-site.json)' },
        'lab-file': { type: 'string', describe: 'accounts and repository recipes (default: the built-in fixtures/lab.json)' },
        verbose: { type: 'boolean', describe: 'log every request' },
        replicate: { type: 'boolean', describe: 'secondaries that replicate: each its replicas, a geo-hook replicate, a URL to clone from, a measured lag (fixtures/geo-site-replicating.json)' },
        'status-max-age': { type: 'number', default: 60, describe: "with --replicate: seconds after which a secondary's last status is too old to tell its lag" },
        'report-interval': { type: 'number', default: 2, describe: 'with --replicate: seconds between two reports of each replicator at most' },
      })
      .example('$0 lab --mode geo-node-id', 'prints the URLs to push to; Ctrl-C stops')
      .example('$0 lab --replicate', 'secondaries with replicas of their own: push through one, clone from its replica, watch its lag'),
    handler: async (argv) => {
      const [{ startLab }, { loadLabFixtures }, { describeLab }] = await Promise.all([
        import('../lab/startLab.js'),
        import('../lab/labFixtures.js'),
        import('../lab/describeLab.js'),
      ]);
      const replicate = argv.replicate === true;
      const { site, fixture } = await loadLabFixtures(argv['nodes-file'] as string | undefined, argv['lab-file'] as string | undefined, replicate);
      const lab = await startLab({
        mode: argv.mode as 'geo-node-id' | 'correlation' | 'legacy',
        site,
        fixture,
        self: shell.self,
        dir: argv.dir as string | undefined,
        host: argv.host as string,
        port: argv.port as number,
        apiPort: argv['api-port'] as number,
        hold: argv.hold as number,
        path: shell.env.PATH ?? '/usr/bin:/bin',
        ...(replicate && { replicate: { statusMaxAgeSeconds: argv['status-max-age'] as number, reportIntervalSeconds: argv['report-interval'] as number } }),
        log: argv.verbose === true ? (record) => shell.stderr.write(`${JSON.stringify(record)}\n`) : undefined,
      });
      shell.stdout.write(describeLab(lab));
      shell.onStop(async () => {
        await lab.close();
        shell.stderr.write('geo-hook lab: stopped\n');
      });
    },
  };
}
