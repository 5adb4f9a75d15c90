import type { PostReceiveMessage } from '../hook/renderMessages.js';
import type { GeoNode, GeoSite } from './geoSite.js';
import type { NodeLag } from './replicationLag.js';

/**
 * What upstream answers a push that came through a secondary: where the push
 * went, and how far behind that secondary is. Texts as in GitLab's
 * ee/lib/gitlab/geo.rb (interacting_with_primary_message) and
 * ee/lib/ee/api/helpers/internal_helpers (geo_secondary_lag_message).
 */
export function forwardedToPrimaryMessage(primaryRepositoryUrl: string): string {
  return `This request to a Geo secondary node will be forwarded to the\nGeo primary node:\n\n  ${primaryRepositoryUrl}\n`;
}

export function replicationLagMessage(lagSeconds: number): string {
  return `Current replication lag: ${lagSeconds} seconds`;
}

/** Contract section 11: a lag nobody knows is said in words, never as a number. */
export function unknownLagMessage(lag: Extract<NodeLag, { source: 'unknown' }>): string {
  switch (lag.reason) {
    case 'never_reported':
      return 'Current replication lag: unknown, this secondary has not reported its replication status';
    case 'stale':
      return `Current replication lag: unknown, this secondary last reported ${lag.statusAgeSeconds ?? 0} seconds ago`;
    case 'other_log':
      return "Current replication lag: unknown, this secondary is catching up after the primary's event log was reset";
    case 'reconciling':
      return "Current replication lag: unknown, this secondary is still copying the primary's repositories";
  }
}

/**
 * The messages for a push through `referrer`. `lag` undefined: the store
 * could not say (Redis away): the notice alone. No line at 0, as upstream.
 */
export function geoMessages(site: GeoSite, repositoryPath: string, referrer: GeoNode | undefined, lag: NodeLag | undefined): PostReceiveMessage[] {
  if (!referrer || referrer.primary) return [];
  const messages: PostReceiveMessage[] = [
    { type: 'basic', message: forwardedToPrimaryMessage(`${site.primary.url}/${repositoryPath}.git`) },
  ];
  if (lag === undefined || lag.source === 'primary') return messages;
  if (lag.source === 'unknown') messages.push({ type: 'basic', message: unknownLagMessage(lag) });
  else if (lag.seconds > 0) messages.push({ type: 'basic', message: replicationLagMessage(lag.seconds) });
  return messages;
}
