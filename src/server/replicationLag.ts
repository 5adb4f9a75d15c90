import type { GeoNode } from './geoSite.js';
import { isReporting } from './geoSite.js';
import type { NodeSnapshot, StoredLag } from './stores/replicationStore.js';

/** Contract section 11: a status older than this says nothing of now. */
export const DEFAULT_STATUS_MAX_AGE_SECONDS = 60;

export type UnknownReason = 'never_reported' | 'stale' | 'other_log' | 'reconciling';

/** A node's lag and where it comes from; unknown is never a number. */
export type NodeLag =
  | { readonly source: 'primary' }
  | { readonly source: 'static' | 'measured'; readonly seconds: number }
  | { readonly source: 'unknown'; readonly reason: UnknownReason; /** For a stale status: whole seconds since it arrived. */ readonly statusAgeSeconds?: number };

export interface LagInput {
  /** The store's clock, Unix ms. */
  readonly now: number;
  /** The current log's id ('' when the log has not started). */
  readonly log: string;
  readonly snapshot: NodeSnapshot | undefined;
  readonly statusMaxAgeMs: number;
}

/**
 * The lag of a reporting secondary (contract section 11), computed before
 * the push's own event is appended: the age of the oldest event after its
 * cursor, 0 when none; unknown when it never reported, when its status is
 * stale (said first, whatever else the status says), names another log, or
 * says it is still copying. Never below 0.
 */
export function measuredLag({ now, log, snapshot, statusMaxAgeMs }: LagInput): NodeLag {
  const status = snapshot?.status;
  if (status === undefined) return { source: 'unknown', reason: 'never_reported' };
  const age = Math.max(0, now - status.reportedAt);
  if (age > statusMaxAgeMs) return { source: 'unknown', reason: 'stale', statusAgeSeconds: Math.floor(age / 1000) };
  if (status.log !== log) return { source: 'unknown', reason: 'other_log' };
  if (status.reconciling) return { source: 'unknown', reason: 'reconciling' };
  const oldest = snapshot?.oldestPendingAt;
  return { source: 'measured', seconds: oldest === undefined ? 0 : Math.floor(Math.max(0, now - oldest) / 1000) };
}

/**
 * A static node's lag: the site file's, or the last PUT's when that came
 * after the file gave this node its value. A file whose value the store
 * has not recorded (it could not be, or another server's file says
 * otherwise) is this server's newest word.
 */
export function staticLag(fileLagSeconds: number, stored: StoredLag | undefined): number {
  if (stored?.lagSeconds === undefined || stored.setAt === undefined) return fileLagSeconds;
  const fileSince = stored.fileLagSeconds === fileLagSeconds ? (stored.fileSince ?? 0) : Number.POSITIVE_INFINITY;
  return stored.setAt > fileSince ? stored.lagSeconds : fileLagSeconds;
}

/** Any node's lag, from one snapshot of the store. */
export function nodeLag(node: GeoNode, input: LagInput): NodeLag {
  if (node.primary) return { source: 'primary' };
  if (isReporting(node)) return measuredLag(input);
  return { source: 'static', seconds: staticLag(node.lagSeconds, input.snapshot?.storedLag) };
}

/** The lag's number when it is known (a secondary's), else null. */
export function lagSeconds(lag: NodeLag): number | null {
  return lag.source === 'static' || lag.source === 'measured' ? lag.seconds : null;
}

/** A static node's lag as the site file says it (the race scenarios' expectation); nothing for a reporting one. */
export function fileLag(node: GeoNode | undefined): NodeLag | undefined {
  return node === undefined || isReporting(node) ? undefined : { source: 'static', seconds: node.lagSeconds };
}
