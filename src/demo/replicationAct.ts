import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { resolveConfig } from '../config/resolveConfig.js';
import type { LabFixture } from '../lab/fixtureRepositories.js';
import { remoteText } from '../lab/readPushOutput.js';
import { type Lab, startLab } from '../lab/startLab.js';
import type { NodeView } from '../server/nodeView.js';
import { fetchNodes } from '../status/runStatus.js';
import { VERSION } from '../version.js';
import { type LagExpectation, describeExpected, describeSeen, lagMatches, seenLag } from './judgeLagLine.js';

/** One push of the second act: what was happening, through which secondary, what it had to be shown, what it was. */
export interface ActStep {
  readonly situation: string;
  readonly via: string;
  readonly expected: string;
  readonly saw: string;
  readonly ok: boolean;
}

export interface ReplicationActOptions {
  readonly site: unknown;
  readonly fixture: LabFixture;
  readonly self: readonly string[];
  readonly path: string;
  /** serve's --status-max-age for the act: short, so that the whole act takes seconds. */
  readonly statusMaxAgeSeconds: number;
  readonly progress?: (line: string) => void;
}

const EU = 2;
const AP = 3;
const REPOSITORY = 'group/project';
const PUSH_TIMEOUT_MS = 60_000;

/**
 * The second act (real replication, real lag): two secondaries replicating
 * with `geo-hook replicate`; pushes through them with real git, each judged
 * against what the replication's state says it must be shown. One
 * secondary's replicator is paused (its pushers see the real, growing lag,
 * the other's none), resumed (caught up, the line goes), then stopped for
 * longer than the status age (the lag is unknown, never a stale number).
 */
export async function runReplicationAct(options: ReplicationActOptions): Promise<ActStep[]> {
  options.progress?.('replication: starting a lab whose secondaries replicate…');
  const lab = await startLab({
    mode: 'geo-node-id',
    site: options.site,
    fixture: options.fixture,
    self: options.self,
    path: options.path,
    replicate: { statusMaxAgeSeconds: options.statusMaxAgeSeconds, reportIntervalSeconds: 0.5 },
  });
  const work = await mkdtemp(path.join(tmpdir(), 'geo-hook-act-'));
  const steps: ActStep[] = [];
  try {
    const nodes = async () => (await fetchNodes(resolveConfig({ flags: { apiUrl: lab.apiUrl, secretFile: lab.secretFile }, env: {} }), VERSION)).nodes;
    const node = async (id: number) => (await nodes()).find((entry) => entry.id === id)!;
    const until = async (what: string, check: (view: NodeView) => boolean, id: number, seconds: number) => {
      const deadline = Date.now() + seconds * 1000;
      while (!check(await node(id))) {
        if (Date.now() > deadline) throw new Error(`the demo waited ${seconds} s for ${what}`);
        await sleep(100);
      }
    };
    options.progress?.('replication: the first full copy…');
    for (const id of [EU, AP]) await until(`${name(lab, id)} to copy the repositories`, (view) => view.healthy && view.lag_source === 'measured', id, 60);
    const push = pusher(lab, work, options.path);
    const step = async (situation: string, via: number, expected: LagExpectation) => {
      options.progress?.(`replication: ${situation}`);
      const seen = seenLag(await push(via));
      steps.push({ situation, via: name(lab, via), expected: describeExpected(expected), saw: describeSeen(seen), ok: lagMatches(expected, seen) });
      return seen;
    };
    const eu = lab.replicas.get(EU)!;

    await step('replication running, both secondaries caught up', EU, { kind: 'none' });
    await step('replication running, both secondaries caught up', AP, { kind: 'none' });

    await eu.pause();
    const paused = Date.now();
    // Nothing was pending before this push: its own event is not counted.
    await step(`${name(lab, EU)}'s replicator paused`, EU, { kind: 'none' });
    await sleep(2000);
    const first = await step(`paused ${seconds(paused)} s: the push before is not replicated`, EU, { kind: 'seconds', atLeast: 2, atMost: seconds(paused) + 1 });
    await step(`paused ${seconds(paused)} s: the other secondary replicates on`, AP, { kind: 'none' });
    await sleep(1500);
    await step(`paused ${seconds(paused)} s: the lag grows`, EU, { kind: 'seconds', atLeast: (first.kind === 'seconds' ? first.seconds : 2) + 1, atMost: seconds(paused) + 1 });

    await eu.resume();
    await until(`${name(lab, EU)} to catch up`, (view) => view.healthy && view.pending_events === 0, EU, 30);
    await step(`${name(lab, EU)}'s replicator resumed, caught up`, EU, { kind: 'none' });

    await eu.pause();
    await until(`${name(lab, EU)}'s status to age`, (view) => (view.status_age_seconds ?? 0) > options.statusMaxAgeSeconds, EU, options.statusMaxAgeSeconds + 10);
    await step(`stopped longer than the status age (${options.statusMaxAgeSeconds} s)`, EU, { kind: 'stale', atLeast: options.statusMaxAgeSeconds });
    await eu.resume();
    return steps;
  } finally {
    await lab.close();
    await rm(work, { recursive: true, force: true });
  }
}

function name(lab: Lab, id: number): string {
  return lab.site.nodes.get(id)?.name ?? `node ${id}`;
}

const seconds = (since: number) => Math.floor((Date.now() - since) / 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One working copy of the repository; each call commits and pushes to main through a secondary, and returns what git printed from the remote. */
function pusher(lab: Lab, work: string, pathVariable: string): (via: number) => Promise<string> {
  const env = { PATH: pathVariable, HOME: work, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' };
  const allowEnvironment = ['GIT_TERMINAL_PROMPT', 'GIT_CONFIG_NOSYSTEM'];
  const account = lab.fixture.accounts.find((candidate) => candidate.glId.startsWith('key-')) ?? lab.fixture.accounts[0]!;
  const dir = path.join(work, 'pusher');
  let cloned: Promise<void> | undefined;
  let count = 0;
  return async (via) => {
    cloned ??= (async () => {
      await simpleGit({ baseDir: work, allowEnvironment }).env(env).clone(lab.pushUrl(REPOSITORY), dir);
      const git = simpleGit({ baseDir: dir, allowEnvironment }).env(env);
      for (const [key, value] of [['user.name', 'Demo'], ['user.email', 'demo@geo-hook.invalid'], ['commit.gpgSign', 'false'], ['gc.auto', '0']] as const) await git.addConfig(key, value);
    })();
    await cloned;
    const git = simpleGit({ baseDir: dir, timeout: { block: PUSH_TIMEOUT_MS }, allowEnvironment }).env(env);
    await writeFile(path.join(dir, 'deploy.txt'), `push ${++count}\n`);
    await git.add('deploy.txt');
    await git.commit(`Deploy ${count}`);
    let stderr = '';
    await git
      .outputHandler((_command, _stdout, errors) => errors.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8'))))
      .push(lab.pushUrl(REPOSITORY, via, account), 'HEAD:refs/heads/main');
    return remoteText(stderr);
  };
}
