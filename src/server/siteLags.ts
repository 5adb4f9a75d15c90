import type { GeoNode } from './geoSite.js';
import { type NodeLag, nodeLag } from './replicationLag.js';
import type { ServerContext } from './serverContext.js';
import type { ReplicationSnapshot } from './stores/replicationStore.js';

/** The secondaries among nodes, whose part of a snapshot to read. */
export const secondaryIds = (nodes: readonly GeoNode[]) => nodes.filter((node) => !node.primary).map((node) => node.id);

/** Nodes' lags from one snapshot of the store (one round trip to Redis); throws when the store cannot be read. */
export async function readLags(context: Pick<ServerContext, 'replication' | 'statusMaxAgeMs'>, nodes: readonly GeoNode[]): Promise<{ snapshot: ReplicationSnapshot; lags: Map<number, NodeLag> }> {
  return lagsFrom(context, nodes, await context.replication.snapshot(secondaryIds(nodes)));
}

/** Nodes' lags from a snapshot already read (pure). */
export function lagsFrom(context: Pick<ServerContext, 'statusMaxAgeMs'>, nodes: readonly GeoNode[], snapshot: ReplicationSnapshot): { snapshot: ReplicationSnapshot; lags: Map<number, NodeLag> } {
  const lags = new Map<number, NodeLag>();
  for (const node of nodes) {
    lags.set(node.id, nodeLag(node, { now: snapshot.now, log: snapshot.log, snapshot: snapshot.nodes.get(node.id), statusMaxAgeMs: context.statusMaxAgeMs }));
  }
  return { snapshot, lags };
}
