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
        mode: { type: 'array', choices: ['legacy', 'geo-node-id', 'correlation'], describe: 'modes to run (default: all three)' },
      })
      .example('$0 demo --concurrency 8 --rounds 5', 'push harder'),
    handler: async (argv) => {
      const concurrency = argv.concurrency as number;
      const rounds = argv.rounds as number;
      if (!Number.isInteger(concurrency) || concurrency < 2 || concurrency > 64) throw new UsageError('--concurrency must be a whole number from 2 to 64');
      if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) throw new UsageError('--rounds must be a whole number from 1 to 100');
      const [{ runDemo }, { renderDemoTable, renderVerdicts, COLOUR, PLAIN }, { loadLabFixtures }] = await Promise.all([
        import('../demo/runDemo.js'),
        import('../demo/renderDemo.js'),
        import('../lab/labFixtures.js'),
      ]);
      // https://no-color.org, and FORCE_COLOR as Node and most CLIs read it.
      const force = shell.env.FORCE_COLOR;
      const colour = shell.env.NO_COLOR === undefined && (force !== undefined ? force !== '0' && force !== 'false' : shell.stdout.isTTY === true);
      const style = colour ? COLOUR : PLAIN;
      const { site, fixture } = await loadLabFixtures(undefined, undefined);
      const modes = ((argv.mode as string[] | undefined) ?? ['legacy', 'geo-node-id', 'correlation']) as Array<'legacy'>;
      shell.stdout.write(
        `geo-hook demo: one deploy key, one repository, ${concurrency} real git pushes at once over smart HTTP, ${rounds} round(s) per scenario\n\n`,
      );
      const runs = await runDemo({
        modes,
        concurrency,
        rounds,
        site,
        fixture,
        self: shell.self,
        path: shell.env.PATH ?? '/usr/bin:/bin',
        progress: shell.stderr.isTTY ? (line) => shell.stderr.write(`\r\x1b[K${line}`) : undefined,
      });
      if (shell.stderr.isTTY) shell.stderr.write('\r\x1b[K');
      shell.stdout.write(`${renderDemoTable(runs, style)}\n${renderVerdicts(runs, style)}`);
      const fixesFailed = runs.some((run) => run.mode !== 'legacy' && run.outcomes.some((outcome) => !outcome.ok));
      shell.setExitCode(fixesFailed ? 1 : 0);
    },
  };
}
