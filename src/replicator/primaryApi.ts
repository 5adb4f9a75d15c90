import { ApiError } from '../errors.js';
import { sendRequest } from '../hook/sendRequest.js';
import { showControls } from '../hook/showControls.js';
import { type ApiUrl, displayUrl, endpointUrl } from '../shared/apiUrl.js';
import { isRecord } from '../shared/isRecord.js';
import { nodeAuthorization } from '../shared/jwt.js';

/** The node endpoints of contract section 11, as a secondary calls them. */
export interface PrimaryApi {
  repositories(): Promise<Array<{ glRepository: string; path: string }>>;
  /** `signal` ends a long poll at once (the replicator stopping). */
  events(query: { after: string; log: string | undefined; limit: number; waitSeconds: number; signal?: AbortSignal }): Promise<EventsPage>;
  reportStatus(status: NodeStatusReport): Promise<void>;
}

export interface EventsPage {
  readonly log: string;
  readonly last: string;
  readonly resync: boolean;
  readonly events: ReadonlyArray<{ readonly id: string; readonly path: string }>;
}

export interface NodeStatusReport {
  readonly log: string;
  readonly cursor: string;
  readonly reconciling: boolean;
  readonly repositoriesSynced?: number;
  readonly repositoriesFailed?: number;
  readonly lastError?: string;
}

/** An events answer as the contract fixes it, or undefined. */
export function parseEventsPage(body: unknown): EventsPage | undefined {
  if (!isRecord(body) || typeof body.log !== 'string' || typeof body.last !== 'string' || typeof body.resync !== 'boolean' || !Array.isArray(body.events)) return undefined;
  const events: Array<{ id: string; path: string }> = [];
  for (const event of body.events) {
    if (!isRecord(event) || typeof event.id !== 'string' || typeof event.path !== 'string') return undefined;
    events.push({ id: event.id, path: event.path });
  }
  return { log: body.log, last: body.last, resync: body.resync, events };
}

export function parseRepositories(body: unknown): Array<{ glRepository: string; path: string }> | undefined {
  if (!isRecord(body) || !Array.isArray(body.repositories)) return undefined;
  const repositories: Array<{ glRepository: string; path: string }> = [];
  for (const entry of body.repositories) {
    if (!isRecord(entry) || typeof entry.gl_repository !== 'string' || typeof entry.path !== 'string') return undefined;
    repositories.push({ glRepository: entry.gl_repository, path: entry.path });
  }
  return repositories;
}

export function statusBody(status: NodeStatusReport): Record<string, unknown> {
  return {
    log: status.log,
    cursor: status.cursor,
    reconciling: status.reconciling,
    ...(status.repositoriesSynced !== undefined && { repositories_synced: status.repositoriesSynced }),
    ...(status.repositoriesFailed !== undefined && { repositories_failed: status.repositoriesFailed }),
    ...(status.lastError !== undefined && { last_error: status.lastError }),
  };
}

/** The API over HTTP with the node's credential, a fresh token for each request; each call bounded. */
export function primaryApi(options: {
  readonly api: ApiUrl;
  readonly nodeId: number;
  readonly secret: string;
  readonly version: string;
  readonly timeoutSeconds: number;
  readonly caCertificate?: string | undefined;
  readonly now?: () => number;
}): PrimaryApi {
  const now = options.now ?? Date.now;
  const call = async (method: 'GET' | 'POST', endpoint: string, extraSeconds: number, body?: unknown, signal?: AbortSignal): Promise<unknown> => {
    const request = {
      method,
      url: endpointUrl(options.api, endpoint),
      displayUrl: displayUrl(options.api, endpoint.replace(/\?.*/, '')),
      headers: {
        'user-agent': `geo-hook/${options.version}`,
        authorization: nodeAuthorization(options.nodeId, options.secret, Math.floor(now() / 1000)),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    };
    // A site's repository list can be long: more room than a hook's answer gets, still bounded.
    const { answer } = await sendRequest(request, { deadline: now() + (options.timeoutSeconds + extraSeconds) * 1000, caCertificate: options.caCertificate, maxBodyBytes: 64 * 1024 * 1024, ...(signal !== undefined && { signal }) });
    if (answer.status === 401 || answer.status === 403) {
      throw new ApiError(`the primary refused this node's credential (HTTP ${answer.status}) at ${request.displayUrl}: check the node id and secret`, 'EAUTH', answer.status);
    }
    if (answer.status === 204) return undefined;
    if (answer.status !== 200) throw new ApiError(`the primary answered HTTP ${answer.status} at ${request.displayUrl}: ${showControls(answer.body.slice(0, 200).trim())}`, 'ESTATUS', answer.status);
    try {
      return JSON.parse(answer.body);
    } catch {
      throw new ApiError(`the primary's answer at ${request.displayUrl} is not JSON`, 'ECONTRACT', answer.status);
    }
  };
  const shaped = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new ApiError(`the primary's ${what} answer is not as contract section 11 fixes it (is apiUrl a geo-hook serve?)`, 'ECONTRACT', 200);
    return value;
  };
  return {
    repositories: async () => shaped(parseRepositories(await call('GET', '/api/v4/internal/geo/repositories', 0)), 'repositories'),
    events: async ({ after, log, limit, waitSeconds, signal }) => {
      const query = new URLSearchParams({ after, limit: String(limit), wait: String(waitSeconds), ...(log !== undefined && { log }) });
      return shaped(parseEventsPage(await call('GET', `/api/v4/internal/geo/events?${query}`, waitSeconds, undefined, signal)), 'events');
    },
    reportStatus: async (status) => {
      await call('POST', '/api/v4/internal/geo/status', 0, statusBody(status));
    },
  };
}
