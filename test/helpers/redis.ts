import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findTool } from './tools.js';
import { createServer, connect } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Sends one inline command and resolves with the first reply line. */
export function redisCommand(port: number, command: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis did not answer ${command}`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n')) {
        clearTimeout(timer);
        socket.end();
        resolve(data.split('\r\n')[0]!);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Sends the running server a signal (SIGSTOP, SIGCONT: a server that stops answering, and comes back). */
  signal(name: NodeJS.Signals): void;
}

/**
 * A real redis-server on a free loopback port, nothing written to disk. DEBUG
 * is on for local clients (Redis 7 refuses DEBUG SLEEP otherwise), so that a
 * test can make it truly slow.
 */
export async function startRedis(extraArgs: readonly string[] = []): Promise<RedisProcess> {
  const port = await freePort();
  // A folder of its own (in the system's temp, kept across a restart): a replica's full sync writes the
  // master's RDB to its working folder even with --save "", which once left a dump.rdb in the checkout.
  const dir = await mkdtemp(path.join(tmpdir(), 'geo-hook-redis-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--enable-debug-command', 'local', ...extraArgs];
    child = spawn(findTool('redis-server'), args, { stdio: 'ignore', cwd: dir });
    for (let i = 0; i < 100; i++) {
      if (await redisCommand(port, 'PING', 500).then((reply) => reply === '+PONG', () => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('redis-server did not start');
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    signal: (name) => {
      child?.kill(name);
    },
    stop: async () => {
      // Killed by a signal, a process has no exit code but a signal code: stopped all the same.
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child!.on('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
