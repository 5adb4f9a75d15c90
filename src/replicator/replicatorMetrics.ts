import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ReplicatorObserver } from './runReplicator.js';

/**
 * The replicator's metrics (contract section 12: fetches by outcome, fetch
 * duration, events behind), with prom-client as serve's, and what its
 * readiness is judged by.
 */
export interface ReplicatorMetrics extends ReplicatorObserver {
  readonly registry: Registry;
  /** What readiness looks at. */
  state(): ReplicatorState;
}

export interface ReplicatorState {
  /** A reconcile has finished since start: every replica was compared once. */
  readonly reconciled: boolean;
  /** When the primary last took a report (ms since the epoch). */
  readonly lastReportAt: number | undefined;
}

export function createReplicatorMetrics(now: () => number = Date.now): ReplicatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  const fetches = new Counter({ name: 'geo_hook_replicator_fetches_total', help: 'Replica fetches, by outcome (fetched, created, gone, failed)', labelNames: ['outcome'], registers: [registry] });
  const duration = new Histogram({
    name: 'geo_hook_replicator_fetch_duration_seconds',
    help: 'Time one replica fetch took',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const behind = new Gauge({ name: 'geo_hook_replicator_events_behind', help: "Events read from the primary's log and not yet replicated", registers: [registry] });
  const failing = new Gauge({ name: 'geo_hook_replicator_repositories_failing', help: 'Repositories whose last fetch failed, waiting for a retry', registers: [registry] });
  const lastReport = new Gauge({ name: 'geo_hook_replicator_last_report_timestamp_seconds', help: 'When the primary last took this node\'s status report', registers: [registry] });
  const reportsFailed = new Counter({ name: 'geo_hook_replicator_reports_failed_total', help: 'Status reports the primary did not take', registers: [registry] });
  const reconciles = new Counter({ name: 'geo_hook_replicator_reconciles_total', help: 'Reconciles finished (every replica compared with the primary)', registers: [registry] });
  const reconcileSeconds = new Gauge({ name: 'geo_hook_replicator_last_reconcile_duration_seconds', help: 'How long the last reconcile took', registers: [registry] });
  // Every outcome present from the start, at 0: a rate over a series that appears late misses its first increase.
  for (const outcome of ['fetched', 'created', 'gone', 'failed']) fetches.inc({ outcome }, 0);
  let reconciled = false;
  let lastReportAt: number | undefined;
  return {
    registry,
    fetched: (outcome, seconds) => {
      fetches.inc({ outcome });
      duration.observe(seconds);
    },
    reported: (ok) => {
      if (!ok) {
        reportsFailed.inc();
        return;
      }
      lastReportAt = now();
      lastReport.set(lastReportAt / 1000);
    },
    queue: (eventsBehind, repositoriesFailing) => {
      behind.set(eventsBehind);
      failing.set(repositoriesFailing);
    },
    reconciled: ({ seconds }) => {
      reconciled = true;
      reconciles.inc();
      reconcileSeconds.set(seconds);
    },
    state: () => ({ reconciled, lastReportAt }),
  };
}

/**
 * Ready to be relied on (pure): a reconcile finished, and the primary took
 * a report recently (three report intervals, at least 30 s). Otherwise why not, in words.
 */
export function replicatorReadiness(state: ReplicatorState, now: number, reportIntervalSeconds: number): { ready: boolean; status: string } {
  if (!state.reconciled) return { ready: false, status: 'the first reconcile is not done' };
  const allowedMs = Math.max(3 * reportIntervalSeconds, 30) * 1000;
  if (state.lastReportAt === undefined || now - state.lastReportAt > allowedMs) return { ready: false, status: `the primary has taken no report for ${Math.round(allowedMs / 1000)} s` };
  return { ready: true, status: 'ok' };
}
