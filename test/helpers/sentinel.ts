import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { type RedisProcess, freePort, startRedis } from './redis.js';
import { findTool } from './tools.js';

/** The master group the test sentinels watch. */
export const MASTER_NAME = 'geo-test';

export interface SentinelSet {
  master: RedisProcess;
  readonly replica: RedisProcess;
  readonly sentinelPorts: readonly number[];
  /** The store URL that names this set: redis+sentinel://…/geo-test. */
  readonly url: string;
  /** The port of the master the sentinels name now. */
  masterPort(): Promise<number>;
  /** Each sentinel's TILT flag (a sentinel whose timer ran late does nothing for 30 s), for a failure's report. */
  tilt(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Debian's redis-server and redis-sentinel, as a small production set: a
 * master, a replica, three sentinels (quorum 2), on free loopback ports,
 * nothing on disk but the sentinels' own config files. A master is judged
 * down after 1 s, so a failover takes a few seconds, not half a minute.
 */
export async function startSentinelSet(dir: string): Promise<SentinelSet> {
  const master = await startRedis();
  const replica = await startRedis(['--replicaof', '127.0.0.1', String(master.port)]);
  const sentinelPorts = [await freePort(), await freePort(), await freePort()];
  const sentinels: ChildProcess[] = [];
  for (const [i, port] of sentinelPorts.entries()) {
    // Sentinel rewrites its config file as it learns: each its own, writable.
    const config = path.join(dir, `sentinel-${i}.conf`);
    await writeFile(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master.port} 2`,
        `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
        `sentinel failover-timeout ${MASTER_NAME} 10000`,
        `sentinel parallel-syncs ${MASTER_NAME} 1`,
        '',
      ].join('\n'),
    );
    // The sentinels decide on time (down after 1 s): as root, ahead of the load the test makes on the same two cores.
    const [command, args] = process.getuid?.() === 0 ? ['nice', ['-n', '-10', findTool('redis-sentinel'), config]] : [findTool('redis-sentinel'), [config]];
    sentinels.push(spawn(command as string, args as string[], { stdio: 'ignore' }));
  }
  const set: SentinelSet = {
    master,
    replica,
    sentinelPorts,
    url: `redis+sentinel://${sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',')}/${MASTER_NAME}`,
    masterPort: async () => {
      const client = new Redis({ port: sentinelPorts[0], host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
      // A server that is down is an answer here, not an unhandled error event (ioredis prints its stack).
      client.on('error', () => {});
      try {
        await client.connect();
        const [, port] = (await client.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)) as [string, string];
        return Number(port);
      } finally {
        client.disconnect();
      }
    },
    tilt: () =>
      Promise.all(
        sentinelPorts.map(async (port) => {
          const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
          // A server that is down is an answer here, not an unhandled error event (ioredis prints its stack).
          client.on('error', () => {});
          try {
            await client.connect();
            return `${port}=${/sentinel_tilt:(\d)/.exec(await client.info('sentinel'))?.[1] ?? '?'}`;
          } catch {
            return `${port}=unreachable`;
          } finally {
            client.disconnect();
          }
        }),
      ),
    stop: async () => {
      // nice execs the sentinel: the same process, killed the same way.
      for (const child of sentinels) child.kill('SIGKILL');
      await Promise.all([master.stop(), replica.stop()]);
    },
  };
  try {
    await untilTrue(100, () => replicaLinkUp(replica.port));
    // Ready for a failover: every sentinel knows the replica and the two other sentinels.
    await untilTrue(150, async () => {
      const known = await Promise.all(sentinelPorts.map((port) => masterInfo(port).catch(() => undefined)));
      return known.every((info) => info?.['num-slaves'] === '1' && info['num-other-sentinels'] === '2');
    });
  } catch (error) {
    await set.stop();
    throw error;
  }
  return set;
}

async function replicaLinkUp(port: number): Promise<boolean> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  // A server that is down is an answer here, not an unhandled error event (ioredis prints its stack).
  client.on('error', () => {});
  try {
    await client.connect();
    return /master_link_status:up/.test(await client.info('replication'));
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function masterInfo(port: number): Promise<Record<string, string>> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  // A server that is down is an answer here, not an unhandled error event (ioredis prints its stack).
  client.on('error', () => {});
  try {
    await client.connect();
    const flat = (await client.call('SENTINEL', 'master', MASTER_NAME)) as string[];
    const info: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) info[flat[i]!] = flat[i + 1]!;
    return info;
  } finally {
    client.disconnect();
  }
}

/** Polls every 100 ms, `tries` times at most. */
export async function untilTrue(tries: number, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not so after ${tries * 100} ms`);
}
