import { type LabMode, MODE_TITLES } from '../lab/labModes.js';
import { type PushOutcome, SCENARIOS, type ScenarioId } from '../lab/raceScenarios.js';

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
