import { createHash } from 'node:crypto';
import { geoMessages } from '../geoMessages.js';
import { type GeoNode, isReporting, secondaryNode } from '../geoSite.js';
import { type NodeLag, fileLag } from '../replicationLag.js';
import { readLags } from '../siteLags.js';
import { readJsonBody } from '../readJsonBody.js';
import { type Answer, type Handler, type ServerContext, errorAnswer } from '../serverContext.js';
import type { ReferrerStore } from '../stores/referrerStore.js';
import { type PostReceiveParams, usableNodeId, validatePostReceive } from '../validatePostReceive.js';

/** How the server found the node a push came through. */
export type ReferrerSource = 'geo_node_id' | 'correlation' | 'legacy' | 'none';

/** POST /api/v4/internal/post_receive: the messages for the pusher (contract sections 3, 4, 7). */
export const postReceive: Handler = async (request, _params, record, context) => {
  const params = validatePostReceive(await readJsonBody(request, context.maxBodyBytes, context.bodyBudget));
  if ('error' in params) return errorAnswer(400, params.error);
  Object.assign(record, { gl_repository: params.glRepository, correlation_id: params.correlationId ?? null });
  const store = guard(context.store, () => context.metrics?.storeError());
  try {
    return await answerOnce(params, record, store, context);
  } finally {
    if (store.note.length > 0) record.note = store.note.join('; ');
  }
};

/** A repeated correlation id is the same request (a retry): it gets the stored reply. */
async function answerOnce(params: PostReceiveParams, record: Record<string, unknown>, store: GuardedStore, context: ServerContext): Promise<Answer> {
  if (params.correlationId === undefined) return answer(params, record, store, context);
  const fingerprint = createHash('sha256').update(`${params.glRepository}\0${params.identifier}\0${params.changes}`).digest('hex');
  const key = `${params.correlationId}:${fingerprint}`;
  const pending = context.inFlight.get(key);
  const stored = pending ? await pending : await store.use((s) => s.recallReply(key));
  if (stored !== undefined) {
    record.replayed = true;
    return { status: 200, body: stored };
  }
  const work = answer(params, record, store, context);
  context.inFlight.set(
    key,
    work.then((reply) => reply.body ?? ''),
  );
  try {
    const reply = await work;
    if (reply.status === 200 && reply.body !== undefined) await store.use((s) => s.rememberReply(key, reply.body!));
    return reply;
  } finally {
    context.inFlight.delete(key);
  }
}

async function answer(params: PostReceiveParams, record: Record<string, unknown>, store: GuardedStore, context: ServerContext): Promise<Answer> {
  const repositoryPath = context.site.repositories.get(params.glRepository);
  if (repositoryPath === undefined) return errorAnswer(404, '404 Project Not Found');
  const { nodeId, source } = await findReferrer(params, store, context.legacy);
  const referrer = secondaryNode(context.site, nodeId);
  if (nodeId !== undefined && referrer === undefined) store.note.push(`node ${nodeId} is not a known secondary`);
  Object.assign(record, { referrer_source: source, geo_node_id: nodeId ?? null });
  context.metrics?.lookup(source);
  // The lag before this push's own event: what the secondary had not replicated when the push came.
  const lag = referrer === undefined ? undefined : await lagOf(referrer, record, store, context);
  const body = JSON.stringify({ reference_counter_decreased: true, messages: geoMessages(context.site, repositoryPath, referrer, lag) });
  await appendEvent(params.glRepository, repositoryPath, record, store, context);
  return { status: 200, body };
}

/**
 * A secondary's lag from the store; when the store cannot say, a static
 * node keeps its file's number and a reporting one gets no lag line.
 */
async function lagOf(referrer: GeoNode, record: Record<string, unknown>, store: GuardedStore, context: ServerContext): Promise<NodeLag | undefined> {
  const read = await store.use(() => readLags(context, [referrer]), 'replication store');
  if (read !== undefined) {
    const lag = read.lags.get(referrer.id)!;
    if (lag.source === 'measured') record.lag = lag.seconds;
    else if (lag.source === 'unknown') record.lag = lag.reason;
    return lag;
  }
  return isReporting(referrer) ? undefined : fileLag(referrer);
}

/**
 * The push's event, for the secondaries to follow. One that cannot be
 * appended is lost from the log (the push itself is done; the secondaries'
 * reconcile finds the change), and counted.
 */
async function appendEvent(glRepository: string, repositoryPath: string, record: Record<string, unknown>, store: GuardedStore, context: ServerContext): Promise<void> {
  const appended = await store.use(() => context.replication.append(glRepository, repositoryPath), 'event log');
  if (appended === undefined) {
    context.metrics?.eventAppendFailed();
    record.event_id = null;
    return;
  }
  context.metrics?.eventAppended();
  record.event_id = appended.id;
  if (appended.unacknowledged) {
    context.metrics?.eventUnacknowledged();
    record.event_unacknowledged = true;
  }
}

/** geo_node_id first (the pass-through fix), then the correlation id (the cache fix), then upstream's key. */
async function findReferrer(params: PostReceiveParams, store: GuardedStore, legacy: boolean): Promise<{ nodeId: number | undefined; source: ReferrerSource }> {
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
  if (legacy) {
    const nodeId = await store.use((s) => s.takeLegacy(params.identifier, params.glRepository));
    if (nodeId !== undefined) return { nodeId, source: 'legacy' };
  }
  return { nodeId: undefined, source: 'none' };
}

/**
 * The stores as one request uses them: a failure (Redis away or slow) is
 * noted and taken as "nothing stored", and the request makes no further
 * calls (both stores live on the same Redis), so it answers within one
 * command timeout, without the lag message and without its event.
 */
interface GuardedStore {
  readonly note: string[];
  use<T>(operation: (store: ReferrerStore) => Promise<T>, what?: string): Promise<T | undefined>;
}

function guard(store: ReferrerStore, onError: () => void): GuardedStore {
  let failed = false;
  const note: string[] = [];
  return {
    note,
    async use(operation, what = 'referrer store') {
      if (failed) return undefined;
      try {
        return await operation(store);
      } catch (error) {
        failed = true;
        onError();
        note.push(`${what} unavailable: ${(error as Error).message}`);
        return undefined;
      }
    },
  };
}
