import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { JWT_HEADER, verifyJwt } from '../shared/jwt.js';
import { isRecord } from '../shared/isRecord.js';
import { geoMessages } from './geoMessages.js';
import { type GeoSite, isLag, secondaryNode } from './geoSite.js';
import { BodyError, readJsonBody } from './readJsonBody.js';
import type { ReferrerStore } from './referrerStore.js';
import { type PostReceiveParams, usableNodeId, validatePostReceive } from './validatePostReceive.js';
import { CORRELATION_ID } from '../shared/identifiers.js';

export interface ApiServerOptions {
  readonly site: GeoSite;
  readonly store: ReferrerStore;
  readonly secret: string;
  /** Also find referrers by upstream's racy actor+repository key. */
  readonly legacy: boolean;
  readonly version: string;
  /** One record per request; never holds a token. */
  readonly log: (record: Record<string, unknown>) => void;
  readonly now?: () => number;
  readonly maxBodyBytes?: number;
}

/** How the server found the node a push came through. */
export type ReferrerSource = 'geo_node_id' | 'correlation' | 'legacy' | 'none';

export interface ReceivePackStep {
  readonly geoNodeId: number;
  readonly correlationId: string | undefined;
  readonly glId: string;
  readonly glRepository: string;
}

const ROUTE = /^(?:\/[^?]*)?\/api\/v4\/internal\/(post_receive|check|geo\/push_referrer|geo\/nodes(?:\/([0-9]+))?)$/;
const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * The reference internal API (contract section 7): what the primary answers
 * the hook, with the referrer store behind it.
 */
export function createApiServer(options: ApiServerOptions): Server & { registerPush(step: ReceivePackStep): Promise<void> } {
  const now = options.now ?? Date.now;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const inFlight = new Map<string, Promise<string>>();

  /** The receive-pack step: what the front end stores for the hook to find. */
  async function registerPush(step: ReceivePackStep): Promise<void> {
    if (step.correlationId !== undefined) await options.store.putCorrelation(step.correlationId, step.geoNodeId);
    if (options.legacy) await options.store.putLegacy(step.glId, step.glRepository, step.geoNodeId);
  }

  async function findReferrer(params: PostReceiveParams, store: GuardedStore): Promise<{ nodeId: number | undefined; source: ReferrerSource }> {
    if (params.geoNodeId !== undefined && params.geoNodeId !== null) {
      const nodeId = usableNodeId(params.geoNodeId);
      if (nodeId === undefined) store.note.push(`ignored geo_node_id ${JSON.stringify(params.geoNodeId).slice(0, 40)}: not a positive integer`);
      else return { nodeId, source: 'geo_node_id' };
    }
    if (params.correlationId !== undefined) {
      const correlationId = params.correlationId;
      const nodeId = await store.use((s) => s.takeCorrelation(correlationId));
      if (nodeId !== undefined) return { nodeId, source: 'correlation' };
    }
    if (options.legacy) {
      const nodeId = await store.use((s) => s.takeLegacy(params.identifier, params.glRepository));
      if (nodeId !== undefined) return { nodeId, source: 'legacy' };
    }
    return { nodeId: undefined, source: 'none' };
  }

  async function postReceive(params: PostReceiveParams, record: Record<string, unknown>, store: GuardedStore): Promise<{ status: number; body: string }> {
    const repositoryPath = options.site.repositories.get(params.glRepository);
    if (repositoryPath === undefined) return { status: 404, body: errorBody('404 Project Not Found') };
    const { nodeId, source } = await findReferrer(params, store);
    const referrer = secondaryNode(options.site, nodeId);
    if (nodeId !== undefined && referrer === undefined) store.note.push(`node ${nodeId} is not a known secondary`);
    Object.assign(record, { referrer_source: source, geo_node_id: nodeId ?? null });
    const body = JSON.stringify({
      reference_counter_decreased: true,
      messages: geoMessages(options.site, repositoryPath, referrer),
    });
    return { status: 200, body };
  }

  /** A repeated correlation id is the same request (a retry): it gets the stored reply. */
  async function postReceiveOnce(params: PostReceiveParams, record: Record<string, unknown>) {
    const store = guard(options.store);
    try {
      return await postReceiveReplayed(params, record, store);
    } finally {
      if (store.note.length > 0) record.note = store.note.join('; ');
    }
  }

  async function postReceiveReplayed(params: PostReceiveParams, record: Record<string, unknown>, store: GuardedStore) {
    if (params.correlationId === undefined) return postReceive(params, record, store);
    const fingerprint = createHash('sha256').update(`${params.glRepository}\0${params.identifier}\0${params.changes}`).digest('hex');
    const key = `${params.correlationId}:${fingerprint}`;
    const pending = inFlight.get(key);
    const stored = pending ? await pending : await store.use((s) => s.recallReply(key));
    if (stored !== undefined) {
      record.replayed = true;
      return { status: 200, body: stored };
    }
    const work = postReceive(params, record, store);
    const body = work.then((answer) => answer.body);
    inFlight.set(key, body);
    try {
      const answer = await work;
      if (answer.status === 200) await store.use((s) => s.rememberReply(key, answer.body));
      return answer;
    } finally {
      inFlight.delete(key);
    }
  }

  async function route(request: IncomingMessage, record: Record<string, unknown>): Promise<{ status: number; body?: string }> {
    const path = (request.url ?? '/').split('?')[0]!;
    const match = ROUTE.exec(path);
    if (!match) return { status: 404, body: errorBody('404 Not Found') };
    const [, endpoint, nodeIdText] = match;
    const expected = endpoint === 'check' || (endpoint === 'geo/nodes' && !nodeIdText) ? 'GET' : endpoint?.startsWith('geo/nodes/') ? 'PUT' : 'POST';
    if (request.method !== expected) return { status: 405, body: errorBody('405 Method Not Allowed') };
    const verdict = verifyJwt(headerValue(request, JWT_HEADER), options.secret, Math.floor(now() / 1000));
    if (!verdict.ok) {
      record.auth = verdict.reason;
      return { status: 401, body: errorBody('401 Unauthorized') };
    }
    switch (endpoint) {
      case 'check':
        return {
          status: 200,
          body: JSON.stringify({
            api_version: 'v4',
            geo_hook_version: options.version,
            store: options.store.kind,
            redis: options.store.kind === 'redis' ? await options.store.ping() : false,
            store_reachable: await options.store.ping(),
            server_time: Math.floor(now() / 1000),
          }),
        };
      case 'post_receive': {
        const params = validatePostReceive(await readJsonBody(request, maxBodyBytes));
        if ('error' in params) return { status: 400, body: errorBody(params.error) };
        Object.assign(record, { gl_repository: params.glRepository, correlation_id: params.correlationId ?? null });
        return postReceiveOnce(params, record);
      }
      case 'geo/push_referrer': {
        const body = await readJsonBody(request, 64 * 1024);
        if (!isRecord(body)) return { status: 400, body: errorBody('body must be a JSON object') };
        const { geo_node_id: geoNodeId, correlation_id: correlationId, gl_id: glId, gl_repository: glRepository } = body;
        if (usableNodeId(geoNodeId) === undefined) return { status: 400, body: errorBody('geo_node_id must be a positive integer') };
        if (correlationId !== undefined && (typeof correlationId !== 'string' || !CORRELATION_ID.test(correlationId))) {
          return { status: 400, body: errorBody('correlation_id must be up to 128 printable ASCII characters') };
        }
        if (typeof glId !== 'string' || typeof glRepository !== 'string') return { status: 400, body: errorBody('gl_id and gl_repository are required') };
        Object.assign(record, { correlation_id: correlationId ?? null, geo_node_id: geoNodeId });
        try {
          await registerPush({ geoNodeId: geoNodeId as number, correlationId, glId, glRepository });
        } catch (error) {
          record.note = `referrer store unavailable: ${(error as Error).message}`;
          return { status: 503, body: errorBody('503 referrer store unavailable') };
        }
        return { status: 204 };
      }
      default: {
        if (!nodeIdText) return { status: 200, body: JSON.stringify([...options.site.nodes.values()].map(nodeJson)) };
        const node = options.site.nodes.get(Number(nodeIdText));
        if (!node) return { status: 404, body: errorBody('404 Geo Node Not Found') };
        const body = await readJsonBody(request, 64 * 1024);
        const lag = isRecord(body) ? body.lag_seconds : undefined;
        if (!isLag(lag)) return { status: 400, body: errorBody('lag_seconds must be a whole number, 0 or more') };
        node.lagSeconds = lag;
        return { status: 200, body: JSON.stringify(nodeJson(node)) };
      }
    }
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const started = now();
    const record: Record<string, unknown> = { method: request.method, path: (request.url ?? '').split('?')[0] };
    route(request, record)
      .catch((error: unknown) => {
        if (error instanceof BodyError) return { status: error.status, body: errorBody(error.message) };
        record.error = error instanceof Error ? error.message : String(error);
        return { status: 500, body: errorBody('500 Internal Server Error') };
      })
      .then(({ status, body }) => {
        response.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
        response.end(body);
        options.log({ time: new Date(started).toISOString(), ...record, status, duration_ms: now() - started });
      });
  });
  return Object.assign(server, { registerPush });
}

/**
 * The store as one request uses it: a failure (Redis away or slow) is noted
 * and taken as "nothing stored", and the request makes no further calls, so
 * it answers within one command timeout, without the lag message.
 */
interface GuardedStore {
  readonly note: string[];
  use<T>(operation: (store: ReferrerStore) => Promise<T>): Promise<T | undefined>;
}

function guard(store: ReferrerStore): GuardedStore {
  let failed = false;
  const note: string[] = [];
  return {
    note,
    async use(operation) {
      if (failed) return undefined;
      try {
        return await operation(store);
      } catch (error) {
        failed = true;
        note.push(`referrer store unavailable: ${(error as Error).message}`);
        return undefined;
      }
    },
  };
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function errorBody(message: string): string {
  return JSON.stringify({ message });
}

function nodeJson(node: { id: number; name: string; url: string; primary: boolean; lagSeconds: number }) {
  return { id: node.id, name: node.name, url: node.url, primary: node.primary, lag_seconds: node.lagSeconds };
}
