import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { LabMode } from '../../src/lab/labModes.js';
import { type PushOutcome, SCENARIO_IDS, runScenario } from '../../src/lab/raceScenarios.js';
import type { Lab } from '../../src/lab/startLab.js';
import { hookLog, pusherSees, startTestLab } from '../helpers/lab.js';

// Enough rounds at 8 pushes at once that a race would show; the legacy runs below show it does.
const CONCURRENCY = 8;
const ROUNDS = 3;
const PATH = process.env.PATH ?? '/usr/bin:/bin';

function describeWrong(outcomes: readonly PushOutcome[]): string {
  return outcomes
    .filter((outcome) => !outcome.ok)
    .map((o) => `round ${o.round} push ${o.push} via ${o.via}: expected ${o.expected}, saw ${o.saw}${o.error ? ` (${o.error})` : ''}`)
    .join('\n');
}

for (const mode of ['geo-node-id', 'correlation'] as LabMode[]) {
  const test = suite<{ lab: Lab }>(`fixed mode ${mode}: every push sees exactly its own message`, {} as never);
  test.before(async (context) => {
    context.lab = await startTestLab(mode);
  });
  test.after(async ({ lab }) => lab.close());

  for (const scenario of SCENARIO_IDS) {
    test(`${scenario}: ${CONCURRENCY} pushes at once, ${ROUNDS} rounds`, async ({ lab }) => {
      const outcomes = await runScenario(lab, scenario, { concurrency: CONCURRENCY, rounds: ROUNDS, path: PATH, expect: pusherSees });
      assert.is(outcomes.length, CONCURRENCY * ROUNDS);
      assert.is(describeWrong(outcomes), '');
      // The pushes did reach the hook through the mode under test.
      const runs = (await hookLog(lab)).filter((record) => record.outcome === 'ok');
      assert.ok(runs.length >= CONCURRENCY * ROUNDS);
      if (mode === 'geo-node-id') assert.ok(runs.some((record) => typeof record.geo_node_id === 'number'));
      else assert.ok(runs.every((record) => record.geo_node_id === null));
    });
  }

  test('every push had its own correlation id', async ({ lab }) => {
    const ids = (await hookLog(lab)).map((record) => record.correlation_id);
    assert.ok(ids.length >= CONCURRENCY * ROUNDS * SCENARIO_IDS.length);
    assert.is(new Set(ids).size, ids.length);
  });

  test.run();
}

const legacy = suite<{ lab: Lab }>("legacy mode: upstream's race shows, every round", {} as never);
legacy.before(async (context) => {
  context.lab = await startTestLab('legacy');
});
legacy.after(async ({ lab }) => lab.close());

for (const scenario of SCENARIO_IDS) {
  legacy(`${scenario}: a wrong message in every round`, async ({ lab }) => {
    const outcomes = await runScenario(lab, scenario, { concurrency: 2, rounds: 3, path: PATH, expect: pusherSees });
    for (let round = 1; round <= 3; round++) {
      const inRound = outcomes.filter((outcome) => outcome.round === round);
      assert.ok(inRound.every((outcome) => outcome.error === undefined), 'every push itself succeeded');
      assert.ok(inRound.some((outcome) => !outcome.ok), `round ${round} of ${scenario} showed no race`);
    }
    if (scenario === 'secondary-and-primary') {
      // The primary pusher is shown the secondary's lag: the third race of the contract.
      assert.ok(outcomes.some((outcome) => outcome.nodeId === undefined && outcome.saw.startsWith('lag ')));
    }
  });
}

legacy.run();
