import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(ROOT, 'fixtures');
export const Z40 = '0'.repeat(40);
export const A40 = 'a'.repeat(40);
export const B40 = 'b'.repeat(40);
export const RULE = '='.repeat(72);

/**
 * Which geo-hook the tests run: the bundle (default), the sources through tsx,
 * or the single executable. GEO_HOOK_TEST_TARGET=bundle|sources|sea.
 */
export function geoHookCommand(): [string, string[]] {
  const target = process.env.GEO_HOOK_TEST_TARGET ?? 'bundle';
  if (target === 'sea') return [path.join(ROOT, 'dist/geo-hook'), []];
  // tsx by its file URL: a hook installed from this command runs in the repository's folder, where "tsx" does not resolve.
  if (target === 'sources') return [process.execPath, ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'src/main.ts')]];
  return [process.execPath, [path.join(ROOT, 'dist/geo-hook.cjs')]];
}

/** The shell line that runs geo-hook, for hook scripts written by tests. */
export function geoHookShellLine(): string {
  const [command, args] = geoHookCommand();
  return [command, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
}

export interface RunResult {
  readonly code: number | null;
  /** The signal that ended the process, if one did. */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** A clean environment: PATH and HOME only, so nothing of the machine's leaks in. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

export async function runGeoHook(
  args: string[],
  options: { env?: Record<string, string | undefined>; stdin?: string; killAfterMs?: number; command?: [string, string[]] } = {},
): Promise<RunResult> {
  const [command, baseArgs] = options.command ?? geoHookCommand();
  const started = Date.now();
  const child = spawn(command, [...baseArgs, ...args], { env: cleanEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.on('error', () => {});
  child.stdin.end(options.stdin ?? '');
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 30_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (exitCode, signalName) => resolve([exitCode, signalName])));
  clearTimeout(killer);
  return { code, signal, stdout, stderr, ms: Date.now() - started };
}

export async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'geo-hook-test-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function makeTempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'geo-hook-test-'));
}

export async function writeSecret(dir: string, secret = 'integration-secret'): Promise<string> {
  const file = path.join(dir, 'secret');
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return file;
}

export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly logs: () => Array<Record<string, unknown>>;
  readonly logLine: (matches: (record: Record<string, unknown>) => boolean) => Promise<Record<string, unknown> | undefined>;
  stop(): Promise<void>;
}

/** Starts a real `geo-hook serve` on a free loopback port (or a socket) and waits until it listens. */
export async function startServe(args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const [command, baseArgs] = geoHookCommand();
  const hasListen = args.includes('--listen');
  const child = spawn(command, [...baseArgs, 'serve', ...(hasListen ? [] : ['--listen', '127.0.0.1:0']), ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 15_000);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const match = /listening on (\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    child,
    logs: () => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
    // The log line is written after the answer: wait for it, a few seconds at most.
    logLine: async (matches: (record: Record<string, unknown>) => boolean) => {
      for (let i = 0; i < 100; i++) {
        const found = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>).find(matches);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return undefined;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function refLine(oldOid = Z40, newOid = A40, ref = 'refs/heads/main'): string {
  return `${oldOid} ${newOid} ${ref}\n`;
}

export const FORWARDED = (url: string) =>
  `\nThis request to a Geo secondary node will be forwarded to the\nGeo primary node:\n\n  ${url}\n\n\n`;
export const LAG = (seconds: number) => `\nCurrent replication lag: ${seconds} seconds\n\n`;

/** The unprivileged user tests run as where root's reach would hide a failure (nobody on Debian). */
export const NOBODY = { uid: 65534, gid: 65534 };

/**
 * The geo-hook under test, run as nobody: copied into a folder nobody can
 * read (the checkout's own folders may be private), with setpriv in front.
 * Where the tests do not run as root, it is the command as it is.
 */
export async function geoHookAsNobody(dir: string): Promise<[string, string[]]> {
  const [command, args] = geoHookCommand();
  if (process.getuid?.() !== 0) return [command, args];
  const own = path.join(dir, 'as-nobody');
  await mkdir(own, { mode: 0o755 });
  await chmod(dir, 0o755);
  const [copied, copiedArgs] = await copyGeoHook(own);
  // node itself (the pinned one in node_modules) may sit in a folder nobody cannot enter: then a copy too.
  let node = copied;
  const nobodyRuns = spawnSync('setpriv', [`--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, '--clear-groups', '--', '/bin/sh', '-c', 'test -x "$0"', command]);
  if (copiedArgs.length > 0 && nobodyRuns.status !== 0) {
    node = path.join(own, 'node');
    await copyFile(command, node);
    await chmod(node, 0o755);
  }
  return ['setpriv', [`--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, '--clear-groups', '--', node, ...copiedArgs]];
}

/**
 * A copy of the geo-hook under test in the folder (the executable, or the
 * bundle with the second bundle it loads), and the command that runs it.
 */
export async function copyGeoHook(folder: string): Promise<[string, string[]]> {
  const [command, args] = geoHookCommand();
  const file = args.at(-1) ?? command;
  const copy = path.join(folder, path.basename(file));
  await copyFile(file, copy);
  await chmod(copy, 0o755);
  if (args.length === 0) return [copy, []];
  await copyFile(path.join(path.dirname(file), 'geo-hook-cli.cjs'), path.join(folder, 'geo-hook-cli.cjs'));
  return [command, [...args.slice(0, -1), copy]];
}
