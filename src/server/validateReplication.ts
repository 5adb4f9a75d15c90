import { isRecord } from '../shared/isRecord.js';
import { isWholeNumber } from '../shared/numbers.js';
import { LOG_ID, type StatusReport } from './stores/replicationStore.js';

export const DEFAULT_EVENTS_LIMIT = 100;
export const MAX_EVENTS_LIMIT = 1000;
/** The longest a long poll waits (contract section 11). */
export const MAX_EVENTS_WAIT_SECONDS = 30;
/** A last_error longer than this is cut: it is for a person to read, not a log to keep. */
export const MAX_LAST_ERROR_CHARS = 1000;

export interface EventsRequest {
  readonly after: string;
  readonly log: string | undefined;
  readonly limit: number;
  readonly waitSeconds: number;
}

/** GET geo/events's query (pure): each value of its one form, else what is wrong. */
export function validateEventsQuery(query: URLSearchParams, isEventId: (text: string) => boolean): EventsRequest | { error: string } {
  for (const name of ['after', 'log', 'limit', 'wait']) {
    if (query.getAll(name).length > 1) return { error: `${name} is given more than once` };
  }
  const after = query.get('after') ?? '0';
  if (!isEventId(after)) return { error: 'after must be an event id of this log, or 0' };
  const log = query.get('log') ?? undefined;
  if (log !== undefined && !LOG_ID.test(log)) return { error: 'log must be a log id: 1 to 64 of [0-9A-Za-z-]' };
  const limit = wholeNumber(query.get('limit'), DEFAULT_EVENTS_LIMIT);
  if (limit === undefined || limit < 1 || limit > MAX_EVENTS_LIMIT) return { error: `limit must be a whole number from 1 to ${MAX_EVENTS_LIMIT}` };
  const waitSeconds = wholeNumber(query.get('wait'), 0);
  if (waitSeconds === undefined || waitSeconds > MAX_EVENTS_WAIT_SECONDS) return { error: `wait must be a whole number of seconds from 0 to ${MAX_EVENTS_WAIT_SECONDS}` };
  return { after, log, limit, waitSeconds };
}

function wholeNumber(text: string | null, fallback: number): number | undefined {
  if (text === null) return fallback;
  return /^[0-9]{1,4}$/.test(text) ? Number(text) : undefined;
}

/** POST geo/status's body (pure), for the node the credential proved. */
export function validateStatusReport(body: unknown, nodeId: number, isEventId: (text: string) => boolean): StatusReport | { error: string; status: 400 | 403 } {
  if (!isRecord(body)) return { error: 'the body must be a JSON object', status: 400 };
  const { geo_node_id: bodyNode, log, cursor, reconciling = false, repositories_synced: synced, repositories_failed: failed, last_error: lastError } = body;
  // The node is the one the credential proved, never one a body names.
  if (bodyNode !== undefined && bodyNode !== null && bodyNode !== nodeId) return { error: `geo_node_id ${JSON.stringify(bodyNode).slice(0, 20)} is not the node this credential is for`, status: 403 };
  if (typeof log !== 'string' || !LOG_ID.test(log)) return { error: 'log must be a log id: 1 to 64 of [0-9A-Za-z-]', status: 400 };
  if (typeof cursor !== 'string' || !isEventId(cursor)) return { error: 'cursor must be an event id of this log, or 0', status: 400 };
  if (typeof reconciling !== 'boolean') return { error: 'reconciling must be true or false', status: 400 };
  for (const [name, value] of [['repositories_synced', synced], ['repositories_failed', failed]] as const) {
    if (value !== undefined && value !== null && !(isWholeNumber(value) && value >= 0)) return { error: `${name} must be a whole number, 0 or more`, status: 400 };
  }
  if (lastError !== undefined && lastError !== null && typeof lastError !== 'string') return { error: 'last_error must be a string', status: 400 };
  return {
    log,
    cursor,
    reconciling,
    repositoriesSynced: (synced as number | null | undefined) ?? undefined,
    repositoriesFailed: (failed as number | null | undefined) ?? undefined,
    lastError: typeof lastError === 'string' && lastError !== '' ? [...lastError].slice(0, MAX_LAST_ERROR_CHARS).join('') : undefined,
  };
}
