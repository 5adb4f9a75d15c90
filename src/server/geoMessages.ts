import type { PostReceiveMessage } from '../hook/renderMessages.js';
import type { GeoNode, GeoSite } from './geoSite.js';

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

export function geoMessages(site: GeoSite, repositoryPath: string, referrer: GeoNode | undefined): PostReceiveMessage[] {
  if (!referrer || referrer.primary) return [];
  const messages: PostReceiveMessage[] = [
    { type: 'basic', message: forwardedToPrimaryMessage(`${site.primary.url}/${repositoryPath}.git`) },
  ];
  if (referrer.lagSeconds > 0) messages.push({ type: 'basic', message: replicationLagMessage(referrer.lagSeconds) });
  return messages;
}
