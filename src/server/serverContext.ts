import type { IncomingMessage } from 'node:http';
import type { GeoSite } from './geoSite.js';
import type { BodyBudget } from './readJsonBody.js';
import type { ServerMetrics } from './operations/metrics.js';
import type { ReferrerStore } from './stores/referrerStore.js';
import type { ReplicationStore } from './stores/replicationStore.js';
import type { AuthVerdict } from './authenticate.js';

/** What every handler may use: the site, the store, the settings. */
export interface ServerContext {
  /** Replaced whole when serve loads its site file again (SIGHUP): a request sees one site or the other. */
  site: GeoSite;
  /** The reporting secondaries' secrets, loaded with the site (and replaced with it). */
  nodeSecrets: ReadonlyMap<number, string>;
  readonly store: ReferrerStore;
  /** The event log and the secondaries' statuses. */
  readonly replication: ReplicationStore;
  /** A reporting secondary's status older than this: its lag is unknown. */
  readonly statusMaxAgeMs: number;
  /** Find referrers by upstream's racy actor+repository key too. */
  readonly legacy: boolean;
  readonly version: string;
  readonly now: () => number;
  readonly maxBodyBytes: number;
  /** The body bytes all requests together may hold at once. */
  readonly bodyBudget: BodyBudget;
  /** post_receive answers being computed, by correlation id and push, so a retry waits for the first. */
  readonly inFlight: Map<string, Promise<string>>;
  /** Counters for /-/metrics; absent where nobody reads them (the lab, tests). */
  readonly metrics?: ServerMetrics | undefined;
}

/** A handler's answer; the server writes it and logs it. */
export interface Answer {
  readonly status: number;
  readonly body?: string;
  readonly contentType?: string;
}

/** Who the route's credential proved the caller to be. */
export type Caller = Extract<AuthVerdict, { ok: true }>;

/** One endpoint's work. `record` is the request's log line, which it may add to (never a secret). */
export type Handler = (request: IncomingMessage, params: readonly string[], record: Record<string, unknown>, context: ServerContext, caller: Caller) => Promise<Answer>;

export function errorAnswer(status: number, message: string): Answer {
  return { status, body: JSON.stringify({ message }) };
}

export function jsonAnswer(status: number, value: unknown): Answer {
  return { status, body: JSON.stringify(value) };
}
