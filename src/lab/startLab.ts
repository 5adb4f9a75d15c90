import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveConfig } from '../config/resolveConfig.js';
import { UsageError } from '../errors.js';
import { hookScript } from '../installer/hookScript.js';
import { installHooks } from '../installer/installHooks.js';
import type { ReceivePackStep } from '../server/validatePushReferrer.js';
import { type GeoSite, parseGeoSite } from '../server/geoSite.js';
import { secretFromFile } from '../shared/jwt.js';
import { registerViaApi } from './registerViaApi.js';
import { type RunningApiServer, startApiServer } from '../server/startApiServer.js';
import { type LabAccount, createFrontEnd } from './createFrontEnd.js';
import { type LabFixture, createBareRepository } from './fixtureRepositories.js';
import type { LabMode } from './labModes.js';
import { type LabReplica, type LabReplication, startLabReplication, writeNodeSecrets } from './labReplicas.js';
import { PushBarrier } from './pushBarrier.js';

export interface LabOptions {
  readonly mode: LabMode;
  /** The Geo site (fixtures/geo-site.json): its nodes are used, its repositories replaced by the lab's. */
  readonly site: unknown;
  /** Accounts and repository recipes (fixtures/lab.json). */
  readonly fixture: LabFixture;
  /** How to run this geo-hook, for the installed hooks. */
  readonly self: readonly string[];
  /** Folder to build the lab in; a fresh temporary one when absent (and removed on close). */
  readonly dir?: string | undefined;
  readonly host?: string;
  readonly port?: number;
  readonly apiPort?: number;
  readonly store?: string;
  /**
   * Use API servers already running instead of starting one: the front end
   * registers pushes through one, the hooks call the other (they share a
   * store, Redis). They must know the lab's repositories.
   */
  readonly externalApi?: { readonly registerUrl: string; readonly hookUrl: string; readonly secretFile: string };
  /** Hold receive-packs in rounds of this many (see PushBarrier). */
  readonly hold?: number;
  readonly log?: (record: Record<string, unknown>) => void;
  /** PATH for git and the hooks. */
  readonly path: string;
  /**
   * Each reporting secondary of the site (a `secret_file`) gets replicas and a
   * replicator, and its lag is measured (fixtures/geo-site-replicating.json).
   */
  readonly replicate?: { readonly statusMaxAgeSeconds: number; readonly reportIntervalSeconds: number };
}

export interface Lab {
  readonly mode: LabMode;
  readonly dir: string;
  /** The front end: push and clone here. */
  readonly url: string;
  /** What the hooks call. */
  readonly apiUrl: string;
  readonly site: GeoSite;
  readonly fixture: LabFixture;
  readonly barrier: PushBarrier;
  readonly hookLogFile: string;
  /** The hook's secret, which also opens GET geo/nodes (geo-hook status). */
  readonly secretFile: string;
  /** The secondaries that replicate (with `replicate`), by node id. */
  readonly replicas: ReadonlyMap<number, LabReplica>;
  /** The URL to push to: through a secondary when nodeId is given, credentials embedded when account is. */
  pushUrl(repositoryPath: string, nodeId?: number, account?: LabAccount): string;
  close(): Promise<void>;
}

/** Builds a complete lab: API, fixture repositories with the hook installed, and the smart-HTTP front end. */
export async function startLab(options: LabOptions): Promise<Lab> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => {});
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(path.join(tmpdir(), 'geo-hook-lab-')));
  // A folder given is made when missing (kept afterwards); one that cannot be is said in words.
  if (!ownDir) {
    await mkdir(dir, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`lab: cannot make the folder ${dir}: ${error.code ?? error.message}`, 'ECONFIG', error);
    });
  }
  let api: RunningApiServer | undefined;
  let replication: LabReplication | undefined;
  let listening: Server | undefined;
  try {
    const { fixture } = options;
    const nodes = options.site as Record<string, unknown>;
    const siteFile = path.join(dir, 'geo-site.json');
    const repositories = Object.fromEntries(fixture.repositories.map((recipe) => [recipe.glRepository, recipe.path]));
    await writeFile(siteFile, JSON.stringify({ ...nodes, repositories }, null, 2));
    let secretFile: string;
    let site: GeoSite;
    let hookApiUrl: string;
    let registerPush: (step: ReceivePackStep) => Promise<void>;
    if (options.replicate !== undefined) {
      if (options.externalApi) throw new UsageError('lab: replicas need the lab\'s own API', 'EUSAGE');
      await writeNodeSecrets(parseGeoSite(await readFile(siteFile, 'utf8'), siteFile));
    }
    if (options.externalApi) {
      ({ secretFile } = options.externalApi);
      site = parseGeoSite(await readFile(siteFile, 'utf8'), siteFile);
      hookApiUrl = options.externalApi.hookUrl;
      registerPush = registerViaApi(options.externalApi.registerUrl, secretFromFile(await readFile(secretFile, 'utf8')));
    } else {
      secretFile = path.join(dir, 'secret');
      await writeFile(secretFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
      api = await startApiServer(
        resolveConfig({
          flags: {
            listen: `${host}:${options.apiPort ?? 0}`,
            secretFile,
            nodesFile: siteFile,
            store: options.store ?? 'memory',
            legacy: options.mode === 'legacy',
            ...(options.replicate !== undefined && { statusMaxAge: options.replicate.statusMaxAgeSeconds }),
          },
          env: {},
        }),
        (record) => log({ part: 'api', ...record }),
      );
      const running = api;
      ({ site } = api);
      hookApiUrl = api.url;
      registerPush = async (step) => {
        await running.server.registerPush(step);
      };
    }

    const hookConfig = path.join(dir, 'hook.json');
    const hookLogFile = path.join(dir, 'hook.log');
    await writeFile(hookConfig, JSON.stringify({ apiUrl: hookApiUrl, secretFile, timeout: 10, logFile: hookLogFile }, null, 2));
    const projectRoot = path.join(dir, 'repositories');
    await mkdir(projectRoot, { recursive: true });
    const bares = [];
    for (const recipe of fixture.repositories) bares.push(await createBareRepository(projectRoot, recipe));
    // Installed as an operator would: with the installer, and the config file it names.
    const installed = await installHooks({ targets: bares, recursive: false, script: hookScript(options.self, hookConfig), dryRun: false });
    const failed = installed.find((result) => result.outcome !== 'installed');
    if (failed) throw new Error(`lab: installing the hook in ${failed.path} failed: ${failed.note}`);

    // Legacy: the order that makes upstream's key fail every time; the fixes: all at once.
    const barrier = new PushBarrier({ order: options.mode === 'legacy' ? 'one-by-one' : 'together' });
    if (options.hold) barrier.arm(options.hold);
    const frontEnd = createFrontEnd({
      mode: options.mode,
      projectRoot,
      repositories: new Map(fixture.repositories.map((recipe) => [recipe.path, recipe.glRepository])),
      accounts: fixture.accounts,
      registerPush,
      barrier,
      baseEnv: { PATH: options.path, HOME: dir },
      log: (record) => log({ part: 'front-end', ...record }),
    });
    await new Promise<void>((resolve, reject) => {
      frontEnd.once('error', (error: NodeJS.ErrnoException) => reject(new UsageError(`lab cannot listen on ${host}:${options.port ?? 0}: ${error.code ?? error.message}`, 'ELISTEN', error)));
      frontEnd.listen(options.port ?? 0, host, resolve);
    });
    listening = frontEnd;
    const address = frontEnd.address() as AddressInfo;
    const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
    if (options.replicate !== undefined) {
      replication = await startLabReplication({
        dir,
        host,
        site,
        projectRoot,
        apiUrl: hookApiUrl,
        reportIntervalSeconds: options.replicate.reportIntervalSeconds,
        path: options.path,
        log,
      });
    }

    return {
      mode: options.mode,
      dir,
      url,
      apiUrl: hookApiUrl,
      site,
      fixture,
      barrier,
      hookLogFile,
      secretFile,
      replicas: replication?.replicas ?? new Map(),
      pushUrl: (repositoryPath, nodeId, account) => {
        const base = new URL(url);
        if (account) {
          base.username = encodeURIComponent(account.username);
          base.password = encodeURIComponent(account.password);
        }
        base.pathname = `${nodeId === undefined ? '' : `/-/push_from_secondary/${nodeId}`}/${repositoryPath}.git`;
        return base.toString();
      },
      close: async () => {
        barrier.arm(0);
        await replication?.close();
        await new Promise<void>((resolve) => {
          frontEnd.close(() => resolve());
          frontEnd.closeAllConnections();
        });
        await api?.close();
        if (ownDir) await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await replication?.close();
    listening?.close();
    listening?.closeAllConnections();
    await api?.close();
    if (ownDir) await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
