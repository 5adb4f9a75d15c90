import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/options.js';
import { parseListen } from '../config/options.js';
import { UsageError } from '../errors.js';
import { NO_SECRET_FILE } from '../messages.js';
import { secretFromFile } from '../shared/jwt.js';
import { VERSION } from '../version.js';
import { createApiServer } from './createApiServer.js';
import { type GeoSite, parseGeoSite } from './geoSite.js';
import { MemoryReferrerStore } from './stores/memory/memoryReferrerStore.js';
import type { ReferrerStore } from './stores/referrerStore.js';

export interface RunningApiServer {
  readonly server: ReturnType<typeof createApiServer>;
  readonly store: ReferrerStore;
  readonly site: GeoSite;
  /** The URL a hook's apiUrl should name. */
  readonly url: string;
  close(): Promise<void>;
}

/** Reads what `serve` needs from its configuration and starts listening. */
export async function startApiServer(
  config: Config,
  log: (record: Record<string, unknown>) => void,
): Promise<RunningApiServer> {
  if (config.secretFile === undefined) throw new UsageError(NO_SECRET_FILE, 'ESECRET');
  if (config.nodesFile === undefined) {
    throw new UsageError('no nodes file: set --nodes-file, GEO_HOOK_NODES_FILE or "nodesFile" (see fixtures/geo-site.json)', 'ECONFIG');
  }
  const secret = secretFromFile(await readText(config.secretFile, 'secret file'));
  if (secret === '') throw new UsageError(`secret file ${config.secretFile} is empty`, 'ESECRET');
  let site: GeoSite;
  try {
    site = parseGeoSite(await readText(config.nodesFile, 'nodes file'), config.nodesFile);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message, 'ECONFIG', error);
  }
  const frontendToken = config.frontendTokenFile === undefined ? undefined : secretFromFile(await readText(config.frontendTokenFile, 'front-end token file'));
  if (frontendToken === '') throw new UsageError(`front-end token file ${config.frontendTokenFile} is empty`, 'ESECRET');
  const store = await openStore(config.store, log);
  const server = createApiServer({ site, store, secret, frontendToken, legacy: config.legacy, version: VERSION, log });
  const listen = parseListen(config.listen)!;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new UsageError(`cannot listen on ${config.listen}: ${error.code === 'EADDRINUSE' ? 'address in use' : error.message}`, 'ELISTEN', error)),
    );
    if ('socketPath' in listen) server.listen(listen.socketPath, resolve);
    else server.listen(listen.port, listen.host, resolve);
  });
  const url = 'socketPath' in listen ? `http+unix://${encodeURIComponent(listen.socketPath)}` : tcpUrl(server.address() as AddressInfo);
  return {
    server,
    store,
    site,
    url,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await store.close();
    },
  };
}

export async function openStore(store: string, log: (record: Record<string, unknown>) => void): Promise<ReferrerStore> {
  if (store === 'memory') return new MemoryReferrerStore();
  // Only a server that uses Redis loads its client.
  const { RedisReferrerStore } = await import('./stores/redis/redisReferrerStore.js');
  const redis = new RedisReferrerStore(store, { log });
  if (!(await redis.ready())) log({ event: 'redis_unavailable_at_start' });
  return redis;
}

function tcpUrl(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${what} ${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}`, 'EFILE', error);
  }
}
