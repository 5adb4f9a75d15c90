import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { resolveConfig } from '../config/resolveConfig.js';
import { type RunningReplicator, startReplicator } from '../replicator/startReplicator.js';
import { type GeoSite, isReporting } from '../server/geoSite.js';
import { VERSION } from '../version.js';
import { createReplicationFrontEnd } from './replicationFrontEnd.js';

/** One secondary of the lab that replicates: its replicas, the server that clones from them, its replicator. */
export interface LabReplica {
  readonly nodeId: number;
  readonly folder: string;
  /** Where to clone a repository from this secondary's replica. */
  cloneUrl(repositoryPath: string): string;
  readonly running: boolean;
  /** Stops its replicator (a last report, then silence: the primary's view of it ages). */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

export interface LabReplication {
  readonly replicas: ReadonlyMap<number, LabReplica>;
  close(): Promise<void>;
}

export interface LabReplicationOptions {
  readonly dir: string;
  readonly host: string;
  readonly site: GeoSite;
  readonly projectRoot: string;
  readonly apiUrl: string;
  readonly reportIntervalSeconds: number;
  readonly path: string;
  readonly log: (record: Record<string, unknown>) => void;
}

/**
 * Every reporting secondary of the lab's site gets its secret (written
 * before serve reads the site), a replica folder, a clone server over it and
 * a `geo-hook replicate` of its own, fetching from the primary's stand-in
 * web server at /-/geo/replication/, which checks each request with serve.
 */
export async function writeNodeSecrets(site: GeoSite): Promise<void> {
  for (const node of site.nodes.values()) {
    if (isReporting(node)) await writeFile(node.secretFile!, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  }
}

export async function startLabReplication(options: LabReplicationOptions): Promise<LabReplication> {
  const servers: Server[] = [];
  const listen = async (server: Server) => {
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, options.host, resolve);
    });
    const address = server.address() as AddressInfo;
    return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  };
  const baseEnv = { PATH: options.path };
  const primaryGitUrl = `${await listen(
    createReplicationFrontEnd({ projectRoot: options.projectRoot, replicationAuthUrl: `${options.apiUrl}/api/v4/internal/geo/replication_auth`, pathPrefix: '/-/geo/replication', baseEnv }),
  )}/-/geo/replication`;
  const replicas = new Map<number, LabReplica>();
  const running = new Map<number, RunningReplicator>();
  for (const node of options.site.nodes.values()) {
    if (!isReporting(node)) continue;
    const folder = path.join(options.dir, 'replicas', `node-${node.id}`);
    await mkdir(folder, { recursive: true });
    const cloneBase = await listen(createReplicationFrontEnd({ projectRoot: folder, replicationAuthUrl: undefined, pathPrefix: '', baseEnv }));
    const config = resolveConfig({
      flags: {
        apiUrl: options.apiUrl,
        nodeId: node.id,
        nodeSecretFile: node.secretFile,
        primaryGitUrl,
        repositories: folder,
        reportInterval: options.reportIntervalSeconds,
        concurrency: 2,
      },
      env: {},
    });
    const start = async () => {
      running.set(node.id, await startReplicator(config, { PATH: options.path, HOME: options.dir }, (record) => options.log({ part: `replicate-${node.id}`, ...record }), VERSION));
    };
    await start();
    replicas.set(node.id, {
      nodeId: node.id,
      folder,
      cloneUrl: (repositoryPath) => `${cloneBase}/${repositoryPath}.git`,
      get running() {
        return running.has(node.id);
      },
      pause: async () => {
        const replicator = running.get(node.id);
        running.delete(node.id);
        replicator?.stop();
        await replicator?.done;
      },
      resume: async () => {
        if (!running.has(node.id)) await start();
      },
    });
  }
  return {
    replicas,
    close: async () => {
      await Promise.all([...replicas.values()].map((replica) => replica.pause()));
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
