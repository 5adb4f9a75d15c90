import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { createReplicationFrontEnd } from '../../src/lab/replicationFrontEnd.js';
import { type ServeProcess, cleanEnv, geoHookCommand } from './geoHook.js';
import { hookHeaders } from './secondary.js';

/**
 * A primary for replication tests: bare repositories made with real git, a
 * commit on main in each, served under /-/geo/replication/ by the lab's
 * stand-in for the primary's web server (upload-pack only, every request
 * checked with serve's replication_auth). Pushes land with real git, then
 * their post_receive is sent as the hook sends it.
 */
const run = promisify(execFile);
export const GIT_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent' };
// The tests' own git reads repositories another user owns (the CGI user's, the replicator's): trusted here.
const IDENTITY = {
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_COUNT: '1',
  GIT_CONFIG_KEY_0: 'safe.directory',
  GIT_CONFIG_VALUE_0: '*',
};
export const gitIn = async (dir: string, ...args: string[]) => (await run('git', args, { cwd: dir, env: { ...GIT_ENV, ...IDENTITY }, maxBuffer: 64 * 1024 * 1024 })).stdout;
export const refsOf = (gitDir: string) => gitIn(gitDir, 'for-each-ref', '--format=%(refname) %(objectname)');

export interface ReplicationPrimary {
  readonly root: string;
  readonly gitUrl: string;
  readonly refused: Set<string>;
  readonly server: Server;
  /** While true, answers reach the secondary at about 4 MB/s (a fetch then takes long enough to be killed in the middle). */
  slow: boolean;
  repositoryDir(repositoryPath: string): string;
  /** A commit pushed to the primary's repository, then its post_receive: the event id serve logged. */
  push(glRepository: string, repositoryPath: string, text: string, extraFile?: { name: string; bytes: Buffer }): Promise<string>;
  close(): void;
}

/** `serve` may be a getter, for a test that restarts serve (on the same address). */
export async function startReplicationPrimary(dir: string, serveOrGetter: ServeProcess | (() => ServeProcess), hookSecret: string, repositories: Record<string, string>): Promise<ReplicationPrimary> {
  const current = typeof serveOrGetter === 'function' ? serveOrGetter : () => serveOrGetter;
  const serve = current();
  const root = path.join(dir, 'primary');
  const repositoryDir = (repositoryPath: string) => path.join(root, `${repositoryPath}.git`);
  for (const repositoryPath of Object.values(repositories)) {
    const work = path.join(dir, 'work', repositoryPath);
    await mkdir(work, { recursive: true });
    await gitIn(dir, 'init', '--quiet', '--bare', '--initial-branch=main', repositoryDir(repositoryPath));
    await gitIn(dir, 'init', '--quiet', '--initial-branch=main', work);
    await writeFile(path.join(work, 'file'), 'first\n');
    await gitIn(work, 'add', 'file');
    await gitIn(work, 'commit', '--quiet', '-m', 'first');
    await gitIn(work, 'push', '--quiet', repositoryDir(repositoryPath), 'main');
  }
  const refused = new Set<string>();
  const server = createReplicationFrontEnd({
    projectRoot: root,
    replicationAuthUrl: `${serve.url}/api/v4/internal/geo/replication_auth`,
    pathPrefix: '/-/geo/replication',
    baseEnv: { PATH: GIT_ENV.PATH },
    refused,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const backendPort = (server.address() as AddressInfo).port;
  // A plain TCP relay in front, which can slow the answers down.
  const relay = createNetServer((client) => {
    const upstream = connect(backendPort, '127.0.0.1');
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!primary.slow) return void client.write(chunk);
      upstream.pause();
      client.write(chunk);
      setTimeout(() => upstream.resume(), Math.ceil(chunk.length / 4096));
    });
    upstream.on('end', () => client.end());
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  // Event ids seen, per serve process: a restarted memory store counts from 1 again.
  const seenBy = new WeakMap<ServeProcess, Set<string>>();
  const primary: ReplicationPrimary = {
    root,
    gitUrl: `http://127.0.0.1:${(relay.address() as AddressInfo).port}/-/geo/replication`,
    refused,
    server,
    slow: false,
    repositoryDir,
    push: async (glRepository, repositoryPath, text, extraFile) => {
      const work = path.join(dir, 'work', repositoryPath);
      await writeFile(path.join(work, 'file'), `${text}\n`);
      if (extraFile) {
        await writeFile(path.join(work, extraFile.name), extraFile.bytes);
        await gitIn(work, 'add', extraFile.name);
      }
      await gitIn(work, 'commit', '--quiet', '-am', text);
      await gitIn(work, 'push', '--quiet', repositoryDir(repositoryPath), 'main');
      const response = await fetch(`${current().url}/api/v4/internal/post_receive`, {
        method: 'POST',
        headers: { ...hookHeaders(hookSecret), 'content-type': 'application/json' },
        body: JSON.stringify({ gl_repository: glRepository, identifier: 'key-1', changes: `${'0'.repeat(40)} ${'1'.repeat(40)} refs/heads/main\n`, push_options: [] }),
      });
      if (response.status !== 200) throw new Error(`post_receive answered ${response.status}`);
      await response.arrayBuffer();
      const serving = current();
      const seen = seenBy.get(serving) ?? new Set<string>();
      seenBy.set(serving, seen);
      const record = await serving.logLine((line) => line.gl_repository === glRepository && typeof line.event_id === 'string' && !seen.has(String(line.event_id)));
      const id = String(record!.event_id);
      seen.add(id);
      return id;
    },
    close: () => {
      relay.close();
      server.close();
    },
  };
  return primary;
}

/**
 * A TCP path to host:port whose connections leave from localAddress, as a
 * secondary's own network would carry them (the primary's nginx tells the
 * secondaries by their address; git cannot choose its source address).
 */
export async function relayFrom(localAddress: string, host: string, port: number): Promise<{ server: import('node:net').Server; address: string; url: string }> {
  const server = createNetServer((client) => {
    const upstream = connect({ host, port, localAddress });
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, address, url: `http://${address}` };
}

/** A TCP path to a port that can be cut (connections refused, as a web server that is down) and restored. */
export interface SwitchableRelay {
  readonly url: string;
  down(): Promise<void>;
  up(): Promise<void>;
}

export async function switchableRelay(targetPort: number): Promise<SwitchableRelay> {
  const sockets = new Set<import('node:net').Socket>();
  let server: import('node:net').Server | undefined;
  let port = 0;
  const up = async () => {
    server = createNetServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  await up();
  return {
    url: `http://127.0.0.1:${port}`,
    up,
    down: async () => {
      const closed = new Promise<void>((resolve) => server?.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

export interface ReplicateProcess {
  readonly child: ChildProcess;
  readonly operationsUrl: string | undefined;
  logs(): Array<Record<string, unknown>>;
  stderr(): string;
  /** Waits for the process to end (a signal sent first, if given); its exit code and signal. */
  ended(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A real `geo-hook replicate`, started in a process group of its own (so a test can kill it and its git as systemd would); resolves once it said it runs. */
export async function startReplicate(args: string[], env: Record<string, string> = {}): Promise<ReplicateProcess> {
  const [command, baseArgs] = geoHookCommand();
  const child = spawn(command, [...baseArgs, 'replicate', ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const operationsUrl = await new Promise<string | undefined>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replicate did not start: ${stderr}`)), 15_000);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (/Ctrl-C stops/.test(stderr)) {
        clearTimeout(timer);
        resolve(/operations on (\S+?);/.exec(stderr)?.[1]);
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`replicate exited with ${code}: ${stderr}`));
    });
  });
  return {
    child,
    operationsUrl,
    logs: () => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
    stderr: () => stderr,
    ended: async (signal) => {
      if (signal !== undefined && child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
