import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/options.js';
import { parseListen } from '../config/options.js';
import { UsageError } from '../errors.js';
import { NO_SECRET_FILE } from '../messages.js';
import { secretFromFile } from '../shared/jwt.js';
import { VERSION } from '../version.js';
import { createApiServer } from './createApiServer.js';
import { frontendTokenProblem } from './frontendToken.js';
import { createMetrics } from './operations/metrics.js';
import { OPERATIONS_ROUTES } from './operations/operationsRoutes.js';
import { API_ROUTES } from './routes.js';
import { type GeoSite, parseGeoSite } from './geoSite.js';
import { MemoryReferrerStore } from './stores/memory/memoryReferrerStore.js';
import type { ReferrerStore } from './stores/referrerStore.js';
import { MemoryReplicationStore } from './stores/memory/memoryReplicationStore.js';
import type { ReplicationStore } from './stores/replicationStore.js';
import { loadNodeSecrets } from './nodeSecrets.js';
import { type NodeGauges } from './operations/metrics.js';
import { readLags } from './siteLags.js';
import { isReporting } from './geoSite.js';
import { lagSeconds } from './replicationLag.js';
import { fileProblem } from '../shared/fileProblem.js';

export interface RunningApiServer {
  readonly server: ReturnType<typeof createApiServer>;
  readonly store: ReferrerStore;
  readonly replication: ReplicationStore;
  readonly site: GeoSite;
  /** The URL a hook's apiUrl should name. */
  readonly url: string;
  /** Where the operations endpoints are, when they have their own address. */
  readonly operationsUrl: string | undefined;
  /** Loads the site file again and answers with it from now on; throws (and keeps the old one) when it does not load. */
  reloadSite(): Promise<GeoSite>;
  close(): Promise<void>;
}

/** Reads what `serve` needs from its configuration and starts listening. */
export async function startApiServer(
  config: Config,
  log: (record: Record<string, unknown>) => void,
  options: { readonly droppedLogLines?: () => number } = {},
): Promise<RunningApiServer> {
  if (config.secretFile === undefined) throw new UsageError(NO_SECRET_FILE, 'ESECRET');
  if (config.nodesFile === undefined) {
    throw new UsageError('no nodes file: set --nodes-file, GEO_HOOK_NODES_FILE or "nodesFile" (see fixtures/geo-site.json)', 'ECONFIG');
  }
  const secret = secretFromFile(await readText(config.secretFile, 'secret file'));
  if (secret === '') throw new UsageError(`secret file ${config.secretFile} is empty`, 'ESECRET');
  const nodesFile = config.nodesFile;
  const site = await loadSite(nodesFile);
  const frontendToken = config.frontendTokenFile === undefined ? undefined : secretFromFile(await readText(config.frontendTokenFile, 'front-end token file'));
  const tokenProblem = frontendToken === undefined ? undefined : frontendTokenProblem(frontendToken, secret);
  if (tokenProblem !== undefined) throw new UsageError(`front-end token file ${config.frontendTokenFile} ${tokenProblem}`, 'ESECRET');
  let nodeSecrets = await loadNodeSecrets(site, secret, frontendToken);
  const { store, replication } = await openStores(config.store, log);
  await recordFileLags(replication, site, log);
  let current = site;
  const statusMaxAgeMs = config.statusMaxAge * 1000;
  const metrics = createMetrics({
    droppedLogLines: options.droppedLogLines ?? (() => 0),
    storeSizes: () => store.sizes(),
    nodeGauges: () => nodeGauges(current, replication, statusMaxAgeMs),
  });
  const common = {
    site,
    nodeSecrets,
    store,
    replication,
    statusMaxAgeSeconds: config.statusMaxAge,
    secret,
    frontendToken,
    legacy: config.legacy,
    version: VERSION,
    log,
    metrics,
    maxConnections: config.maxConnections,
  };
  // With --metrics-listen the operations endpoints have their own address, and leave the main one.
  const server = createApiServer({ ...common, ...(config.metricsListen !== undefined && { routes: API_ROUTES }) });
  const url = await listenOn(server, config.listen);
  let operations: ReturnType<typeof createApiServer> | undefined;
  let operationsUrl: string | undefined;
  if (config.metricsListen !== undefined) {
    operations = createApiServer({ ...common, routes: OPERATIONS_ROUTES });
    operationsUrl = await listenOn(operations, config.metricsListen).catch(async (error: unknown) => {
      await closeGracefully(server);
      throw error;
    });
  }
  return {
    server,
    store,
    replication,
    site,
    url,
    operationsUrl,
    // The site file again (SIGHUP): a file that does not load leaves the site as it was, and says why.
    // Its node secrets are read again with it, and checked as at start: a problem keeps the old site and secrets.
    reloadSite: async () => {
      const next = await loadSite(nodesFile);
      nodeSecrets = await loadNodeSecrets(next, secret, frontendToken);
      server.replaceSite(next, nodeSecrets);
      operations?.replaceSite(next, nodeSecrets);
      current = next;
      await recordFileLags(replication, next, log);
      return next;
    },
    // Stop accepting, end the long polls at once, answer what is in flight (10 s at most), then close the stores.
    close: async () => {
      replication.stopWaiting();
      await Promise.all([closeGracefully(server), operations && closeGracefully(operations)]);
      await Promise.all([store.close(), replication.close()]);
    },
  };
}

/** How long a stopping server waits for requests in flight before it cuts them. */
const DRAIN_MS = 10_000;

async function closeGracefully(server: ReturnType<typeof createApiServer>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // A connection that finishes its request goes idle: close those as they come.
  const sweeper = setInterval(() => server.closeIdleConnections(), 100);
  const cutoff = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
  try {
    await closed;
  } finally {
    clearInterval(sweeper);
    clearTimeout(cutoff);
  }
}

async function listenOn(server: ReturnType<typeof createApiServer>, address: string): Promise<string> {
  const listen = parseListen(address)!;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new UsageError(`cannot listen on ${address}: ${error.code === 'EADDRINUSE' ? 'address in use' : error.message}`, 'ELISTEN', error)),
    );
    if ('socketPath' in listen) server.listen(listen.socketPath, resolve);
    else server.listen(listen.port, listen.host, resolve);
  });
  return 'socketPath' in listen ? `http+unix://${encodeURIComponent(listen.socketPath)}` : tcpUrl(server.address() as AddressInfo);
}

/** The referrer store and the replication store, both in memory or both on one Redis. */
export async function openStores(store: string, log: (record: Record<string, unknown>) => void): Promise<{ store: ReferrerStore; replication: ReplicationStore }> {
  if (store === 'memory') return { store: new MemoryReferrerStore({ log }), replication: new MemoryReplicationStore() };
  // Only a server that uses Redis loads its client.
  const [{ RedisReferrerStore }, { RedisReplicationStore }] = await Promise.all([
    import('./stores/redis/redisReferrerStore.js'),
    import('./stores/redis/redisReplicationStore.js'),
  ]);
  const redis = new RedisReferrerStore(store, { log });
  const replication = new RedisReplicationStore(store, { log });
  const [referrersUp, replicationUp] = await Promise.all([redis.ready(), replication.ready()]);
  if (!referrersUp || !replicationUp) log({ event: 'redis_unavailable_at_start' });
  return { store: redis, replication };
}

/** The static nodes' lags as this site file gives them, so a later PUT wins and a changed file wins back; a store away is logged. */
async function recordFileLags(replication: ReplicationStore, site: GeoSite, log: (record: Record<string, unknown>) => void): Promise<void> {
  const lags = new Map([...site.nodes.values()].filter((node) => !node.primary && !isReporting(node)).map((node) => [node.id, node.lagSeconds]));
  try {
    await replication.recordFileLags(lags);
  } catch (error) {
    log({ event: 'file_lags_not_recorded', error: (error as Error).message });
  }
}

async function nodeGauges(site: GeoSite, replication: ReplicationStore, statusMaxAgeMs: number): Promise<readonly NodeGauges[]> {
  const nodes = [...site.nodes.values()].filter((node) => !node.primary);
  const { snapshot, lags } = await readLags({ replication, statusMaxAgeMs }, nodes);
  return nodes.map((node) => {
    const lag = lagSeconds(lags.get(node.id)!);
    const status = isReporting(node) ? snapshot.nodes.get(node.id)?.status : undefined;
    return {
      node: node.id,
      ...(lag !== null && { lagSeconds: lag }),
      ...(status !== undefined && { statusAgeSeconds: Math.floor(Math.max(0, snapshot.now - status.reportedAt) / 1000) }),
    };
  });
}

function tcpUrl(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

async function loadSite(nodesFile: string): Promise<GeoSite> {
  try {
    return parseGeoSite(await readText(nodesFile, 'nodes file'), nodesFile);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message, 'ECONFIG', error);
  }
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${what} ${path} ${fileProblem(code)}`, 'EFILE', error);
  }
}
