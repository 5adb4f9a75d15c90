import type { GeoNode } from './geoSite.js';
import { type NodeLag, nodeLag } from './replicationLag.js';
import type { ServerContext } from './serverContext.js';
import type { ReplicationSnapshot } from './stores/replicationStore.js';

/** Nodes' lags from one snapshot of the store (one round trip to Redis); throws when the store cannot be read. */
export async function readLags(context: Pick<ServerContext, 'replication' | 'statusMaxAgeMs'>, nodes: readonly GeoNode[]): Promise<{ snapshot: ReplicationSnapshot; lags: Map<number, NodeLag> }> {
  const snapshot = await context.replication.snapshot(nodes.filter((node) => !node.primary).map((node) => node.id));
  const lags = new Map<number, NodeLag>();
  for (const node of nodes) {
    lags.set(node.id, nodeLag(node, { now: snapshot.now, log: snapshot.log, snapshot: snapshot.nodes.get(node.id), statusMaxAgeMs: context.statusMaxAgeMs }));
  }
  return { snapshot, lags };
}
