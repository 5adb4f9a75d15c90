import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { renderMessages } from '../hook/renderMessages.js';
import { fileLag } from '../server/replicationLag.js';
import { geoMessages } from '../server/geoMessages.js';
import { secondaryNode } from '../server/geoSite.js';
import type { GeoSite } from '../server/geoSite.js';
import type { LabAccount } from './createFrontEnd.js';
import type { LabFixture } from './fixtureRepositories.js';
import { asRemoteText, remoteText, summarise } from './readPushOutput.js';

/** The three races of contract section 1. */
export const SCENARIOS = {
  'different-secondaries': { title: 'through different secondaries' },
  'same-secondary': { title: 'through the same secondary' },
  'secondary-and-primary': { title: 'through a secondary and straight to the primary' },
} as const;
export type ScenarioId = keyof typeof SCENARIOS;
export const SCENARIO_IDS = Object.keys(SCENARIOS) as ScenarioId[];

export interface PushOutcome {
  readonly scenario: ScenarioId;
  readonly round: number;
  readonly push: number;
  /** The secondary pushed through; undefined for the primary. */
  readonly nodeId: number | undefined;
  readonly via: string;
  readonly expected: string;
  readonly saw: string;
  readonly ok: boolean;
  readonly error?: string;
}

export interface ScenarioOptions {
  readonly concurrency: number;
  readonly rounds: number;
  /** Repository to push to, by path. */
  readonly repositoryPath?: string;
  /** PATH for the git clients. */
  readonly path: string;
  readonly onOutcome?: (outcome: PushOutcome) => void;
  /**
   * What a push through nodeId must show, as git prints it. The demo derives
   * it from the site (expectedText); tests pass hand-written texts, so that
   * they do not check the code with itself.
   */
  readonly expect?: (repositoryPath: string, nodeId: number | undefined) => string;
}

const PUSH_TIMEOUT_MS = 60_000;
/** simple-git refuses GIT_* variables it is not told about. */
const ALLOW_ENVIRONMENT = ['GIT_TERMINAL_PROMPT', 'GIT_CONFIG_NOSYSTEM'];

/** Which node each of a round's pushes goes through. */
export function routesFor(scenario: ScenarioId, concurrency: number, secondaries: readonly number[]): Array<number | undefined> {
  return Array.from({ length: concurrency }, (_, i) => {
    if (scenario === 'same-secondary') return secondaries[0];
    if (scenario === 'different-secondaries') return secondaries[i % secondaries.length];
    return i % 2 === 0 ? secondaries[0] : undefined;
  });
}

/**
 * Where the pushes go: the lab, or any front end serving the lab's fixture
 * repositories (the tests' nginx and Apache).
 */
export interface ScenarioTarget {
  readonly fixture: LabFixture;
  readonly site: GeoSite;
  /** Holds repositories/<path>.git, cloned from when there is no cloneUrl. */
  readonly dir: string;
  pushUrl(repositoryPath: string, nodeId?: number, account?: LabAccount): string;
  /** Where the pushers clone from; the bare repository by default. */
  cloneUrl?(repositoryPath: string): string;
  /** The lab's push barrier; a front end without one lets pushes go as they come. */
  readonly barrier?: { arm(count: number): void };
}

/**
 * Runs a scenario with real `git push` clients: every round, `concurrency`
 * pushes by one deploy key to one repository at once, each on its own branch,
 * held by the lab until all have done their receive-pack step.
 */
export async function runScenario(lab: ScenarioTarget, scenario: ScenarioId, options: ScenarioOptions): Promise<PushOutcome[]> {
  const account = lab.fixture.accounts.find((candidate) => candidate.glId.startsWith('key-')) ?? lab.fixture.accounts[0]!;
  const recipe = lab.fixture.repositories.find((candidate) => candidate.path === (options.repositoryPath ?? candidate.path))!;
  // Secondaries that show a lag, so a wrong one is visible; most lagged first.
  const secondaries = [...lab.site.nodes.values()]
    .filter((node) => !node.primary && node.lagSeconds > 0)
    .sort((a, b) => b.lagSeconds - a.lagSeconds)
    .map((node) => node.id);
  const routes = routesFor(scenario, options.concurrency, secondaries);
  const workRoot = await mkdtemp(path.join(tmpdir(), 'geo-hook-pushers-'));
  const env = { PATH: options.path, HOME: workRoot, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' };
  try {
    const source = lab.cloneUrl ? lab.cloneUrl(recipe.path) : path.join(lab.dir, 'repositories', `${recipe.path}.git`);
    const clones = await Promise.all(
      routes.map(async (_, i) => {
        const dir = path.join(workRoot, `pusher-${i}`);
        await simpleGit({ baseDir: workRoot, allowEnvironment: ALLOW_ENVIRONMENT }).env(env).clone(source, dir);
        const git = simpleGit({ baseDir: dir, timeout: { block: PUSH_TIMEOUT_MS }, allowEnvironment: ALLOW_ENVIRONMENT }).env(env);
        for (const [key, value] of [['user.name', `CI job ${i}`], ['user.email', `ci-${i}@geo-hook.invalid`], ['commit.gpgSign', 'false'], ['gc.auto', '0']] as const) {
          await git.addConfig(key, value);
        }
        return { dir, git };
      }),
    );
    const outcomes: PushOutcome[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      lab.barrier?.arm(routes.length);
      const roundOutcomes = await Promise.all(
        routes.map(async (nodeId, i) => {
          const { dir, git } = clones[i]!;
          const branch = `ci/${scenario}/${round}/${i + 1}/${Date.now().toString(36)}`;
          await git.checkout(['-q', '-B', branch, `origin/${recipe.defaultBranch}`]);
          await writeFile(path.join(dir, 'build.txt'), `${scenario} round ${round} push ${i + 1}\n`);
          await git.add('build.txt');
          await git.commit(`CI build ${round}.${i + 1}`);
          const expected = options.expect ? options.expect(recipe.path, nodeId) : expectedText(lab, recipe.path, nodeId);
          let stderr = '';
          let error: string | undefined;
          try {
            await git
              .outputHandler((_command, _stdout, errors) => errors.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8'))))
              .push(lab.pushUrl(recipe.path, nodeId, account), `HEAD:refs/heads/${branch}`);
          } catch (pushError) {
            error = firstLine(pushError);
          }
          const seen = remoteText(stderr);
          const outcome: PushOutcome = {
            scenario,
            round,
            push: i + 1,
            nodeId,
            via: nodeId === undefined ? 'primary' : (lab.site.nodes.get(nodeId)?.name ?? `node ${nodeId}`),
            expected: summarise(expected),
            saw: error ? 'push failed' : summarise(seen),
            ok: error === undefined && seen === expected,
            ...(error !== undefined && { error }),
          };
          options.onOutcome?.(outcome);
          return outcome;
        }),
      );
      outcomes.push(...roundOutcomes);
    }
    lab.barrier?.arm(0);
    return outcomes;
  } finally {
    await rm(workRoot, { recursive: true, force: true });
  }
}

/** What a push through nodeId must show, as git prints it: the server's messages, rendered by the hook. */
export function expectedText(lab: ScenarioTarget, repositoryPath: string, nodeId: number | undefined): string {
  const node = secondaryNode(lab.site, nodeId);
  return asRemoteText(renderMessages(geoMessages(lab.site, repositoryPath, node, fileLag(node))));
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Never show a URL's credentials.
  return (message.split('\n').find((line) => line.trim() !== '') ?? 'failed').replace(/\/\/[^/@\s]+@/g, '//');
}
