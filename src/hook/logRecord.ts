import type { PushContext } from './readHookEnv.js';

/** One JSON line per hook run: enough to trace a push, never the secret or the token. */
export interface LogRecord {
  readonly time: string;
  readonly event: 'post_receive';
  readonly correlation_id: string | null;
  readonly gl_repository: string | null;
  readonly gl_id: string | null;
  readonly geo_node_id: number | null;
  readonly refs: number | null;
  readonly duration_ms: number;
  readonly attempts: number;
  readonly status: number | null;
  readonly outcome: 'ok' | 'dry_run' | 'reference_counter_not_decreased' | 'error';
  readonly error_code?: string;
  readonly error?: string;
}

export interface RunSummary {
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly context: PushContext | undefined;
  readonly refs: number | undefined;
  readonly attempts: number;
  readonly status: number | undefined;
  readonly outcome: LogRecord['outcome'];
  readonly error?: { readonly code: string; readonly message: string } | undefined;
}

export function logLine(run: RunSummary): string {
  const record: LogRecord = {
    time: new Date(run.finishedAt).toISOString(),
    event: 'post_receive',
    correlation_id: run.context?.correlationId ?? null,
    gl_repository: run.context?.glRepository ?? null,
    gl_id: run.context?.glId ?? null,
    geo_node_id: run.context?.geoNodeId ?? null,
    refs: run.refs ?? null,
    duration_ms: run.finishedAt - run.startedAt,
    attempts: run.attempts,
    status: run.status ?? null,
    outcome: run.outcome,
    ...(run.error && { error_code: run.error.code, error: run.error.message }),
  };
  // One write of one line: appends of a whole line do not interleave (O_APPEND).
  return `${JSON.stringify(record)}\n`;
}
