import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StoreSizes } from '../stores/referrerStore.js';
import type { Endpoint } from '../routes.js';
import type { ReferrerSource } from '../handlers/postReceive.js';

/**
 * serve's metrics (contract section 7), in the Prometheus text format, with
 * prom-client, the Node ecosystem's client. Labels come from fixed sets
 * (endpoint names, referrer sources), never from a request's path.
 */
export interface ServerMetrics {
  readonly registry: Registry;
  request(endpoint: Endpoint, status: number, seconds: number): void;
  lookup(source: ReferrerSource): void;
  storeError(): void;
  /** A connection closed as it came, because --max-connections were open. */
  connectionDropped(): void;
  eventAppended(): void;
  /** An event lost from the log (the store failed): the secondaries' reconcile finds its change. */
  eventAppendFailed(): void;
  /** An event a replica had not acknowledged within the bounded wait: a failover now could lose it. */
  eventUnacknowledged(): void;
}

/** A node's replication as the metrics show it, read from the store when scraped. */
export interface NodeGauges {
  readonly node: number;
  /** Measured or static; absent while unknown. */
  readonly lagSeconds?: number;
  /** Reporting nodes that reported. */
  readonly statusAgeSeconds?: number;
}

export function createMetrics(options: {
  droppedLogLines: () => number;
  storeSizes?: () => Promise<StoreSizes | undefined>;
  /** Undefined while the store cannot say: the series are then absent rather than stale. */
  nodeGauges?: () => Promise<readonly NodeGauges[] | undefined>;
}): ServerMetrics {
  const registry = new Registry();
  // The event loop delay sampled every 100 ms, not prom-client's 10: an idle serve should cost about nothing (npm run bench).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  const requests = new Counter({ name: 'geo_hook_http_requests_total', help: 'HTTP requests answered, by endpoint and status', labelNames: ['endpoint', 'status'], registers: [registry] });
  const duration = new Histogram({
    name: 'geo_hook_http_request_duration_seconds',
    help: 'Time to answer a request, by endpoint',
    labelNames: ['endpoint'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const lookups = new Counter({ name: 'geo_hook_referrer_lookups_total', help: 'post_receive answers, by how the node the push came through was found', labelNames: ['source'], registers: [registry] });
  const dropped = new Counter({ name: 'geo_hook_connections_dropped_total', help: 'Connections closed as they came because --max-connections were open', registers: [registry] });
  const storeErrors = new Counter({ name: 'geo_hook_store_errors_total', help: 'Referrer store operations that failed or timed out', registers: [registry] });
  new Counter({
    name: 'geo_hook_log_lines_dropped_total',
    help: 'Log lines that could not be written (a closed or stalled log pipe)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(options.droppedLogLines());
    },
  });
  const sizes = options.storeSizes ?? (async () => undefined);
  // Both read the store when scraped; while it cannot say, the series are absent rather than stale.
  const fromStore = (pick: (now: StoreSizes) => number) =>
    async function collect(this: { reset(): void; inc?(value: number): void; set?(value: number): void }) {
      const now = await sizes();
      this.reset();
      if (now !== undefined) (this.set ?? this.inc)!.call(this, pick(now));
    };
  new Gauge({
    name: 'geo_hook_referrer_store_entries',
    help: 'Entries in the referrer store now (Redis: every key of its database)',
    registers: [registry],
    collect: fromStore((now) => now.entries),
  });
  new Counter({
    name: 'geo_hook_referrer_store_evictions_total',
    help: 'Referrer store entries dropped to make room before anyone took them (Redis: its evicted_keys)',
    registers: [registry],
    collect: fromStore((now) => now.evictions),
  });
  const appended = new Counter({ name: 'geo_hook_events_appended_total', help: 'Push events appended to the event log', registers: [registry] });
  const appendFailures = new Counter({
    name: 'geo_hook_events_append_failures_total',
    help: "Push events that could not be appended (the store failed); the secondaries' reconcile finds their changes",
    registers: [registry],
  });
  const unacknowledged = new Counter({
    name: 'geo_hook_events_unacknowledged_total',
    help: 'Push events no Redis replica acknowledged within the bounded wait: a failover then could lose them',
    registers: [registry],
  });
  const gauges = options.nodeGauges ?? (async () => undefined);
  // One read of the store per scrape, shared by both gauges.
  let scrape: Promise<readonly NodeGauges[] | undefined> | undefined;
  const nodesNow = () => {
    scrape ??= gauges()
      .catch(() => undefined)
      .finally(() => setImmediate(() => (scrape = undefined)));
    return scrape;
  };
  // Both gauges from the same read; a node whose value is absent has no series (unknown is never a number).
  const nodeGauge = (name: string, help: string, pick: (node: NodeGauges) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['node'],
      registers: [registry],
      async collect() {
        const nodes = await nodesNow();
        this.reset();
        for (const node of nodes ?? []) {
          const value = pick(node);
          if (value !== undefined) this.set({ node: String(node.node) }, value);
        }
      },
    });
  nodeGauge('geo_hook_node_replication_lag_seconds', "A secondary's replication lag (measured, or a static node's number); absent while unknown", (node) => node.lagSeconds);
  nodeGauge('geo_hook_node_status_age_seconds', "Seconds since a reporting secondary's last status arrived", (node) => node.statusAgeSeconds);
  // Every series there from the start, at 0: a dashboard sees "none yet", not "no data".
  for (const source of ['geo_node_id', 'correlation', 'legacy', 'none'] as const) lookups.inc({ source }, 0);
  return {
    registry,
    request: (endpoint, status, seconds) => {
      requests.inc({ endpoint, status: String(status) });
      duration.observe({ endpoint }, seconds);
    },
    lookup: (source) => lookups.inc({ source }),
    storeError: () => storeErrors.inc(),
    connectionDropped: () => dropped.inc(),
    eventAppended: () => appended.inc(),
    eventAppendFailed: () => appendFailures.inc(),
    eventUnacknowledged: () => unacknowledged.inc(),
  };
}
