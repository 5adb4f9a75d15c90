import { stat } from 'node:fs/promises';
import type { Config } from '../config/options.js';
import { UsageError } from '../errors.js';
import { MAX_CA_BYTES } from '../hook/readBounded.js';
import { readFileSafely } from '../hook/remoteFileIo.js';
import { parseApiUrl } from '../shared/apiUrl.js';
import { fileProblem } from '../shared/fileProblem.js';
import { nodeAuthorization } from '../shared/jwt.js';
import { readSecretFile } from '../shared/readSecretFile.js';
import { redactUrl } from '../shared/redactUrl.js';
import { fetchReplica, replicaIsSound } from './fetchReplica.js';
import { lockFolder } from './folderLock.js';
import { listenForOperations } from './operationsListener.js';
import { primaryApi } from './primaryApi.js';
import { replicaInSync } from './replicaInSync.js';
import { createReplicatorMetrics } from './replicatorMetrics.js';
import { runReplicator } from './runReplicator.js';
import { moveUnlistedAside } from './unlistedReplicas.js';

/** How long one long poll waits: the contract's most. */
const POLL_SECONDS = 30;
/** A git process that says nothing for this long is stuck: killed, the fetch failed and retried. */
const GIT_SILENCE_MS = 120_000;
/** On a stop, fetches in flight get this long to finish before their git is killed (the replica keeps what it had). */
const STOP_GRACE_MS = 20_000;

export interface RunningReplicator {
  /** Where /-/liveness, /-/readiness and /-/metrics answer, with metricsListen. */
  readonly operationsUrl: string | undefined;
  /** Settles when the replicator has stopped (after `stop`), its last report sent, its lock released. */
  readonly done: Promise<void>;
  /** No new fetch; the running ones finish (killed after a grace time); a last report. */
  stop(): void;
}

type Log = (record: Record<string, unknown>) => void;

/**
 * `geo-hook replicate`'s shell (contract section 12): the configuration
 * checked and said in words, the node's secret read and checked, the folder
 * taken (one replicator per folder), then the loop, with its operations
 * endpoints when asked for.
 */
export async function startReplicator(config: Config, env: Readonly<Record<string, string | undefined>>, log: Log, version: string): Promise<RunningReplicator> {
  const required = (value: unknown, key: string, flag: string, what: string) => {
    if (value === undefined) throw new UsageError(`replicate needs ${what}: --${flag}, or "${key}" in the config file`, 'ECONFIG');
  };
  required(config.nodeId, 'nodeId', 'node-id', "this secondary's node id (its id in the primary's site file)");
  required(config.nodeSecretFile, 'nodeSecretFile', 'node-secret-file', "this secondary's secret file");
  required(config.primaryGitUrl, 'primaryGitUrl', 'primary-git-url', "the primary's Git URL for replication (https://primary.example.com/-/geo/replication)");
  required(config.repositories, 'repositories', 'repositories', 'the folder of the replicas');
  const nodeId = config.nodeId!;
  const folder = config.repositories!;
  const primaryGitUrl = config.primaryGitUrl!;
  const api = parseApiUrl(config.apiUrl);
  if ('error' in api) throw new UsageError(`apiUrl ${api.error}`, 'ECONFIG');

  const where = `node secret file ${config.nodeSecretFile}`;
  const { secret, mode } = await readSecretFile(config.nodeSecretFile!, where);
  if (secret === '') throw new UsageError(`${where} is empty`, 'ESECRET');
  if ((mode & 0o004) !== 0) throw new UsageError(`${where} can be read by every user: chmod o-r it (the node's secret is its word to the primary)`, 'ESECRET');
  const caCertificate = config.caFile === undefined ? undefined : await readFileSafely(config.caFile, MAX_CA_BYTES, 'CA file');
  await stat(folder).then(
    (stats) => {
      if (!stats.isDirectory()) throw new UsageError(`the repositories folder ${folder} is not a folder`, 'ECONFIG');
    },
    (error: NodeJS.ErrnoException) => {
      throw new UsageError(`the repositories folder ${folder} ${fileProblem(error.code)} (make it, owned by the user the replicator runs as)`, 'ECONFIG', error);
    },
  );
  const lock = await lockFolder(folder);

  const metrics = createReplicatorMetrics();
  let operations: Awaited<ReturnType<typeof listenForOperations>> | undefined;
  try {
    if (config.metricsListen !== undefined) operations = await listenForOperations(config.metricsListen, metrics, config.reportInterval);
  } catch (error) {
    await lock.release();
    throw error;
  }

  const authorization = () => nodeAuthorization(nodeId, secret, Math.floor(Date.now() / 1000));
  // git's messages are read back (why a fetch failed): in English, whatever the machine's locale.
  const environment = { PATH: env.PATH ?? '/usr/bin:/bin', HOME: env.HOME ?? '/nonexistent', LC_ALL: 'C' };
  const stopped = new AbortController();
  const killFetches = new AbortController();
  const stamped: Log = (record) => log({ time: new Date().toISOString(), ...record });
  stamped({
    event: 'replicator_started',
    node_id: nodeId,
    repositories: folder,
    primary_git_url: redactUrl(primaryGitUrl),
    api_url: redactUrl(config.apiUrl),
    concurrency: config.concurrency,
    ...(operations && { operations_url: operations.url }),
  });
  const loop = runReplicator({
    api: primaryApi({ api, nodeId, secret, version, timeoutSeconds: config.timeout, caCertificate }),
    fetch: (repositoryPath, how) =>
      fetchReplica({
        recreate: how?.recreate === true,
        folder,
        repositoryPath,
        primaryGitUrl,
        authorization,
        silenceTimeoutMs: GIT_SILENCE_MS,
        environment,
        now: () => new Date(),
        caFile: config.caFile,
        caCertificate,
        signal: killFetches.signal,
        log: stamped,
      }),
    verify: (repositoryPath) => replicaIsSound({ folder, silenceTimeoutMs: GIT_SILENCE_MS, environment }, repositoryPath),
    inSync: (repositoryPath) => replicaInSync({ folder, primaryGitUrl, authorization, caCertificate, timeoutSeconds: config.timeout, environment, version }, repositoryPath),
    moveUnlisted: (listed) => moveUnlistedAside(folder, listed, new Date()),
    concurrency: config.concurrency,
    reportIntervalMs: config.reportInterval * 1000,
    reconcileIntervalMs: config.reconcileInterval * 1000,
    pollSeconds: POLL_SECONDS,
    log: stamped,
    stopped: stopped.signal,
    observer: metrics,
  });
  let grace: NodeJS.Timeout | undefined;
  const done = loop.finally(async () => {
    clearTimeout(grace);
    await operations?.close();
    await lock.release();
    stamped({ event: 'replicator_stopped', node_id: nodeId });
  });
  return {
    operationsUrl: operations?.url,
    done,
    stop: () => {
      if (stopped.signal.aborted) return;
      stamped({ event: 'replicator_stopping', message: `no new fetch; those running get ${STOP_GRACE_MS / 1000} s to finish` });
      stopped.abort();
      grace = setTimeout(() => killFetches.abort(), STOP_GRACE_MS).unref();
    },
  };
}
