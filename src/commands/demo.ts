import type { CommandModule } from 'yargs';
import { UsageError } from '../errors.js';
import type { Shell } from '../shell.js';

export function demoCommand(shell: Shell): CommandModule {
  return {
    command: 'demo',
    describe: 'the three race scenarios with real concurrent pushes, in each mode, side by side',
    builder: (yargs) =>
      yargs.options({
        concurrency: { type: 'number', default: 2, describe: 'pushes at once in each scenario (2 to 64)' },
        rounds: { type: 'number', default: 1, describe: 'rounds of pushes per scenario (1 to 100)' },
        mode: { type: 'array', choices: ['legacy', 'geo-node-id', 'correlation'], describe: 'modes of the race act to run (default: all three)' },
        act: { type: 'array', choices: ['race', 'replication'], describe: 'acts to run (default: both): the race and its fixes, then the measured lag of secondaries that replicate' },
        'status-max-age': { type: 'number', default: 8, describe: "replication act: serve's --status-max-age, in seconds (short, so that the act takes seconds)" },
      })
      .example('$0 demo --concurrency 8 --rounds 5', 'push harder'),
    handler: async (argv) => {
      const concurrency = argv.concurrency as number;
      const rounds = argv.rounds as number;
      if (!Number.isInteger(concurrency) || concurrency < 2 || concurrency > 64) throw new UsageError('--concurrency must be a whole number from 2 to 64');
      if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) throw new UsageError('--rounds must be a whole number from 1 to 100');
      const statusMaxAge = argv['status-max-age'] as number;
      if (!Number.isInteger(statusMaxAge) || statusMaxAge < 2 || statusMaxAge > 60) throw new UsageError('--status-max-age must be a whole number of seconds from 2 to 60');
      const acts = (argv.act as string[] | undefined) ?? ['race', 'replication'];
      const [{ runDemo }, { renderDemoTable, renderVerdicts, renderReplicationAct, COLOUR, PLAIN }, { loadLabFixtures }, { runReplicationAct }] = await Promise.all([
        import('../demo/runDemo.js'),
        import('../demo/renderDemo.js'),
        import('../lab/labFixtures.js'),
        import('../demo/replicationAct.js'),
      ]);
      // https://no-color.org, and FORCE_COLOR as Node and most CLIs read it.
      const force = shell.env.FORCE_COLOR;
      const colour = shell.env.NO_COLOR === undefined && (force !== undefined ? force !== '0' && force !== 'false' : shell.stdout.isTTY === true);
      const style = colour ? COLOUR : PLAIN;
      const progress = shell.stderr.isTTY ? (line: string) => shell.stderr.write(`\r\x1b[K${line}`) : undefined;
      let failed = false;
      if (acts.includes('race')) {
        const { site, fixture } = await loadLabFixtures(undefined, undefined);
        const modes = ((argv.mode as string[] | undefined) ?? ['legacy', 'geo-node-id', 'correlation']) as Array<'legacy'>;
        shell.stdout.write(
          `geo-hook demo: one deploy key, one repository, ${concurrency} real git pushes at once over smart HTTP, ${rounds} round(s) per scenario\n\n`,
        );
        const runs = await runDemo({ modes, concurrency, rounds, site, fixture, self: shell.self, path: shell.env.PATH ?? '/usr/bin:/bin', progress });
        if (shell.stderr.isTTY) shell.stderr.write('\r\x1b[K');
        shell.stdout.write(`${renderDemoTable(runs, style)}\n${renderVerdicts(runs, style)}`);
        failed ||= runs.some((run) => run.mode !== 'legacy' && run.outcomes.some((outcome) => !outcome.ok));
      }
      if (acts.includes('replication')) {
        if (acts.includes('race')) shell.stdout.write('\n');
        const { site, fixture } = await loadLabFixtures(undefined, undefined, true);
        const steps = await runReplicationAct({ site, fixture, self: shell.self, path: shell.env.PATH ?? '/usr/bin:/bin', statusMaxAgeSeconds: statusMaxAge, progress });
        if (shell.stderr.isTTY) shell.stderr.write('\r\x1b[K');
        shell.stdout.write(renderReplicationAct(steps, statusMaxAge, style));
        failed ||= steps.some((step) => !step.ok);
      }
      shell.setExitCode(failed ? 1 : 0);
    },
  };
}
