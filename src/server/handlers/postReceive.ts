import { createHash } from 'node:crypto';
import { geoMessages } from '../geoMessages.js';
import { type GeoNode, isReporting, secondaryNode } from '../geoSite.js';
import { type NodeLag, fileLag } from '../replicationLag.js';
import { lagsFrom } from '../siteLags.js';
import type { AppendedEvent, ReplicationSnapshot } from '../stores/replicationStore.js';
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
  // The lag before this push's own event (what the secondary had not replicated when the push came), then the event,
  // in one step: one round trip to Redis.
  const glRepository = params.glRepository;
  const done = await store.use<{ event: AppendedEvent; snapshot: ReplicationSnapshot | undefined }>(
    () =>
      referrer === undefined
        ? context.replication.append(glRepository, repositoryPath).then((event) => ({ event, snapshot: undefined }))
        : context.replication.snapshotThenAppend([referrer.id], glRepository, repositoryPath),
    'event log',
  );
  const lag = referrer === undefined ? undefined : lagOf(referrer, done?.snapshot, record, context);
  noteEvent(done?.event, record, context);
  return {
    status: 200,
    body: JSON.stringify({ reference_counter_decreased: true, messages: geoMessages(context.site, repositoryPath, referrer, lag) }),
  };
}

/**
 * A secondary's lag from the store's snapshot; when the store could not
 * say, a static node keeps its file's number and a reporting one gets no
 * lag line.
 */
function lagOf(referrer: GeoNode, snapshot: ReplicationSnapshot | undefined, record: Record<string, unknown>, context: ServerContext): NodeLag | undefined {
  if (snapshot === undefined) return isReporting(referrer) ? undefined : fileLag(referrer);
  const lag = lagsFrom(context, [referrer], snapshot).lags.get(referrer.id)!;
  if (lag.source === 'measured') record.lag = lag.seconds;
  else if (lag.source === 'unknown') record.lag = lag.reason;
  return lag;
}

/**
 * The push's event, for the secondaries to follow. One that could not be
 * appended is lost from the log (the push itself is done; the secondaries'
 * reconcile finds the change), and counted.
 */
function noteEvent(appended: AppendedEvent | undefined, record: Record<string, unknown>, context: ServerContext): void {
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
