import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { remoteText } from '../../src/lab/readPushOutput.js';
import { cleanEnv, geoHookCommand } from '../helpers/geoHook.js';
import { pusherSeesLine } from '../helpers/lab.js';
import { gitIn } from '../helpers/replication.js';
import { untilTrue } from '../helpers/sentinel.js';
import { suiteNeeding } from '../helpers/tools.js';

/**
 * `geo-hook lab --replicate` as a newcomer uses it: the URLs it prints, a
 * push through a secondary, a clone from that secondary's replica.
 */
const test = suiteNeeding<{ dir: string; lab: ReturnType<typeof spawn>; printed: string }>('geo-hook lab --replicate', { tools: ['git'] });

test.before(async (context) => {
  context.dir = await mkdtemp(path.join(tmpdir(), 'geo-hook-lab-replicate-'));
  const [command, args] = geoHookCommand();
  context.lab = spawn(command, [...args, 'lab', '--replicate', '--report-interval', '0.5', '--dir', path.join(context.dir, 'lab')], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  context.printed = '';
  context.lab.stdout!.setEncoding('utf8').on('data', (chunk: string) => (context.printed += chunk));
  await untilTrue(150, async () => /Ctrl-C stops the lab/.test(context.printed));
});

test.after(async (context) => {
  const exited = new Promise((resolve) => context.lab?.on('exit', resolve));
  context.lab?.kill('SIGTERM');
  await exited;
  await rm(context.dir, { recursive: true, force: true });
});

const url = (printed: string, pattern: RegExp) => {
  const match = pattern.exec(printed);
  if (!match) throw new Error(`not printed: ${pattern}\n${printed}`);
  return match[1]!;
};

test("it prints, for each secondary, where to push through it and where to clone from its replica; the replica has the primary's refs", async ({ dir, printed }) => {
  const section = printed.slice(printed.indexOf('group/project (project-7):'));
  const primary = url(section, /^ {2}primary +(\S+)$/m);
  const replicaEu = url(section, /^ {2}secondary-eu \(node 2, measured lag\) +\S+\n {4}clone from its replica +(\S+)$/m);
  assert.match(printed, /geo-hook status --api-url http:\/\/127\.0\.0\.1:\d+ --secret-file \S+\/secret/);
  await untilTrue(100, async () => (await gitIn(dir, 'ls-remote', replicaEu).catch(() => '')) === (await gitIn(dir, 'ls-remote', primary)));
});

test('a push through secondary-eu is told its lag (0: nothing more), and a clone from its replica has it within seconds', async ({ dir, printed }) => {
  const section = printed.slice(printed.indexOf('group/project (project-7):'));
  const throughEu = url(section, /^ {2}secondary-eu \(node 2, measured lag\) +(\S+)$/m);
  const replicaEu = url(section, /^ {4}clone from its replica +(\S+)$/m);
  const work = path.join(dir, 'work');
  await gitIn(dir, 'clone', '--quiet', replicaEu, work);
  await gitIn(work, 'commit', '--quiet', '--allow-empty', '-m', 'through the secondary');
  const pushUrl = new URL(throughEu);
  // The lab's deploy key (fixtures/lab.json).
  pushUrl.username = 'deployer';
  pushUrl.password = 'lab-deploy-token-42';
  const pushed = await new Promise<string>((resolve) => {
    let stderr = '';
    const child = spawn('git', ['push', pushUrl.toString(), 'HEAD:refs/heads/main'], { cwd: work, env: cleanEnv({ GIT_TERMINAL_PROMPT: '0' }) });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', () => resolve(stderr));
  });
  assert.is(remoteText(pushed), pusherSeesLine('group/project', undefined), pushed);
  const head = (await gitIn(work, 'rev-parse', 'HEAD')).trim();
  await untilTrue(100, async () => (await gitIn(dir, 'ls-remote', replicaEu, 'refs/heads/main')).startsWith(head));
});

test.run();
