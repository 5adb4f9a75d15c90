import type { NodeView } from '../server/nodeView.js';
import { isRecord } from '../shared/isRecord.js';

/** The answer of GET geo/nodes, checked for the fields the table shows; undefined when it is not one. */
export function parseNodes(body: unknown): NodeView[] | undefined {
  if (!Array.isArray(body)) return undefined;
  const fine = body.every(
    (node) =>
      isRecord(node) &&
      typeof node.id === 'number' &&
      typeof node.name === 'string' &&
      typeof node.primary === 'boolean' &&
      typeof node.lag_source === 'string' &&
      typeof node.healthy === 'boolean',
  );
  return fine ? (body as NodeView[]) : undefined;
}

/** A reporting secondary: one whose lag is measured from its own reports. */
const reports = (node: NodeView) => !node.primary && node.lag_source !== 'static';

const REASONS: Record<string, string> = {
  never_reported: 'never reported',
  stale: 'status too old',
  other_log: 'catching up after a log reset',
  reconciling: 'copying repositories',
};

function lagCell(node: NodeView): string {
  switch (node.lag_source) {
    case 'primary':
      return '-';
    case 'static':
      return `${node.lag_seconds ?? '?'} s (static)`;
    case 'measured':
      return `${node.lag_seconds ?? '?'} s (measured)`;
    default:
      return `unknown: ${REASONS[node.unknown_reason ?? ''] ?? node.unknown_reason ?? '?'}`;
  }
}

function ago(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}

/** Why an unhealthy secondary is unhealthy, and what to look at, one point a line. */
function diagnosis(node: NodeView): string[] {
  const parts: string[] = [];
  switch (node.unknown_reason) {
    case 'never_reported':
      parts.push('it has never reported its replication status: is `geo-hook replicate` running there, with this node id and its secret?');
      break;
    case 'stale':
      parts.push(`its last status came ${ago(node.status_age_seconds)}: is its replicator running, and can it reach the primary?`);
      break;
    case 'other_log':
      parts.push("the primary's event log was reset: it is catching up (a full reconcile)");
      break;
    case 'reconciling':
      parts.push("it is still copying the primary's repositories (first sync or after a reset)");
      break;
  }
  if (node.repositories_failed !== null && node.repositories_failed > 0) {
    parts.push(`${node.repositories_failed} ${node.repositories_failed === 1 ? 'repository fails' : 'repositories fail'} to replicate`);
  }
  if (node.last_error !== null) parts.push(`last error: ${node.last_error}`);
  return parts;
}

/**
 * The site at a glance (pure): one row per node, then one line per
 * unhealthy secondary saying why, then the verdict.
 */
export function renderStatus(nodes: readonly NodeView[], apiUrl: string): string {
  const header = ['NODE', 'NAME', 'ROLE', 'LAG', 'LAST REPORT', 'PENDING', 'HEALTH'];
  const rows = nodes.map((node) => [
    String(node.id),
    node.name,
    node.primary ? 'primary' : reports(node) ? 'secondary' : 'secondary (static lag)',
    lagCell(node),
    reports(node) ? ago(node.status_age_seconds) : '-',
    node.pending_events === null ? '-' : String(node.pending_events),
    node.healthy ? 'ok' : 'UNHEALTHY',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => [...row[column]!].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat(widths[column]! - [...cell].length)))
      .join('  ')
      .trimEnd();
  const out = [`geo-hook status of ${apiUrl}`, '', line(header), ...rows.map(line), ''];
  const secondaries = nodes.filter(reports);
  const unhealthy = secondaries.filter((node) => !node.healthy);
  for (const node of unhealthy) out.push(`${node.name} (node ${node.id}) is unhealthy:`, ...diagnosis(node).map((point) => `  - ${point}`), '');
  if (secondaries.length === 0) out.push('No secondary reports its replication: every lag shown is a fixed number from the site file.');
  else if (unhealthy.length === 0) out.push(`Replication is working: ${secondaries.length === 1 ? 'the reporting secondary is' : `all ${secondaries.length} reporting secondaries are`} healthy.`);
  else out.push(`Replication needs attention: ${unhealthy.length} of ${secondaries.length} reporting ${secondaries.length === 1 ? 'secondary' : 'secondaries'} ${unhealthy.length === 1 ? 'is' : 'are'} unhealthy.`);
  return `${out.join('\n')}\n`;
}

/** Exit status 1 while a reporting secondary is unhealthy (as `gitlab-rake geo:check`). */
export function statusExitCode(nodes: readonly NodeView[]): 0 | 1 {
  return nodes.some((node) => reports(node) && !node.healthy) ? 1 : 0;
}
