import type { GeoNode } from './geoSite.js';
import { isReporting } from './geoSite.js';
import { type NodeLag, lagSeconds } from './replicationLag.js';
import type { NodeSnapshot } from './stores/replicationStore.js';

/** One node as GET geo/nodes answers it (contract section 11). */
export interface NodeView {
  readonly id: number;
  readonly name: string;
  readonly url: string;
  readonly primary: boolean;
  readonly lag_seconds: number | null;
  readonly lag_source: 'primary' | 'static' | 'measured' | 'unknown';
  readonly unknown_reason: string | null;
  readonly last_report_at: number | null;
  readonly status_age_seconds: number | null;
  readonly cursor: string | null;
  readonly pending_events: number | null;
  readonly repositories_failed: number | null;
  readonly last_error: string | null;
  readonly healthy: boolean;
}

/**
 * Pure: a node, its lag and its part of a store snapshot. A reporting
 * secondary is unhealthy while its lag is unknown or while it reports
 * repositories it failed to replicate; the primary and static nodes are
 * healthy.
 */
export function nodeView(node: GeoNode, lag: NodeLag, snapshot: NodeSnapshot | undefined, now: number): NodeView {
  const reporting = isReporting(node);
  const status = reporting ? snapshot?.status : undefined;
  const failed = status?.repositoriesFailed ?? null;
  return {
    id: node.id,
    name: node.name,
    url: node.url,
    primary: node.primary,
    lag_seconds: lagSeconds(lag),
    lag_source: lag.source,
    unknown_reason: lag.source === 'unknown' ? lag.reason : null,
    last_report_at: status?.reportedAt ?? null,
    status_age_seconds: status ? Math.floor(Math.max(0, now - status.reportedAt) / 1000) : null,
    cursor: status?.cursor ?? null,
    pending_events: reporting ? (snapshot?.pendingEvents ?? null) : null,
    repositories_failed: failed,
    last_error: status?.lastError ?? null,
    healthy: !reporting || (lag.source !== 'unknown' && !(failed !== null && failed > 0)),
  };
}
