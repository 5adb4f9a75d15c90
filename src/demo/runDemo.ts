import type { LabFixture } from '../lab/fixtureRepositories.js';
import { type LabMode } from '../lab/labModes.js';
import { SCENARIO_IDS, runScenario } from '../lab/raceScenarios.js';
import { startLab } from '../lab/startLab.js';
import type { ModeRun } from './renderDemo.js';

export interface DemoOptions {
  readonly modes: readonly LabMode[];
  readonly concurrency: number;
  readonly rounds: number;
  readonly site: unknown;
  readonly fixture: LabFixture;
  readonly self: readonly string[];
  readonly path: string;
  readonly progress?: (line: string) => void;
}

/** Runs the three scenarios in every mode, each mode in a lab of its own, with real concurrent pushes. */
export async function runDemo(options: DemoOptions): Promise<ModeRun[]> {
  const runs: ModeRun[] = [];
  for (const mode of options.modes) {
    options.progress?.(`${mode}: starting a lab…`);
    const lab = await startLab({ mode, site: options.site, fixture: options.fixture, self: options.self, path: options.path });
    try {
      const outcomes = [];
      for (const scenario of SCENARIO_IDS) {
        options.progress?.(`${mode}: ${options.concurrency} pushes at once, ${scenario}`);
        outcomes.push(...(await runScenario(lab, scenario, { concurrency: options.concurrency, rounds: options.rounds, path: options.path })));
      }
      runs.push({ mode, outcomes });
    } finally {
      await lab.close();
    }
  }
  return runs;
}
