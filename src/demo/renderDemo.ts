import { type LabMode, MODE_TITLES } from '../lab/labModes.js';
import { type PushOutcome, SCENARIOS, type ScenarioId } from '../lab/raceScenarios.js';
import type { ActStep } from './replicationAct.js';

export interface ModeRun {
  readonly mode: LabMode;
  readonly outcomes: readonly PushOutcome[];
}

export interface Style {
  good(text: string): string;
  bad(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

export const PLAIN: Style = { good: (t) => t, bad: (t) => t, dim: (t) => t, bold: (t) => t };
export const COLOUR: Style = {
  good: (t) => `\x1b[32m${t}\x1b[39m`,
  bad: (t) => `\x1b[31m${t}\x1b[39m`,
  dim: (t) => `\x1b[2m${t}\x1b[22m`,
  bold: (t) => `\x1b[1m${t}\x1b[22m`,
};

const HEADINGS = ['scenario', 'mode', 'push', 'via', 'should see', 'saw', 'mark'] as const;

/** The side-by-side table: every push, what it should have seen, what it saw. */
export function renderDemoTable(runs: readonly ModeRun[], style: Style): string {
  // Grouped by scenario, the modes one under the other: the race and its fixes side by side.
  const rows = (Object.keys(SCENARIOS) as ScenarioId[]).flatMap((scenario, index) =>
    runs.flatMap(({ mode, outcomes }) =>
      outcomes
        .filter((outcome) => outcome.scenario === scenario)
        .map((outcome) => [
          `${index + 1}. ${SCENARIOS[scenario].title}`,
          mode,
          `${outcome.round}.${outcome.push}`,
          outcome.via,
          outcome.expected,
          outcome.saw,
          outcome.ok ? 'ok' : 'WRONG',
        ]),
    ),
  );
  const widths = HEADINGS.map((heading, column) => Math.max(heading.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  const out = [style.bold(line(HEADINGS)), style.dim(line(widths.map((width) => '-'.repeat(width))))];
  let previous = rows[0]?.[0];
  for (const row of rows) {
    if (row[0] !== previous) out.push('');
    previous = row[0];
    const text = line(row);
    out.push(row[6] === 'ok' ? text.replace(/ok$/, style.good('ok')) : text.replace(/WRONG$/, style.bad('WRONG')));
  }
  return `${out.join('\n')}\n`;
}

/** One line per mode: did every push see exactly its own message? */
export function renderVerdicts(runs: readonly ModeRun[], style: Style): string {
  return runs
    .map(({ mode, outcomes }) => {
      const wrong = outcomes.filter((outcome) => !outcome.ok).length;
      const title = `${mode} (${MODE_TITLES[mode]})`;
      if (wrong === 0) return `${style.good('PASS')} ${title}: all ${outcomes.length} pushes saw exactly their own message`;
      const mark = mode === 'legacy' ? style.bad('RACE') : style.bad('FAIL');
      return `${mark} ${title}: ${wrong} of ${outcomes.length} pushes saw another push's message or none`;
    })
    .join('\n')
    .concat('\n');
}

const ACT_HEADINGS = ['situation', 'push via', 'should see', 'saw', 'mark'] as const;

/** The second act: what it shows, in words, then one row per push and a verdict. */
export function renderReplicationAct(steps: readonly ActStep[], statusMaxAgeSeconds: number, style: Style): string {
  const intro = [
    style.bold('Act 2: the lag a pusher is told is the replicas\' own'),
    'Two secondaries keep replicas of the primary\'s repositories with geo-hook replicate, follow its',
    'event log and report how far they got. A push through a secondary is told the age of the oldest',
    'push that secondary has not replicated (nothing at 0), and, when its last report is older than',
    `${statusMaxAgeSeconds} s (serve's --status-max-age, short for the demo), that the lag is unknown.`,
    '',
  ];
  const rows = steps.map((step) => [step.situation, step.via, step.expected, step.saw, step.ok ? 'ok' : 'WRONG']);
  const widths = ACT_HEADINGS.map((heading, column) => Math.max(heading.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  const table = [style.bold(line(ACT_HEADINGS)), style.dim(line(widths.map((width) => '-'.repeat(width))))];
  for (const row of rows) table.push(row[4] === 'ok' ? line(row).replace(/ok$/, style.good('ok')) : line(row).replace(/WRONG$/, style.bad('WRONG')));
  const wrong = steps.filter((step) => !step.ok).length;
  const verdict =
    wrong === 0
      ? `${style.good('PASS')} replication: all ${steps.length} pushes were told the lag their secondary's replicas really had`
      : `${style.bad('FAIL')} replication: ${wrong} of ${steps.length} pushes were told something else than their secondary's replicas said`;
  return `${[...intro, ...table, '', verdict].join('\n')}\n`;
}
